//! The bench's reference: the listing's loop in std Rust, blocking calls,
//! nothing else (no time limits, no threads, no care for slow clients).
//! `cargo xtask bench` measures hello-server against it: what this costs
//! per request is the least that a server of the listing's design can
//! cost. Not a program for readers: one slow client stops it for everyone,
//! and any error ends it.
//!
//! `bare-loop [ADDR]` (default `127.0.0.1:0`); its first stderr line is
//! `listening on <addr>`, as the six programs write it.

use std::io::{self, Read, Write};
use std::net::TcpListener;

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1);
    let web = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:0"))?;
    eprintln!("listening on {}", web.local_addr()?);
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "服务器等待客户端连接...")?;
    loop {
        let (mut conn, _addr) = web.accept()?;
        let mut data = [0u8; 1024];
        let length = conn.read(&mut data)?;
        // print(data): one line, written at once (stdout is line-buffered).
        writeln!(stdout, "b'{}'", data[..length].escape_ascii())?;
        conn.write_all(b"HTTP/1.1 200 OK\r\n\r\nhello world")?;
    }
}
