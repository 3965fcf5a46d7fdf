//! hello-server：教程「TCP编程」里 hello_server.py 的 Rust 版，逐行对照。
//! 打印收到的每个请求（和 Python 的 `print(data)` 一样显示 bytes），给每个连接回复
//! `HTTP/1.1 200 OK\r\n\r\nhello world`。两个终端里运行：
//!
//! ```text
//! cargo run -p hello-server     # 终端 1：服务器，监听 127.0.0.1:8080
//! cargo run -p tcp-client       # 终端 2：输入一行，看回复；或用浏览器打开 http://127.0.0.1:8080
//! cargo xtask demo hello        # 或者一条命令看到两边
//! ```
//!
//! 与教程程序的不同及原因：本 crate 的 README.md。

// py: import  socket					#导入socket模块
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::ExitCode;

use listing_support::{
    builtins::{bytes_repr, print},
    program::{self, HostPort},
    stop::{OrFail, Stop},
};

mod waiting;

// py: host='127.0.0.1'				#主机IP
// py: port=8080						#端口号
// 命令行的第一个参数可以换一个地址（见文末的 main）
const ADDR: &str = "127.0.0.1:8080";

fn run(addr: HostPort) -> Result<(), Stop> {
    // py: web=socket.socket()				#创建socket对象
    // std 在下面的 TcpListener::bind 里创建 socket
    // py: web.bind((host,port))			#绑定端口
    // py: web.listen(5)					#设置最多连接数
    // std 一次调用就绑定并监听，排队的连接数用 std 的 128 代替 5
    let web = TcpListener::bind(&addr).or_fail(|| format!("无法绑定 {addr}"))?;
    program::listening_on(web.local_addr())?;
    // py: print('服务器等待客户端连接...')
    print(&["服务器等待客户端连接..."])?;
    let mut waiting = waiting::Waiting::new(&web);
    // py: while True:
    loop {
        // py:     conn,addr=web.accept()		#建立客户端连接
        let Ok((mut conn, addr)) = web.accept().inspect_err(|e| waiting.accept_failed(e)) else {
            continue;
        };
        // py:     data=conn.recv(1024)		#获取客户端请求数据
        // 只等一会儿：请求还没到的客户端（正在打字的人）交给它自己的线程去等，不耽误别人
        let mut data = [0u8; 1024];
        let received = waiting.for_a_moment(&conn).and_then(|()| conn.read(&mut data));
        let Ok(&length) = received.as_ref() else {
            waiting.wait_for_request(conn, addr, received);
            continue;
        };
        // py:     print(data)					#打印接受到的数据
        print(&[&bytes_repr(&data[..length])])?;
        // py:     conn.sendall(b'HTTP/1.1 200 OK\r\n\r\nhello world')		#向客户端发送数据
        let sent = conn.write_all(b"HTTP/1.1 200 OK\r\n\r\nhello world");
        // py:     conn.close()				#关闭连接
        // 请求可能还没读完（上传）时，先在它自己的线程上读完再关，免得内核重置连接
        waiting.close(conn, addr, &data[..length], sent);
    }
    // py: web.close()
    // 上面的循环和教程的一样永不结束：进程退出时 web 随之关闭
}

/// 命令行参数 `[ADDR]`、`--help`（帮助的说明来自本 crate 的 Cargo.toml）和退出码。
fn main() -> ExitCode {
    program::main(listing_support::about!(), ADDR, run)
}
