//! chat-client: `listings/chat_client.py` (教程「执行TCP服务器和客户端」客户端)
//! line for line in Rust.
//!
//! Connects to chat-server, then chats on two threads: `read` prints each
//! message that arrives, `write` sends each line you type. Type `0` or
//! press Ctrl-D to end. Start the server first, in another terminal:
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
//! (`chat-client 127.0.0.1:40123`). Where it differs from the listing (how
//! a chat ends) and why: this crate's README, "Differences from the
//! tutorial".

// py: import socket
// py: import threading
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::Arc;

use py_builtins::chat::{print_received, Chat, Threads};
use py_builtins::cli::{self, DefaultAddr, Failure, HostPort, Program};
use py_builtins::input::input;
use py_builtins::text::TextDecoder;

const PROGRAM: Program = Program {
    name: "chat-client",
    summary: "chat-client: 教程 chat_client.py 的 Rust 版，连接 chat-server，两个线程收发消息 \
              (the tutorial's chat_client.py in Rust)",
    addr_role: "chat-server 的地址 / chat-server's address",
    default_addr: DefaultAddr::Hostname { port: 12345 },
};

fn main() -> ExitCode {
    cli::main(&PROGRAM, run)
}

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: s=socket.socket()
    // py: host=socket.gethostname()
    // py: port=12345
    // py: s.connect((host,port))
    // std creates and connects the socket in one call; the host name and
    // port come from the command line or the listing's default.
    let addrs = host_port.resolve()?;
    let s = TcpStream::connect(&addrs[..])
        .map_err(|error| Failure::runtime(format!("无法连接 {host_port}: {error}")))?;
    let peer = s
        .peer_addr()
        .map_err(|error| Failure::runtime(format!("无法读取 {host_port} 的地址: {error}")))?;
    // py: print('已连接')
    cli::print_line("已连接")?;
    // The rest is the listing's `if __name__ == '__main__':` block, below
    // the two thread classes as in the listing.
    start_threads(Chat::new(PROGRAM.name, s, peer))
}

// py: class read(threading.Thread):
// py:     def run(self):
fn read(s: &Chat) -> Result<(), Failure> {
    let mut decoder = TextDecoder::new();
    // py:         while True:
    loop {
        // py:             recvData = s.recv(2014).decode()
        // `None`: the server has gone (the listing prints empty messages
        // forever instead). A character cut by the 2014 bytes waits for
        // its rest; bytes that are not text print as `\xNN`.
        let Some(recv_data) = s.recv(&mut decoder)? else {
            return Ok(());
        };
        // py:             print('接收到的数据为:', recvData)
        print_received(&recv_data)?;
    }
}

// py: class write(threading.Thread):
// py:     def run(self):
fn write(s: &Chat) -> Result<(), Failure> {
    // py:         while True:
    // py:             send_data = input('请输入要发送的数据:')
    // `None`: stdin ended (Ctrl-D), where the listing's thread dies of an
    // EOFError. It ends the chat here.
    while let Some(send_data) = input("请输入要发送的数据:")? {
        // py:             s.send(send_data.encode())
        s.send(&send_data)?;
        // py:             if send_data == 0:
        // py:                 break
        // The listing compares the text with the number 0, which is never
        // equal; typing `0` is what it means.
        if send_data == b"0" {
            break;
        }
    }
    // py:         s.close()
    s.close();
    Ok(())
}

// py: if __name__ == '__main__':
// py:     read = read()
// py:     write = write()
// py:     write.start()
// py:     read.start()
fn start_threads(chat: Chat) -> Result<(), Failure> {
    let chat = Arc::new(chat);
    let threads = Threads::new();
    let for_write = Arc::clone(&chat);
    threads.start("write", move || write(&for_write))?;
    threads.start("read", move || read(&chat))?;
    // py:     read.join()
    // py:     write.join()
    // The chat is over when either thread ends it; the other may be blocked
    // reading stdin, which cannot be interrupted, so it is not waited for.
    threads.first_done()
}
