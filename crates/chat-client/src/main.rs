//! chat-client: `listings/chat_client.py` (教程「执行TCP服务器和客户端」客户端)
//! line for line in Rust.
//!
//! Connects to chat-server, then chats on two threads: `read` prints each
//! message that arrives, `write` sends each line you type. Type `0`, or
//! press Ctrl-D (Windows: Ctrl-Z, then Enter), to end. Start the server
//! first, in another terminal:
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
//! a chat ends, a time limit on connecting) and why: this crate's README, "Differences from the
//! tutorial".

// py: import socket
// py: import threading
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;

use listing_support::builtins::{input, print, TextDecoder};
use listing_support::chat::{Conversation, Threads};
use listing_support::program::{
    self, connect_each, DefaultAddr, Failure, HostPort, OrFail, CONNECT_TIMEOUT,
};

// py: s=socket.socket()
// std creates and connects the socket in one call,
// `TcpStream::connect_timeout` in `run` below.
// py: host=socket.gethostname()
// py: port=12345
// With no address on the command line, the host is this machine's name,
// from `gethostname()` (see `main`, at the end), and the port is this.
const PORT: u16 = 12345;

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: s.connect((host,port))
    // Tried on each address the name resolves to, giving up on one after
    // `CONNECT_TIMEOUT` (the OS alone waits two minutes).
    let addrs = host_port.resolve()?;
    let s = connect_each(
        &host_port,
        &addrs,
        "chat-server",
        CHAT_SERVER_BUSY,
        |addr| TcpStream::connect_timeout(addr, CONNECT_TIMEOUT),
    )?;
    let peer = s
        .peer_addr()
        .or_fail(|| format!("无法读取 {host_port} 的地址"))?;
    // py: print('已连接')
    print(&["已连接"])?;
    // The rest is the listing's `if __name__ == '__main__':` block, below
    // the two thread classes as in the listing.
    start_threads(s, Conversation::new(peer))
}

// py: class read(threading.Thread):
// py:     def run(self):
fn read(mut s: TcpStream, chat: &Conversation) -> Result<(), Failure> {
    let mut decoder = TextDecoder::new();
    let mut buffer = [0u8; 2014];
    // py:         while True:
    loop {
        // py:             recvData = s.recv(2014).decode()
        // 0 bytes: the server has gone (the listing prints empty messages
        // forever instead). A character cut by the 2014 bytes waits for
        // its rest; bytes that are not text print as `\xNN`.
        let recv_data = match s.read(&mut buffer) {
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
}

// py: class write(threading.Thread):
// py:     def run(self):
fn write(mut s: TcpStream, chat: &Conversation) -> Result<(), Failure> {
    // py:         while True:
    // py:             send_data = input('请输入要发送的数据:')
    // `None`: stdin ended (Ctrl-D; on Windows Ctrl-Z, then Enter), where
    // the listing's thread dies of an EOFError. It ends the chat here.
    while let Some(send_data) = input("请输入要发送的数据:")? {
        // py:             s.send(send_data.encode())
        // All of it; an empty line sends nothing, as in the listing. A
        // server that has gone ends the chat.
        if let Err(error) = s.write_all(&send_data) {
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
    // py:         s.close()
    // Both directions at once: we do not wait for the server, which in the
    // listing never closes its side. The chat is marked as ended first, so
    // that the `read` thread ends quietly; a failed shutdown means the
    // connection is already gone.
    chat.end();
    let _ = s.shutdown(Shutdown::Both);
    Ok(())
}

// py: if __name__ == '__main__':
// py:     read = read()
// py:     write = write()
// py:     write.start()
// py:     read.start()
fn start_threads(s: TcpStream, chat: Conversation) -> Result<(), Failure> {
    // Each thread gets its own handle on the one socket, as both of the
    // listing's threads use `s`.
    let for_read = s.try_clone().or_fail(|| "无法复制套接字")?;
    let chat = Arc::new(chat);
    let for_write = Arc::clone(&chat);
    let threads = Threads::new();
    threads.start("write", move || write(s, &for_write))?;
    threads.start("read", move || read(for_read, &chat))?;
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

/// chat-server takes one client, then stops listening: a refusal may also
/// mean that it is already chatting with someone.
const CHAT_SERVER_BUSY: &str = "；如果 chat-server 已经在运行，它可能正在和另一个客户端聊天：\
    它一次只接受一个客户端 (if it runs, it may be chatting with another client: it takes one)";
