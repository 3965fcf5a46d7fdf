//! hello-server: `listings/hello_server.py` (教程「TCP编程」) line for line in Rust.
//!
//! A TCP server that prints each request it receives, as Python's
//! `print(data)` shows bytes, and answers every connection with
//! `HTTP/1.1 200 OK\r\n\r\nhello world`. Run it, then open
//! <http://127.0.0.1:8080> in a browser, or run its partner in a second terminal:
//!
//! ```text
//! cargo run -p hello-server          # terminal 1: the server
//! cargo run -p tcp-client            # terminal 2: type a line, see the reply
//! curl http://127.0.0.1:8080/        # or any HTTP client
//! ```
//!
//! or watch both at once with `cargo xtask demo hello`.
//!
//! Default address `127.0.0.1:8080`; the first argument overrides it
//! (`hello-server 127.0.0.1:0` takes any free port). Its first stderr line,
//! `listening on <addr>`, says where it listens.
//!
//! The loop below is the listing's. A request that is there when its
//! connection is accepted is answered on this thread, as in the listing; a
//! client still silent (a person typing, a browser's idle socket) or still
//! sending (an upload) is finished on a thread of its own, so that it
//! delays nobody (`waiting.rs`). Where it differs from the listing and why:
//! this crate's README, "Differences from the tutorial".

// py: import  socket					#导入socket模块
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use listing_support::builtins::{bytes_repr, print};
use listing_support::program::{self, DefaultAddr, Failure, HostPort, OrFail};

// py: host='127.0.0.1'				#主机IP
// py: port=8080						#端口号
// The first argument may name another address (see `main`, at the end).
const ADDR: &str = "127.0.0.1:8080";

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: web=socket.socket()				#创建socket对象
    // std creates the socket inside `TcpListener::bind`, below.
    // py: web.bind((host,port))			#绑定端口
    // py: web.listen(5)					#设置最多连接数
    // std binds and listens in one call, with its own backlog in place of 5.
    let addrs = host_port.resolve()?;
    let web = TcpListener::bind(&addrs[..]).or_fail(|| format!("无法绑定 {host_port}"))?;
    // The readiness line on stderr, for tests and `cargo xtask demo`.
    let bound = web
        .local_addr()
        .or_fail(|| format!("无法读取 {host_port} 的监听地址"))?;
    program::listening_on(bound);
    // py: print('服务器等待客户端连接...')
    print(&["服务器等待客户端连接..."])?;
    // The clients that wait on threads of their own, bounded in number.
    let waiting = Waiting::default();
    // py: while True:
    loop {
        // py:     conn,addr=web.accept()		#建立客户端连接
        let (mut conn, addr) = match web.accept() {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, say: report, pause briefly so
                // the loop does not spin, and keep serving.
                program::warn(format!("接受连接失败: {error}"));
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        // py:     data=conn.recv(1024)		#获取客户端请求数据
        // Take only what has already arrived: a client whose request is not
        // there yet waits on a thread of its own (waiting.rs), so that it
        // delays nobody. The listing waits for it, and everyone with it.
        if let Err(error) = conn.set_nonblocking(true) {
            report(addr, "读取请求", &error);
            continue;
        }
        let mut buffer = [0u8; 1024];
        let mut received = conn.read(&mut buffer);
        if matches!(&received, Err(error) if error.kind() == io::ErrorKind::WouldBlock) {
            // A client usually writes its request a few microseconds after
            // its connect returns: give it that moment before a thread.
            thread::yield_now();
            received = conn.read(&mut buffer);
        }
        let data = match received {
            Ok(length) => &buffer[..length],
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                waiting.wait_for_request(conn, addr);
                continue;
            }
            Err(error) => {
                report(addr, "读取请求", &error);
                continue;
            }
        };
        // py:     print(data)					#打印接受到的数据
        print(&[&bytes_repr(data)])?;
        // py:     conn.sendall(b'HTTP/1.1 200 OK\r\n\r\nhello world')		#向客户端发送数据
        // 30 bytes into a fresh socket's empty send buffer: a non-blocking
        // write takes them all at once.
        if let Err(error) = conn.write_all(b"HTTP/1.1 200 OK\r\n\r\nhello world") {
            report(addr, "发送回复", &error);
            continue;
        }
        // py:     conn.close()				#关闭连接
        // Closing with unread input would reset the connection: a request
        // that may be longer than what was read is closed off this thread,
        // once the client has stopped sending (waiting.rs).
        if may_have_unread_input(data, buffer.len()) {
            waiting.close_after_reading_the_rest(conn, addr);
        } else {
            drop(conn);
        }
    }
    // py: web.close()
    // The loop above never ends, as in the listing: `web` closes when the
    // process exits.
}

/// Clients that wait, or are read to their end, on threads of their own.
mod waiting;
use waiting::Waiting;

/// `[ADDR]`, `--help` and exit codes (see crates/README.md, Conventions);
/// the help text is this crate's Cargo.toml description.
fn main() -> ExitCode {
    program::main(listing_support::about!(), DefaultAddr::Fixed(ADDR), run)
}

/// A request was read whole if the client ended its stream, or the read
/// did not fill the buffer and ended with the blank line that ends HTTP
/// headers, and those headers announce no body still on its way.
fn may_have_unread_input(data: &[u8], capacity: usize) -> bool {
    if data.is_empty() {
        return false;
    }
    let ends_headers = data.ends_with(b"\r\n\r\n") || data.ends_with(b"\n\n");
    data.len() >= capacity || !ends_headers || announces_body(data)
}

/// Whether the headers announce a body: `Content-Length` other than 0, or
/// `Transfer-Encoding`.
fn announces_body(headers: &[u8]) -> bool {
    headers.split(|&byte| byte == b'\n').any(|line| {
        let starts =
            |name: &[u8]| line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name);
        if starts(b"content-length:") {
            line[b"content-length:".len()..].trim_ascii() != b"0"
        } else {
            starts(b"transfer-encoding:")
        }
    })
}

/// Reports on stderr what went wrong with one client; the server goes on.
fn report(addr: SocketAddr, step: &str, error: &io::Error) {
    program::warn(format!("与 {addr} 的连接: {step}失败: {error}"));
}

#[cfg(test)]
mod tests {
    use super::may_have_unread_input;

    #[test]
    fn only_a_complete_short_request_closes_at_once() {
        assert!(!may_have_unread_input(b"GET / HTTP/1.1\r\n\r\n", 1024));
        assert!(!may_have_unread_input(b"", 1024));
        assert!(!may_have_unread_input(b"hi\n\n", 1024));
        assert!(may_have_unread_input(b"GET / HTTP/1.1\r\nHost: x", 1024));
        assert!(may_have_unread_input(b"hello", 1024));
        assert!(may_have_unread_input(&[b'\n'; 1024], 1024));
    }

    #[test]
    fn headers_that_announce_a_body_wait_for_it() {
        assert!(may_have_unread_input(
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
            1024
        ));
        assert!(may_have_unread_input(
            b"POST / HTTP/1.1\r\ncontent-length:12\r\n\r\n",
            1024
        ));
        assert!(may_have_unread_input(
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            1024
        ));
        assert!(!may_have_unread_input(
            b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            1024
        ));
    }
}
