//! chat-client：教程「执行TCP服务器和客户端」里客户端 chat_client.py 的 Rust 版，逐行
//! 对照。连上 chat-server，然后用两个线程聊天：read 打印收到的每条消息，write 发送你输入
//! 的每一行。输入 0（或者按 Ctrl-D，Windows 上 Ctrl-Z 再回车）结束。先在另一个终端里启动服务器：
//!
//! ```text
//! cargo run -p chat-server      # 终端 1：等客户端（默认 本机主机名:12345）
//! cargo run -p chat-client      # 终端 2：然后两边都可以输入
//! cargo xtask demo chat         # 或者看一段脚本演示的聊天
//! ```
//!
//! 与教程程序的不同及原因：本 crate 的 README.md。

// py: import socket
// py: import threading
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use listing_support::{
    builtins::{input_bytes, print},
    chat::Conversation,
    printable::PrintableDecoder,
    program::{self, connect_each, HostPort, CONNECT_TIMEOUT},
    stop::{OrFail, Stop},
};

// py: s=socket.socket()
// std 在下面的 TcpStream::connect_timeout 里创建套接字
// py: host=socket.gethostname()
// py: port=12345
// 命令行的第一个参数可以换一个地址（见文末的 main）
// （`socket.gethostname()` 这个主机名由 program::main 换成本机的名字）
const ADDR: &str = "socket.gethostname():12345";

fn run(addr: HostPort) -> Result<(), Stop> {
    // py: s.connect((host,port))
    // 名字的每个地址都试一下，每个最多等 10 秒
    let s =
        connect_each(&addr, "chat-server", |at| TcpStream::connect_timeout(at, CONNECT_TIMEOUT))?;
    // py: print('已连接')
    print(&["已连接"])?;
    // 接下来是教程的 if __name__ == '__main__': 部分，在下面两个线程类之后
    start_threads(s)
}

// py: class read(threading.Thread):
// py:     def run(self):
fn read(mut s: TcpStream, chat: &Conversation) -> Result<(), Stop> {
    let (mut buffer, mut text) = ([0u8; 2014], PrintableDecoder::default());
    // py:         while True:
    loop {
        // py:             recvData = s.recv(2014).decode()
        // 收到 0 个字节：服务器已经关闭（教程程序会不停地打印空消息）
        let recv_data = match s.read(&mut buffer) {
            Ok(0) => return chat.peer_closed(text.finish()),
            Ok(length) => text.decode(&buffer[..length]),
            Err(error) => return chat.failed("接收", error),
        };
        // py:             print('接收到的数据为:', recvData)
        // 一个字被 2014 字节切开时，先等它的后半
        if !recv_data.is_empty() {
            print(&["接收到的数据为:", &recv_data])?;
        }
    }
}

// py: class write(threading.Thread):
// py:     def run(self):
fn write(mut s: TcpStream, chat: &Conversation) -> Result<(), Stop> {
    // py:         while True:
    // py:             send_data = input('请输入要发送的数据:')
    // 输入结束（Ctrl-D）时教程的线程因 EOFError 死掉；这里它结束聊天
    while let Some(send_data) = input_bytes("请输入要发送的数据:")? {
        // py:             s.send(send_data.encode())
        if let Err(error) = s.write_all(&send_data) {
            return chat.failed("发送", error);
        }
        // py:             if send_data == 0:
        // py:                 break
        // 教程拿文字和数字 0 比较，永远不相等；它的意思是输入 0 就结束
        if send_data == b"0" {
            break;
        }
    }
    // py:         s.close()
    // 两个方向一起关，不等服务器（教程的服务器从不关闭）；先标记聊天已结束，read 线程就安静地结束
    chat.end();
    let _ = s.shutdown(Shutdown::Both);
    Ok(())
}

// py: if __name__ == '__main__':
// py:     read = read()
// py:     write = write()
// 两个线程各拿同一个套接字的一个句柄，和教程的两个线程都用 s 一样
fn start_threads(s: TcpStream) -> Result<(), Stop> {
    let (for_read, chat) =
        (s.try_clone().or_fail(|| "无法复制套接字")?, Arc::new(Conversation::default()));
    let for_write = Arc::clone(&chat);
    // py:     write.start()
    // 哪个线程先结束聊天，就由它结束整个程序（另一个可能正卡在读键盘上，无法打断）
    let write = thread::Builder::new().spawn(move || program::exit(write(s, &for_write)));
    let write = write.or_fail(|| "无法启动 write 线程")?;
    // py:     read.start()
    let read = thread::Builder::new().spawn(move || program::exit(read(for_read, &chat)));
    let read = read.or_fail(|| "无法启动 read 线程")?;
    // py:     read.join()
    // py:     write.join()
    let _ = read.join();
    let _ = write.join();
    Ok(())
}

/// 命令行参数 `[ADDR]`、`--help`（帮助的说明来自本 crate 的 Cargo.toml）和退出码。
fn main() -> ExitCode {
    program::main(listing_support::about!(), ADDR, run)
}
