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

use listing_support::builtins::{decode_all, input, print};
use listing_support::program::{self, DefaultAddr, Failure, HostPort, OrFail};

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
    // std makes a UDP socket by binding it: any port, as Python's first
    // `sendto` picks one.
    let server = host_port.resolve()?[0];
    let any_port = match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let s = UdpSocket::bind(any_port).or_fail(|| "无法创建 UDP 套接字")?;
    // py: data=input('请输入要转换的温度(单位:摄氏度):')
    let Some(data) = input("请输入要转换的温度(单位:摄氏度):")? else {
        return Err(Failure::runtime(
            "标准输入已结束，没有读到温度，什么也没有发送 (stdin ended before a line was typed)",
        ));
    };
    // py: s.sendto(data.encode(),('127.0.0.1',8888))
    // `host_port` is the listing's `ADDR` unless the first argument names
    // another. `connect` first, so that "port unreachable" (no server
    // there) comes back as an error instead of silence, then send.
    s.connect(server)
        .or_fail(|| format!("无法向 {host_port} 发送"))?;
    s.send(&data)
        .or_fail(|| format!("无法向 {host_port} 发送"))?;
    // py: print(s.recv(1024).decode())
    // Waiting at most `REPLY_TIMEOUT`: the listing waits forever.
    let mut reply = [0u8; 1024];
    let length = s
        .set_read_timeout(Some(REPLY_TIMEOUT))
        .and_then(|()| s.recv(&mut reply))
        .map_err(|error| no_reply(&host_port, &error))?;
    print(&[&decode_all(&reply[..length])])?;
    // py: s.close()
    drop(s);
    Ok(())
}

/// `[ADDR]`, `--help` and exit codes (see crates/README.md, Conventions);
/// the help text is this crate's Cargo.toml description. The listing's
/// address is in its `sendto` line.
fn main() -> ExitCode {
    program::main(listing_support::about!(), DefaultAddr::Fixed(ADDR), run)
}

/// The listing's address, from `s.sendto(…, ('127.0.0.1',8888))`.
const ADDR: &str = "127.0.0.1:8888";
/// How long to wait for the reply (the listing waits forever).
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);

/// Why no reply came, and what to do about it.
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
