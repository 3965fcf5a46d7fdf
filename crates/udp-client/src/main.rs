//! udp-client: `listings/udp_client.py` (教程「UDP编程」客户机) line for line
//! in Rust.
//!
//! Asks for a temperature in degrees Celsius, sends it to udp-server in one
//! datagram and prints the reply. Start the server first, in another
//! terminal:
//!
//! ```text
//! cargo run -p udp-server            # terminal 1: waits for one temperature
//! cargo run -p udp-client            # terminal 2: type 37, see 98.60000000000001
//! ```
//!
//! or watch both at once with `cargo xtask demo udp`.
//!
//! Default address `127.0.0.1:8888`; the first argument overrides it
//! (`udp-client 127.0.0.1:40123`). Where it differs from the listing (no
//! server, no reply) and why: this crate's README, "Differences from the
//! tutorial".

// py: import socket
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use py_builtins::cli::{self, DefaultAddr, Failure, HostPort, Program};
use py_builtins::input::input;
use py_builtins::text::decode_all;

const PROGRAM: Program = Program {
    name: "udp-client",
    summary: "udp-client: 教程 udp_client.py 的 Rust 版，发送一个摄氏温度并打印换算结果 \
              (the tutorial's udp_client.py in Rust)",
    addr_role: "udp-server 的地址 / udp-server's address",
    default_addr: DefaultAddr::Fixed("127.0.0.1:8888"),
};

/// How long to wait for the reply (the listing waits forever).
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);

fn main() -> ExitCode {
    cli::main(&PROGRAM, run)
}

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
    // std makes a UDP socket by binding it: any port, as Python's first
    // `sendto` picks one.
    let server = host_port.resolve()?[0];
    let any_port = match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let s = UdpSocket::bind(any_port)
        .map_err(|error| Failure::runtime(format!("无法创建 UDP 套接字: {error}")))?;
    // py: data=input('请输入要转换的温度(单位:摄氏度):')
    let Some(data) = input("请输入要转换的温度(单位:摄氏度):")? else {
        return Err(Failure::runtime(
            "标准输入已结束，没有读到温度，什么也没有发送 (stdin ended before a line was typed)",
        ));
    };
    // py: s.sendto(data.encode(),('127.0.0.1',8888))
    // `connect` first, so that "port unreachable" (no server there) comes
    // back as an error instead of silence, then send.
    s.connect(server)
        .and_then(|()| s.send(&data))
        .map_err(|error| Failure::runtime(format!("无法向 {host_port} 发送: {error}")))?;
    // py: print(s.recv(1024).decode())
    let mut reply = [0u8; 1024];
    let length = s
        .set_read_timeout(Some(REPLY_TIMEOUT))
        .and_then(|()| s.recv(&mut reply))
        .map_err(|error| no_reply(&host_port, &error))?;
    cli::print_line(&decode_all(&reply[..length]))?;
    // py: s.close()
    drop(s);
    Ok(())
}

fn no_reply(host_port: &HostPort, error: &io::Error) -> Failure {
    let why = match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            format!("{} 秒内没有回复", REPLY_TIMEOUT.as_secs())
        }
        io::ErrorKind::ConnectionRefused => "那里没有 UDP 服务器 (port unreachable)".to_string(),
        _ => error.to_string(),
    };
    Failure::runtime(format!(
        "没有收到 {host_port} 的回复: {why}。请先启动 udp-server (start udp-server first)"
    ))
}
