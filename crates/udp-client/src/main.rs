//! udp-client：教程「UDP编程」里客户机 udp_client.py 的 Rust 版，逐行对照。
//! 读一个摄氏温度，用一个数据报发给 udp-server，打印回复。先在另一个终端里启动服务器：
//!
//! ```text
//! cargo run -p udp-server       # 终端 1：等一个温度
//! cargo run -p udp-client       # 终端 2：输入 37，看到 98.60000000000001
//! cargo xtask demo udp          # 或者一条命令看到两边
//! ```
//!
//! 与教程程序的不同及原因：本 crate 的 README.md。

// py: import socket
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use listing_support::{
    builtins::{input_bytes, print},
    printable::printable,
    program::{self, nothing_typed, timed_out, HostPort},
    stop::{OrFail, Stop},
};

fn run(addr: HostPort) -> Result<(), Stop> {
    // py: s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
    // std 在绑定时创建 UDP 套接字：任选一个端口，和 Python 第一次 sendto 时一样
    let s = UdpSocket::bind(any_port_for(&addr)?).or_fail(|| "无法创建 UDP 套接字")?;
    // py: data=input('请输入要转换的温度(单位:摄氏度):')
    let data = input_bytes("请输入要转换的温度(单位:摄氏度):")?
        .ok_or_else(|| nothing_typed("温度，什么也没有发送"))?;
    // py: s.sendto(data.encode(),('127.0.0.1',8888))
    // 先 connect：那里没有服务器时，「端口不可达」会作为错误回来，而不是一直沉默
    s.connect(&addr).and_then(|()| s.send(&data)).or_fail(|| format!("无法发送到 {addr}"))?;
    // py: print(s.recv(1024).decode())
    // 最多等 3 秒（教程程序会一直等）；收下整个数据报，和 recv(1024) 一样只留前 1024 个字节
    let mut reply = vec![0u8; 65_536];
    let received = s.set_read_timeout(Some(REPLY_TIMEOUT)).and_then(|()| s.recv(&mut reply));
    let length = received.or_else(|error| no_reply(&addr, error))?;
    print(&[&printable(&reply[..length.min(1024)])])?;
    // py: s.close()
    drop(s);
    Ok(())
}

/// 命令行参数 `[ADDR]`、`--help`（说明来自本 crate 的 Cargo.toml）和退出码；默认地址是教程
/// sendto 里的那个。
fn main() -> ExitCode {
    program::main(listing_support::about!(), "127.0.0.1:8888", run)
}

/// 最多等回复多久
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);

/// 和 `addr` 的第一个地址（connect 会用它）同一类（IPv4 或 IPv6）的任意端口
fn any_port_for(addr: &HostPort) -> Result<SocketAddr, Stop> {
    let first = addr.to_socket_addrs().or_fail(|| "")?.next();
    Ok(match first {
        Some(SocketAddr::V6(_)) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
        _ => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
    })
}

/// 为什么没有收到回复，以及这可能意味着什么。「端口不可达」（那里什么也没有）在 Linux 上是
/// `ConnectionRefused`，在 Windows 上是 `ConnectionReset`
fn no_reply<T>(addr: &HostPort, error: io::Error) -> Result<T, Stop> {
    let (error, what_to_do) = match error.kind() {
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset => (
            error,
            "\n  那里没有 UDP 服务器：请先启动 udp-server\n  (nothing listens there: start udp-server first)",
        ),
        _ if timed_out(&error) => (
            io::Error::new(io::ErrorKind::TimedOut, "3 秒内没有回复 (no reply in 3 s)"),
            "\n  udp-server 可能没在这个地址上运行，或者已经停止（比如崩溃了）\
             \n  (the server may not be running there, or may have stopped)",
        ),
        _ => (error, ""),
    };
    Err(error).or_fail(|| format!("没有收到 {addr} 的回复")).map_err(|stop| stop.and(what_to_do))
}
