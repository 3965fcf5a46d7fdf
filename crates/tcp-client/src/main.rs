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

use py_builtins::cli::{self, DefaultAddr, Failure, HostPort, Program};
use py_builtins::input::input;
use py_builtins::text::decode_all;

// py: host='127.0.0.1'				#主机IP
// py: port=8080						#端口号
const PROGRAM: Program = Program {
    name: "tcp-client",
    summary: "tcp-client: 教程 tcp_client.py 的 Rust 版，发送一行并打印回复 \
              (the tutorial's tcp_client.py in Rust)",
    addr_role: "要连接的服务器地址 / server address to connect to",
    default_addr: DefaultAddr::Fixed("127.0.0.1:8080"),
};

/// The most `recv(1024)` returns.
const REPLY_LIMIT: usize = 1024;
/// How long to wait for the reply (the listing waits forever).
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);

fn main() -> ExitCode {
    cli::main(&PROGRAM, run)
}

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: web=socket.socket()				#创建socket对象
    // py: s.connect((host,port))			#主动初始化TCP连接
    // The listing creates `web` but connects `s`, a name it never defined,
    // and dies of a NameError. Here one socket, `s`, is created and
    // connected by one call.
    let addrs = host_port.resolve()?;
    let mut s = TcpStream::connect(&addrs[..])
        .map_err(|error| Failure::runtime(format!("无法连接 {host_port}: {error}")))?;
    // py: send_data=input("请输入要发送的数据")
    let Some(send_data) = input("请输入要发送的数据")? else {
        return Err(Failure::runtime(
            "标准输入已结束，没有读到要发送的数据 (stdin ended before a line was typed)",
        ));
    };
    // py: s.send(send_data.encode())
    s.write_all(&send_data)
        .map_err(|error| Failure::runtime(format!("向 {host_port} 发送失败: {error}")))?;
    // Say that nothing more is coming. Without it an empty line sends
    // nothing, and the server and this client wait for each other forever.
    let _ = s.shutdown(Shutdown::Write);
    // py: #接收对方发送过来的数据,最大接收1024个字节
    // py: recvData=s.recv(1024).decode()
    let (reply, error) = receive_reply(&s);
    if reply.is_empty() {
        if let Some(error) = error {
            return Err(reply_failure(&host_port, &error));
        }
    }
    let recv_data = decode_all(&reply);
    // py: print('接收到的数据为:',recvData)
    cli::print_line(&format!("接收到的数据为: {recv_data}"))?;
    // A reply cut short by a reset or the timeout is printed, then reported.
    if let Some(error) = error {
        return Err(reply_failure(&host_port, &error));
    }
    // py: s.close()						#关闭套接字
    drop(s);
    Ok(())
}

/// Reads the reply: up to `REPLY_LIMIT` bytes or the end of the stream,
/// waiting at most `REPLY_TIMEOUT` for each piece. Returns what came, and
/// the error that stopped the reading, if one did.
fn receive_reply(s: &TcpStream) -> (Vec<u8>, Option<io::Error>) {
    let mut reply = vec![0u8; REPLY_LIMIT];
    let mut received = 0;
    let mut stopped_by = s.set_read_timeout(Some(REPLY_TIMEOUT)).err();
    let mut reader = s;
    while stopped_by.is_none() && received < REPLY_LIMIT {
        match reader.read(&mut reply[received..]) {
            Ok(0) => break,
            Ok(read) => received += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => stopped_by = Some(error),
        }
    }
    reply.truncate(received);
    (reply, stopped_by)
}

fn reply_failure(host_port: &HostPort, error: &io::Error) -> Failure {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Failure::runtime(format!(
            "{host_port} 在 {} 秒内没有回复完 (no complete reply in time)",
            REPLY_TIMEOUT.as_secs()
        )),
        _ => Failure::runtime(format!("读取 {host_port} 的回复失败: {error}")),
    }
}
