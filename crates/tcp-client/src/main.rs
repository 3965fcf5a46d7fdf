//! tcp-client：教程「创建TCP客户端」里 tcp_client.py 的 Rust 版，逐行对照（教程程序
//! 用了没有定义的 s，这里只有一个套接字 s）。连接服务器，读一行，发送，打印回复。
//! 先在另一个终端里启动服务器：
//!
//! ```text
//! cargo run -p hello-server     # 终端 1：服务器
//! cargo run -p tcp-client       # 终端 2：输入一行，看回复
//! cargo xtask demo tcp          # 或者一条命令看到两边
//! ```
//!
//! 与教程程序的不同及原因：本 crate 的 README.md。

// py: import  socket					#导入socket模块
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use listing_support::{
    builtins::{input_bytes, print},
    console::warn,
    printable::printable,
    program::{self, connect_each, nothing_typed, timed_out, HostPort, CONNECT_TIMEOUT},
    stop::{OrFail, Stop},
};

// py: host='127.0.0.1'				#主机IP
// py: port=8080						#端口号
// 命令行的第一个参数可以换一个地址（见文末的 main）
const ADDR: &str = "127.0.0.1:8080";

fn run(addr: HostPort) -> Result<(), Stop> {
    // py: web=socket.socket()				#创建socket对象
    // py: s.connect((host,port))			#主动初始化TCP连接
    // 教程程序创建了 web，连接的却是没有定义的 s（NameError）。这里只有一个 s，
    // 创建和连接是同一个调用；名字的每个地址都试一下，每个最多等 10 秒
    let mut s =
        connect_each(&addr, "hello-server", |at| TcpStream::connect_timeout(at, CONNECT_TIMEOUT))?;
    let connected = Instant::now();
    // py: send_data=input("请输入要发送的数据")
    let send_data =
        input_bytes("请输入要发送的数据")?.ok_or_else(|| nothing_typed("要发送的数据"))?;
    // py: s.send(send_data.encode())
    s.write_all(&send_data).or_else(|error| no_reply(&addr, error, connected))?;
    // 告诉服务器不会再发了：否则空行什么也不发，两边会一直互相等待
    let _ = s.shutdown(Shutdown::Write);
    // py: #接收对方发送过来的数据,最大接收1024个字节
    // py: recvData=s.recv(1024).decode()
    // 和一次 recv 一样读一次：最先到达的最多 1024 个字节，到了就打印
    let mut reply = [0u8; 1024];
    let length = patiently(&addr, connected, |wait| {
        s.set_read_timeout(Some(wait)).and_then(|()| s.read(&mut reply))
    })?;
    let recv_data = printable(&reply[..length]);
    // py: print('接收到的数据为:',recvData)
    print(&["接收到的数据为:", &recv_data])?;
    // py: s.close()						#关闭套接字
    drop(s);
    // 服务器一个字节也没回就关闭了连接：stdout 和教程的一样，但这不算成功
    replied(length, &addr, connected)
}

/// 命令行参数 `[ADDR]`、`--help`（帮助的说明来自本 crate 的 Cargo.toml）和退出码。
fn main() -> ExitCode {
    program::main(listing_support::about!(), ADDR, run)
}

/// 什么时候说一声还在等回复（第 3 秒，然后每 15 秒），什么时候放弃：服务器那头可能是一个
/// 正在打字的人（`nc -l`），所以等得久一些
const NOTES: [u64; 4] = [3, 18, 33, 48];
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

/// 反复调用 `read`（参数是这一次最多等多久），直到它读到东西；其间不时在 stderr 上说还在等，
/// `GIVE_UP_AFTER` 之后放弃（教程程序会一直等下去）
fn patiently(
    addr: &HostPort,
    connected: Instant,
    mut read: impl FnMut(Duration) -> io::Result<usize>,
) -> Result<usize, Stop> {
    let started = Instant::now();
    for note in NOTES.map(Duration::from_secs).into_iter().chain([GIVE_UP_AFTER]) {
        loop {
            // 时限不能是 0：set_read_timeout 不接受
            let wait = note.saturating_sub(started.elapsed()).max(Duration::from_millis(1));
            match read(wait) {
                Ok(length) => return Ok(length),
                Err(error) if timed_out(&error) && started.elapsed() >= note => break,
                Err(error) if timed_out(&error) || error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return no_reply(addr, error, connected),
            }
        }
        if note < GIVE_UP_AFTER {
            let (waited, most) = (note.as_secs(), GIVE_UP_AFTER.as_secs());
            warn(format!("已等待 {waited} 秒，还在等待 {addr} 的回复，最多等 {most} 秒 (still waiting for a reply)"));
        }
    }
    let gave_up =
        io::Error::new(io::ErrorKind::TimedOut, "60 秒内没有回复，不再等待 (no reply in 60 s)");
    Err(gave_up).or_fail(|| addr)
}

/// 服务器回复了吗：读到 0 个字节，就是一个字节也没回就关闭了连接
fn replied(length: usize, addr: &HostPort, connected: Instant) -> Result<(), Stop> {
    match length {
        0 => no_reply(addr, io::Error::from(io::ErrorKind::UnexpectedEof), connected),
        _ => Ok(()),
    }
}

/// 服务器没有回复就关闭（或重置）了连接。连上之后过了 30 秒以上才输入完的话，服务器可能已经
/// 等不及了（hello-server 最多等 60 秒）：那就这样告诉读者
fn no_reply<T>(addr: &HostPort, error: io::Error, connected: Instant) -> Result<T, Stop> {
    let typing = connected.elapsed().as_secs();
    let slow = match typing >= 30 {
        true => format!(
            "\n  从连接到输入完用了 {typing} 秒，服务器可能等不及，已经关闭了连接；\
             \n  请重新运行，连接后尽快输入 (it took {typing} s: the server may have given up)"
        ),
        false => String::new(),
    };
    let closed = "没有回复就关闭了连接 (the server closed the connection without a reply)";
    Err(error).or_fail(|| format!("{addr} {closed}")).map_err(|stop| stop.and(&slow))
}
