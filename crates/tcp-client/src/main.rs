//! tcp-client: `listings/tcp_client.py` (教程「创建TCP客户端」) line for line
//! in Rust, with the listing's undefined-name bug fixed (one socket).
//!
//! Connects, asks for one line, sends it, and prints the reply. Run its
//! partner first, in another terminal:
//!
//! ```text
//! cargo run -p hello-server          # terminal 1: the server
//! cargo run -p tcp-client            # terminal 2: type a line, see the reply
//! ```
//!
//! or watch both at once with `cargo xtask demo tcp`.
//!
//! Default address `127.0.0.1:8080`; the first argument overrides it
//! (`tcp-client 127.0.0.1:40123`). Where it differs from the listing (the
//! socket fix, the end of the request, the reply timeout) and why: this
//! crate's README, "Differences from the tutorial".

// py: import  socket					#导入socket模块
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use listing_support::builtins::{decode_all, input, print};
use listing_support::program::{self, DefaultAddr, Failure, HostPort, OrFail, END_OF_INPUT};

// py: host='127.0.0.1'				#主机IP
// py: port=8080						#端口号
// The first argument may name another address (see `main`, at the end).
const ADDR: &str = "127.0.0.1:8080";

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: web=socket.socket()				#创建socket对象
    // py: s.connect((host,port))			#主动初始化TCP连接
    // The listing creates `web` but connects `s`, a name it never defined,
    // and dies of a NameError. Here one socket, `s`, is created and
    // connected by one call.
    let addrs = host_port.resolve()?;
    let mut s = TcpStream::connect(&addrs[..]).or_fail(|| format!("无法连接 {host_port}"))?;
    // py: send_data=input("请输入要发送的数据")
    let Some(send_data) = input("请输入要发送的数据")? else {
        return Err(Failure::runtime(
            format!(
            "标准输入已结束 ({END_OF_INPUT})，没有读到要发送的数据 (stdin ended before a line was typed)",
        ),
        ));
    };
    // py: s.send(send_data.encode())
    s.write_all(&send_data)
        .or_fail(|| format!("向 {host_port} 发送失败"))?;
    // Say that nothing more is coming. Without it an empty line sends
    // nothing, and the server and this client wait for each other forever.
    let _ = s.shutdown(Shutdown::Write);
    // py: #接收对方发送过来的数据,最大接收1024个字节
    // py: recvData=s.recv(1024).decode()
    // Up to 1024 bytes or the end of the stream, waiting at most
    // `REPLY_TIMEOUT` for each piece (the listing waits forever). `error`
    // is what stopped the reading, if anything did.
    let mut reply = [0u8; 1024];
    let mut length = 0;
    let mut error = s.set_read_timeout(Some(REPLY_TIMEOUT)).err();
    while error.is_none() && length < reply.len() {
        match s.read(&mut reply[length..]) {
            Ok(0) => break,
            Ok(read) => length += read,
            Err(stopped) if stopped.kind() == io::ErrorKind::Interrupted => {}
            Err(stopped) => error = Some(stopped),
        }
    }
    if length == 0 {
        if let Some(error) = error {
            return Err(reply_failure(&host_port, &error));
        }
    }
    let recv_data = decode_all(&reply[..length]);
    // py: print('接收到的数据为:',recvData)
    print(&["接收到的数据为:", &recv_data])?;
    // A reply cut short by a reset or the timeout is printed, then reported.
    if let Some(error) = error {
        return Err(reply_failure(&host_port, &error));
    }
    // py: s.close()						#关闭套接字
    drop(s);
    Ok(())
}

/// `[ADDR]`, `--help` and exit codes (see crates/README.md, Conventions);
/// the help text is this crate's Cargo.toml description.
fn main() -> ExitCode {
    program::main(listing_support::about!(), DefaultAddr::Fixed(ADDR), run)
}

/// How long to wait for the reply (the listing waits forever).
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);

fn reply_failure(host_port: &HostPort, error: &io::Error) -> Failure {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Failure::runtime(format!(
            "{host_port} 在 {} 秒内没有回复完 (no complete reply in time)",
            REPLY_TIMEOUT.as_secs()
        )),
        _ => Failure::io(format_args!("读取 {host_port} 的回复失败"), error),
    }
}
