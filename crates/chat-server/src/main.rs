//! chat-server: `listings/chat_server.py` (教程「执行TCP服务器和客户端」服务器端)
//! line for line in Rust.
//!
//! Accepts one client, then chats with it on two threads: `read` prints
//! each message that arrives, `write` sends each line you type. Type `0`,
//! or press Ctrl-D (Windows: Ctrl-Z, then Enter), to end.
//! Run its partner in a second terminal:
//!
//! ```text
//! cargo run -p chat-server           # terminal 1: waits for the client
//! cargo run -p chat-client           # terminal 2: then type on either side
//! ```
//!
//! or watch a scripted chat with `cargo xtask demo chat`.
//!
//! Default address: this machine's host name (as `socket.gethostname()`
//! gives it) with port 12345; the first argument overrides it
//! (`chat-server 127.0.0.1:0` takes any free port). Its first stderr line,
//! `listening on <addr>`, says where it listens. Where it differs from the
//! listing (how a chat ends, a second client) and why: this crate's README,
//! "Differences from the tutorial".

// py: import socket
// py: import threading
// py: import time
// `time` is imported by the listing but never used.
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;

use listing_support::builtins::{input, print, TextDecoder};
use listing_support::chat::{Conversation, Threads};
use listing_support::program::{self, DefaultAddr, Failure, HostPort, OrFail};

// py: host=socket.gethostname()
// py: port=12345
// With no address on the command line, the host is this machine's name,
// from `gethostname()` (see `main`, at the end), and the port is this.
const PORT: u16 = 12345;

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: s=socket.socket(socket.AF_INET,socket.SOCK_STREAM)
    // py: s.bind((host,port))
    // py: s.listen(5)
    // std creates, binds and listens in one call, with its own backlog.
    let addrs = host_port.resolve()?;
    let s = TcpListener::bind(&addrs[..]).or_fail(|| format!("无法绑定 {host_port}"))?;
    // The readiness line on stderr, for tests and `cargo xtask demo`.
    let local_addr = program::listening_on(s.local_addr())?;
    // py: sock,addr=s.accept()
    let (sock, addr) = s
        .accept()
        .or_fail(|| format!("在 {local_addr} 上接受连接失败"))?;
    // The listing never closes `s`, so a second client connects and hangs
    // unserved. Closing it before the banner makes a second client refused.
    drop(s);
    // py: print('连接已经建立')
    print(&["连接已经建立"])?;
    // The rest is the listing's `if __name__ == '__main__':` block, below
    // the two thread classes as in the listing.
    start_threads(sock, Conversation::new(addr))
}

// py: class read(threading.Thread):
// py:     def run(self):
fn read(mut sock: TcpStream, chat: &Conversation) -> Result<(), Failure> {
    let mut decoder = TextDecoder::new();
    let mut buffer = [0u8; 2014];
    // py:         while True:
    loop {
        // py:             recvData =sock.recv(2014).decode()
        // 0 bytes: the client has gone (the listing prints empty messages
        // forever instead). A character cut by the 2014 bytes waits for
        // its rest; bytes that are not text print as `\xNN`.
        let recv_data = match sock.read(&mut buffer) {
            Ok(0) if decoder.has_pending() => decoder.finish(),
            Ok(0) => return chat.peer_closed(),
            Ok(length) => decoder.decode(&buffer[..length]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return chat.recv_failed(&error),
        };
        if recv_data.is_empty() {
            continue; // only the start of a character came: read its rest
        }
        // py:             print('接收到的数据为:', recvData)
        print(&["接收到的数据为:", &recv_data])?;
    }
    // py:         s.close()
    // Never reached in the listing (the loop has no way out); here the
    // listener was closed right after `accept`.
}

// py: class write(threading.Thread):
// py:     def run(self):
fn write(mut sock: TcpStream, chat: &Conversation) -> Result<(), Failure> {
    // py:         while True:
    // py:             send_data = input('请输入要发送的数据:')
    // `None`: stdin ended (Ctrl-D; on Windows Ctrl-Z, then Enter), where
    // the listing's thread dies of an EOFError. It ends the chat here.
    while let Some(send_data) = input("请输入要发送的数据:")? {
        // py:             sock.send(send_data.encode())
        // All of it; an empty line sends nothing, as in the listing. A
        // client that has gone ends the chat.
        if let Err(error) = sock.write_all(&send_data) {
            return chat.send_failed(&error);
        }
        // py:             if send_data == 0:
        // py:                 break
        // The listing compares the text with the number 0, which is never
        // equal; typing `0` is what it means.
        if send_data == b"0" {
            break;
        }
    }
    // py:         sock.close()
    // Both directions at once: we do not wait for the client, which in the
    // listing never closes its side. The chat is marked as ended first, so
    // that the `read` thread ends quietly; a failed shutdown means the
    // connection is already gone.
    chat.end();
    let _ = sock.shutdown(Shutdown::Both);
    Ok(())
}

// py: if __name__ == '__main__':
// py:     read =read()
// py:     write = write()
// py:     read.start()
// py:     write.start()
fn start_threads(sock: TcpStream, chat: Conversation) -> Result<(), Failure> {
    // Each thread gets its own handle on the one socket, as both of the
    // listing's threads use `sock`.
    let for_write = sock.try_clone().or_fail(|| "无法复制套接字")?;
    let chat = Arc::new(chat);
    let for_read = Arc::clone(&chat);
    let threads = Threads::new();
    threads.start("read", move || read(sock, &for_read))?;
    threads.start("write", move || write(for_write, &chat))?;
    // py:     resave.join()
    // `resave` is a name the listing never defined (a NameError): there is
    // nothing to wait for here.
    // py:     read.join()
    // py:     write.join()
    // The chat is over when either thread ends it; the other may be blocked
    // reading stdin, which cannot be interrupted, so it is not waited for.
    threads.first_done()
}

/// `[ADDR]`, `--help` and exit codes (see crates/README.md, Conventions);
/// the help text is this crate's Cargo.toml description. With no address,
/// the host is `socket.gethostname()`, as in the listing.
fn main() -> ExitCode {
    program::main(
        listing_support::about!(),
        DefaultAddr::Hostname { port: PORT },
        run,
    )
}
