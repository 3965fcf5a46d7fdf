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
//! socket fix, the end of the request, time limits on connecting and on the
//! reply) and why: this crate's README, "Differences from the tutorial".

// py: import  socket					#导入socket模块
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use listing_support::builtins::{decode_all, input, print};
use listing_support::program::{
    self, connect_each, warn, DefaultAddr, Failure, HostPort, OrFail, CONNECT_TIMEOUT, END_OF_INPUT,
};

// py: host='127.0.0.1'				#主机IP
// py: port=8080						#端口号
// The first argument may name another address (see `main`, at the end).
const ADDR: &str = "127.0.0.1:8080";

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: web=socket.socket()				#创建socket对象
    // py: s.connect((host,port))			#主动初始化TCP连接
    // The listing creates `web` but connects `s`, a name it never defined,
    // and dies of a NameError. Here one socket, `s`, is created and
    // connected by one call, tried on each address the name resolves to,
    // giving up on one after `CONNECT_TIMEOUT` (the OS waits two minutes).
    let addrs = host_port.resolve()?;
    let mut s = connect_each(&host_port, &addrs, "hello-server", "", |addr| {
        TcpStream::connect_timeout(addr, CONNECT_TIMEOUT)
    })?;
    // A server may not wait for ever for the line (hello-server waits a
    // minute): how long the typing took explains a close without a reply.
    let connected = Instant::now();
    // py: send_data=input("请输入要发送的数据")
    let Some(send_data) = input("请输入要发送的数据")? else {
        return Err(Failure::runtime(
            format!(
            "标准输入已结束 ({END_OF_INPUT})，没有读到要发送的数据 (stdin ended before a line was typed)",
        ),
        ));
    };
    let typing = connected.elapsed();
    // py: s.send(send_data.encode())
    // A server that has already closed (one that waits only so long for
    // a slow typist) fails the send: the same end as no reply at all.
    s.write_all(&send_data)
        .map_err(|error| match error.kind() {
            io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted => {
                closed_without_reply(&host_port, Some(&error), typing)
            }
            _ => Failure::io(format_args!("向 {host_port} 发送失败"), &error),
        })?;
    // Say that nothing more is coming. Without it an empty line sends
    // nothing, and the server and this client wait for each other forever.
    let _ = s.shutdown(Shutdown::Write);
    // py: #接收对方发送过来的数据,最大接收1024个字节
    // py: recvData=s.recv(1024).decode()
    // One read, as one `recv`: the first bytes that arrive (up to 1024),
    // printed at once, even if the server keeps its side open. While none
    // come, `Patience` says so now and then, and gives up after
    // `GIVE_UP_AFTER` (the listing waits forever).
    let mut reply = [0u8; 1024];
    let mut patience = Patience::new();
    let length = loop {
        s.set_read_timeout(Some(patience.until_next_note()))
            .or_fail(|| format!("无法设置 {host_port} 的读取时限"))?;
        match s.read(&mut reply) {
            Ok(0) => return Err(closed_without_reply(&host_port, None, typing)),
            Ok(length) => break length,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if program::timed_out(&error) => patience.still_waiting(&host_port)?,
            Err(error) => return Err(closed_without_reply(&host_port, Some(&error), typing)),
        }
    };
    let recv_data = decode_all(&reply[..length]);
    // py: print('接收到的数据为:',recvData)
    print(&["接收到的数据为:", &recv_data])?;
    // py: s.close()						#关闭套接字
    drop(s);
    Ok(())
}

/// `[ADDR]`, `--help` and exit codes (see crates/README.md, Conventions);
/// the help text is this crate's Cargo.toml description.
fn main() -> ExitCode {
    program::main(listing_support::about!(), DefaultAddr::Fixed(ADDR), run)
}

/// When to say that no reply has come yet: after `FIRST_NOTE`, then every
/// `NOTE_EVERY`; and when to give up. A person may be the server (`nc -l`),
/// so the limit is generous.
const FIRST_NOTE: Duration = Duration::from_secs(3);
const NOTE_EVERY: Duration = Duration::from_secs(15);
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

/// How long we have waited for the reply, and when to say so next.
struct Patience {
    started: Instant,
    next_note: Duration,
}

impl Patience {
    fn new() -> Patience {
        Patience {
            started: Instant::now(),
            next_note: FIRST_NOTE,
        }
    }

    /// How long the next read may wait: until the next note, or the end.
    fn until_next_note(&self) -> Duration {
        let until = self.next_note.min(GIVE_UP_AFTER);
        // A zero timeout is an error for `set_read_timeout`.
        until
            .saturating_sub(self.started.elapsed())
            .max(Duration::from_millis(1))
    }

    /// A read timed out: a calm note on stderr, or, after `GIVE_UP_AFTER`,
    /// the failure that ends the program.
    fn still_waiting(&mut self, host_port: &HostPort) -> Result<(), Failure> {
        let waited = self.started.elapsed();
        if waited >= GIVE_UP_AFTER {
            return Err(Failure::runtime(format!(
                "{host_port} 在 {} 秒内没有回复，不再等待 (no reply in {} s)",
                GIVE_UP_AFTER.as_secs(),
                GIVE_UP_AFTER.as_secs()
            )));
        }
        if waited >= self.next_note {
            warn(format_args!(
                "已等待 {} 秒，还在等待 {host_port} 的回复，最多等 {} 秒 \
                 (still waiting for a reply from {host_port})",
                waited.as_secs(),
                GIVE_UP_AFTER.as_secs()
            ));
            self.next_note += NOTE_EVERY;
        }
        Ok(())
    }
}

/// Typing slower than this may outlast a server's patience.
const SLOW_TYPING: Duration = Duration::from_secs(30);

/// The server ended the connection (or reset it: `error`) before sending
/// a byte: an empty reply would look like success. `typing` is how long
/// the line took to type after connecting: long enough, and the server
/// may have given up waiting for it.
fn closed_without_reply(
    host_port: &HostPort,
    error: Option<&io::Error>,
    typing: Duration,
) -> Failure {
    let mut how = match error {
        None => String::new(),
        Some(error) => format!(": {error}"),
    };
    if typing >= SLOW_TYPING {
        how.push_str(&format!(
            "。从连接到输入完用了 {} 秒，服务器可能等不及，已经关闭了连接（hello-server 最多等 \
             60 秒）；请重新运行，连接后尽快输入 (it took {} s to type the line: the server may \
             have stopped waiting; run again and type sooner)",
            typing.as_secs(),
            typing.as_secs()
        ));
    }
    Failure::runtime(format!(
        "{host_port} 没有回复就关闭了连接 (the server closed the connection without a reply){how}"
    ))
}
