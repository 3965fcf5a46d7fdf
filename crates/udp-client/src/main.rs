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
use listing_support::program::{self, DefaultAddr, Failure, HostPort, OrFail, END_OF_INPUT};

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
    // std makes a UDP socket by binding it: any port, as Python's first
    // `sendto` picks one, of the server's family (IPv4 or IPv6). The name
    // may stand for several addresses: the first one's family here.
    let servers = host_port.resolve()?;
    let mut s = UdpSocket::bind(any_port(servers[0])).or_fail(|| "无法创建 UDP 套接字")?;
    // py: data=input('请输入要转换的温度(单位:摄氏度):')
    let Some(data) = input("请输入要转换的温度(单位:摄氏度):")? else {
        return Err(Failure::runtime(format!(
            "标准输入已结束 ({END_OF_INPUT})，没有读到温度，什么也没有发送 (stdin ended before a line was typed)",
        )));
    };
    // Each address the name resolves to in turn, as the TCP clients try
    // each, until one answers (`localhost` may be `::1` first).
    let mut reply = vec![0u8; MAX_DATAGRAM];
    let mut failures = Vec::new();
    for server in servers {
        if s.local_addr()
            .is_ok_and(|local| local.is_ipv4() != server.is_ipv4())
        {
            s = UdpSocket::bind(any_port(server)).or_fail(|| "无法创建 UDP 套接字")?;
        }
        // py: s.sendto(data.encode(),('127.0.0.1',8888))
        // `host_port` is the listing's `ADDR` unless the first argument
        // names another. `connect` first, so that "port unreachable" (no
        // server there) comes back as an error instead of silence, then
        // send.
        let sent = s.connect(server).and_then(|()| s.send(&data));
        if let Err(error) = sent {
            failures.push((server, format!("无法发送 ({error})")));
            continue;
        }
        // py: print(s.recv(1024).decode())
        // Waiting at most `REPLY_TIMEOUT`: the listing waits forever. The
        // buffer takes any datagram (on Windows a longer one than the
        // buffer is an error); the listing's 1024 bytes are kept of it.
        let received = s
            .set_read_timeout(Some(REPLY_TIMEOUT))
            .and_then(|()| s.recv(&mut reply));
        match received {
            Ok(length) => {
                print(&[&decode_all(&reply[..length.min(1024)])])?;
                // py: s.close()
                drop(s);
                return Ok(());
            }
            Err(error) => failures.push((server, no_reply(&error))),
        }
    }
    // Why, per address when there were several.
    let why: Vec<String> = match &failures[..] {
        [(_, why)] => vec![why.clone()],
        _ => failures
            .iter()
            .map(|(server, why)| format!("{server}: {why}"))
            .collect(),
    };
    Err(Failure::runtime(format!(
        "没有收到 {host_port} 的回复: {}。请先启动 udp-server (start udp-server first)",
        why.join("; ")
    )))
}

/// `[ADDR]`, `--help` and exit codes (see crates/README.md, Conventions);
/// the help text is this crate's Cargo.toml description. The listing's
/// address is in its `sendto` line.
fn main() -> ExitCode {
    program::main(listing_support::about!(), DefaultAddr::Fixed(ADDR), run)
}

/// The listing's address, from `s.sendto(…, ('127.0.0.1',8888))`.
const ADDR: &str = "127.0.0.1:8888";
/// The largest UDP datagram: the receive buffer takes any whole.
const MAX_DATAGRAM: usize = 65_536;
/// How long to wait for the reply (the listing waits forever).
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);

/// Any port of `server`'s family (IPv4 or IPv6), to bind a socket that
/// can send to it.
fn any_port(server: SocketAddr) -> SocketAddr {
    match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    }
}

/// Why no reply came. "Port unreachable" (no server there) is
/// `ConnectionRefused` on Linux and macOS and `ConnectionReset`
/// (WSAECONNRESET) on Windows.
fn no_reply(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            format!("{} 秒内没有回复", REPLY_TIMEOUT.as_secs())
        }
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset => {
            "那里没有 UDP 服务器 (port unreachable)".to_string()
        }
        _ => error.to_string(),
    }
}
