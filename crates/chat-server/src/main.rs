//! chat-server: `listings/chat_server.py` (教程「执行TCP服务器和客户端」服务器端)
//! line for line in Rust.
//!
//! Accepts one client, then chats with it on two threads: `read` prints
//! each message that arrives, `write` sends each line you type. Type `0` or
//! press Ctrl-D to end. Run its partner in a second terminal:
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
use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;

use py_builtins::chat::{print_received, Chat, Threads};
use py_builtins::cli::{self, DefaultAddr, Failure, HostPort, Program};
use py_builtins::input::input;
use py_builtins::text::TextDecoder;

// py: host=socket.gethostname()
// py: port=12345
const PROGRAM: Program = Program {
    name: "chat-server",
    summary: "chat-server: 教程 chat_server.py 的 Rust 版，接受一个客户端，两个线程收发消息 \
              (the tutorial's chat_server.py in Rust)",
    addr_role: "要监听的地址 / address to listen on",
    default_addr: DefaultAddr::Hostname { port: 12345 },
};

fn main() -> ExitCode {
    cli::main(&PROGRAM, run)
}

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: s=socket.socket(socket.AF_INET,socket.SOCK_STREAM)
    // py: s.bind((host,port))
    // py: s.listen(5)
    // std creates, binds and listens in one call, with its own backlog.
    // `cli::bind` then writes the readiness line on stderr, for tests and
    // `cargo xtask demo`.
    let (s, local_addr) = cli::bind(
        &host_port,
        |addrs| TcpListener::bind(addrs),
        TcpListener::local_addr,
    )?;
    // py: sock,addr=s.accept()
    let (sock, addr) = s
        .accept()
        .map_err(|error| Failure::runtime(format!("在 {local_addr} 上接受连接失败: {error}")))?;
    // The listing never closes `s`, so a second client connects and hangs
    // unserved. Closing it before the banner makes a second client refused.
    drop(s);
    // py: print('连接已经建立')
    cli::print_line("连接已经建立")?;
    // The rest is the listing's `if __name__ == '__main__':` block, below
    // the two thread classes as in the listing.
    start_threads(Chat::new(PROGRAM.name, sock, addr))
}

// py: class read(threading.Thread):
// py:     def run(self):
fn read(sock: &Chat) -> Result<(), Failure> {
    let mut decoder = TextDecoder::new();
    // py:         while True:
    loop {
        // py:             recvData =sock.recv(2014).decode()
        // `None`: the client has gone (the listing prints empty messages
        // forever instead). A character cut by the 2014 bytes waits for
        // its rest; bytes that are not text print as `\xNN`.
        let Some(recv_data) = sock.recv(&mut decoder)? else {
            return Ok(());
        };
        // py:             print('接收到的数据为:', recvData)
        print_received(&recv_data)?;
    }
    // py:         s.close()
    // Never reached in the listing (the loop has no way out); here the
    // listener was closed right after `accept`.
}

// py: class write(threading.Thread):
// py:     def run(self):
fn write(sock: &Chat) -> Result<(), Failure> {
    // py:         while True:
    // py:             send_data = input('请输入要发送的数据:')
    // `None`: stdin ended (Ctrl-D), where the listing's thread dies of an
    // EOFError. It ends the chat here.
    while let Some(send_data) = input("请输入要发送的数据:")? {
        // py:             sock.send(send_data.encode())
        sock.send(&send_data)?;
        // py:             if send_data == 0:
        // py:                 break
        // The listing compares the text with the number 0, which is never
        // equal; typing `0` is what it means.
        if send_data == b"0" {
            break;
        }
    }
    // py:         sock.close()
    sock.close();
    Ok(())
}

// py: if __name__ == '__main__':
// py:     read =read()
// py:     write = write()
// py:     read.start()
// py:     write.start()
fn start_threads(chat: Chat) -> Result<(), Failure> {
    let chat = Arc::new(chat);
    let threads = Threads::new();
    let for_read = Arc::clone(&chat);
    threads.start("read", move || read(&for_read))?;
    threads.start("write", move || write(&chat))?;
    // py:     resave.join()
    // `resave` is a name the listing never defined (a NameError): there is
    // nothing to wait for here.
    // py:     read.join()
    // py:     write.join()
    // The chat is over when either thread ends it; the other may be blocked
    // reading stdin, which cannot be interrupted, so it is not waited for.
    threads.first_done()
}
