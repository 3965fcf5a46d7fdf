//! main.rs 的循环自己不处理完的客户端，每个在它自己的线程上，谁也不耽误：过了 [`MOMENT`]
//! 还没发请求的（正在打字的人、浏览器预先打开的空闲连接）有 [`IDLE_TIMEOUT`] 发请求；回复时
//! 可能还在发送的（上传）按 nginx 的「lingering close」先读完再关，因为带着没读的数据关闭，
//! 内核会重置连接，客户端就收不到回复。最多同时 [`WAITING_LIMIT`] 个，再多就关闭最早的。

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use listing_support::builtins::{bytes_repr, print};
use listing_support::console::warn;
use listing_support::program::{self, timed_out};

/// 循环里的 recv 最多等多久（内核按它的时钟节拍向上取整）：普通的客户端（浏览器、curl、
/// 输完一行的 tcp-client）都在这之内发来请求
const MOMENT: Duration = Duration::from_millis(2);
/// 客户端最多可以沉默多久：够一个人打字
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// 回复之后客户端最多还可以发送多久（nginx 的默认值也是这个）
const LINGER_TIME: Duration = Duration::from_secs(30);
/// 最多同时有多少个客户端在自己的线程上
const WAITING_LIMIT: usize = 256;
/// 循环回复了这么多个请求之后，算是一阵请求：监听的 socket 也设上 [`MOMENT`]
const BUSY: u32 = 64;
/// 最多有几个握手已完成的连接排队等 accept：std 的 listen(128)，Linux 还多容一个
const ACCEPT_QUEUE: u32 = 129;

pub struct Waiting<'a> {
    clients: Clients,
    /// 接连几个客户端在「一会儿」里没出声：第二个起循环不再等，免得大批沉默的连接各拖它一会儿
    silent_in_a_row: u32,
    /// 一阵请求里（Linux 上），监听的 socket 也设上 MOMENT（`inherits`），之后握手完成的
    /// 连接继承它，循环不必每个连接再设一次；设上时已在排队的连接（`queued`）还要各自设
    web: &'a TcpListener,
    served: u32,
    inherits: bool,
    queued: u32,
}

/// 在自己线程上的客户端，最早的在前
#[derive(Clone, Default)]
struct Clients(Arc<Mutex<VecDeque<Client>>>);
type Client = (Arc<TcpStream>, SocketAddr);

impl<'a> Waiting<'a> {
    pub fn new(web: &'a TcpListener) -> Self {
        let clients = Clients::default();
        Waiting { clients, silent_in_a_row: 0, web, served: 0, inherits: false, queued: 0 }
    }

    /// 让循环里对 `conn` 的 recv 最多等一会儿
    pub fn for_a_moment(&mut self, conn: &TcpStream) -> io::Result<()> {
        if self.silent_in_a_row >= 2 {
            return conn.set_nonblocking(true);
        } else if self.inherits && self.queued == 0 {
            return Ok(()); // 握手在监听的 socket 设上之后完成：继承了
        } else if self.inherits {
            self.queued -= 1;
        } else if self.served >= BUSY {
            self.inherits = set_listener_timeout(self.web, Some(MOMENT));
            self.queued = ACCEPT_QUEUE;
        }
        conn.set_read_timeout(Some(MOMENT))
    }

    /// 接受连接失败：一会儿里没有新连接（监听的 socket 设了 MOMENT），一阵请求过去了，
    /// accept 改回一直等；别的原因（比如文件描述符用完了）说明原因，停一下，免得循环空转
    pub fn accept_failed(&mut self, error: &io::Error) {
        if self.inherits && timed_out(error) {
            (self.inherits, self.served) = (!set_listener_timeout(self.web, None), 0);
            return;
        }
        warn(format!("接受连接失败: {error}"));
        thread::sleep(Duration::from_millis(50));
    }

    /// 循环里的 recv 失败了：如果只是因为请求在这一会儿里还没到，就在它自己的线程上等
    pub fn wait_for_request(&mut self, conn: TcpStream, addr: SocketAddr, got: io::Result<usize>) {
        match got {
            Err(error) if timed_out(&error) => {
                self.silent_in_a_row = self.silent_in_a_row.saturating_add(1);
                self.clients.start(conn, addr, answer_when_it_arrives);
            }
            Err(error) => report(addr, "读取请求", &error),
            Ok(_) => {}
        }
    }

    /// 教程的 `conn.close()`（回复已经发出 `sent`）：请求完整就立即关闭，否则等客户端发完再关
    pub fn close(&mut self, conn: TcpStream, addr: SocketAddr, data: &[u8], sent: io::Result<()>) {
        (self.silent_in_a_row, self.served) = (0, self.served.saturating_add(1));
        if let Err(error) = sent {
            report(addr, "发送回复", &error);
        } else if may_have_unread_input(data) {
            self.clients.start(conn, addr, read_the_rest);
        }
    }
}

/// 设监听的 socket 的 SO_RCVTIMEO（TcpListener 没有这个方法：拿它的一个副本当作 TcpStream
/// 来设）。只在 Linux 上：那里握手完成的连接继承它，accept 也按它超时
#[cfg(target_os = "linux")]
fn set_listener_timeout(web: &TcpListener, timeout: Option<Duration>) -> bool {
    let web = web.try_clone().map(|web| TcpStream::from(std::os::fd::OwnedFd::from(web)));
    web.and_then(|web| web.set_read_timeout(timeout)).is_ok()
}
#[cfg(not(target_os = "linux"))]
fn set_listener_timeout(_: &TcpListener, _: Option<Duration>) -> bool {
    false
}

impl Clients {
    fn start(&self, conn: TcpStream, addr: SocketAddr, work: fn(&Self, &TcpStream, SocketAddr)) {
        let conn = Arc::new(conn);
        let mut clients = self.lock();
        clients.push_back((Arc::clone(&conn), addr));
        let oldest = (clients.len() > WAITING_LIMIT).then(|| clients.pop_front());
        drop(clients);
        // 超过上限就关闭最早的那个：它的线程里的 read 会立即返回
        if let Some((oldest, addr)) = oldest.flatten() {
            let _ = oldest.shutdown(Shutdown::Both);
            warn(format!(
                "与 {addr} 的连接: 已有 {WAITING_LIMIT} 个连接在等待，关闭其中最早的这个 \
                 (closing the oldest of {WAITING_LIMIT} waiting connections)"
            ));
        }
        let (waiting, own) = (self.clone(), Arc::clone(&conn));
        let started = thread::Builder::new().spawn(move || {
            // 如果循环把它设成了非阻塞，改回阻塞：read 要等
            if own.set_nonblocking(false).is_ok() {
                work(&waiting, &own, addr);
            }
            waiting.forget(&own);
        });
        if let Err(error) = started {
            self.forget(&conn);
            report(addr, "启动线程", &error);
        }
    }

    fn has(&self, conn: &TcpStream) -> bool {
        self.lock().iter().any(|(own, _)| std::ptr::eq(&**own, conn))
    }

    fn forget(&self, conn: &TcpStream) {
        self.lock().retain(|(own, _)| !std::ptr::eq(&**own, conn));
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Client>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// 请求没在一会儿里到达的客户端：在这里做循环里的 recv、print、sendall 和 close
fn answer_when_it_arrives(waiting: &Clients, mut conn: &TcpStream, addr: SocketAddr) {
    let mut data = [0u8; 1024];
    let received = conn.set_read_timeout(Some(IDLE_TIMEOUT)).and_then(|()| conn.read(&mut data));
    let data = match received {
        _ if !waiting.has(conn) => return, // 因为新来的客户端被关掉了：stderr 上已经说明
        Ok(length) => &data[..length],
        Err(error) if timed_out(&error) => {
            let secs = IDLE_TIMEOUT.as_secs();
            return warn(format!("与 {addr} 的连接: {secs} 秒内没有收到请求，不回复，关闭连接"));
        }
        Err(error) => return report(addr, "读取请求", &error),
    };
    // 每行一次写入，不同线程的行不会混在一起；stdout 出错就和在循环的线程上一样结束程序
    print(&[&bytes_repr(data)]).unwrap_or_else(|stop| program::exit(Err(stop)));
    if let Err(error) = conn.write_all(b"HTTP/1.1 200 OK\r\n\r\nhello world") {
        return report(addr, "发送回复", &error);
    }
    if may_have_unread_input(data) {
        read_the_rest(waiting, conn, addr);
    }
}

/// 先 `shutdown(Write)`，再读并丢弃客户端还在发的内容，直到它关闭或者过了 `LINGER_TIME`：
/// 这样关闭时不会重置连接
fn read_the_rest(_: &Clients, mut conn: &TcpStream, addr: SocketAddr) {
    let _ = conn.shutdown(Shutdown::Write);
    let (deadline, mut scratch) = (Instant::now() + LINGER_TIME, [0u8; 16 * 1024]);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match conn.set_read_timeout(Some(left)).and_then(|()| conn.read(&mut scratch)) {
            Ok(1..) => {}
            Err(error) if timed_out(&error) => {} // 到了期限，循环条件会结束它
            Ok(0) | Err(_) => return, // 客户端发完了；或者被重置、因为新来的客户端被关掉
        }
    }
    warn(format!("与 {addr} 的连接: 回复后 {} 秒仍在发送，关闭连接", LINGER_TIME.as_secs()));
}

/// 读了一次之后客户端是不是可能还在发送：它没有结束数据流，并且这次读满了缓冲区，或者没有
/// 以 HTTP 请求头末尾的空行结束，或者请求头说后面有请求体
fn may_have_unread_input(data: &[u8]) -> bool {
    let ends_headers = data.ends_with(b"\r\n\r\n") || data.ends_with(b"\n\n");
    let announces_body = data.split(|&byte| byte == b'\n').any(|line| {
        let is = |name: &[u8]| line.get(..name.len()).is_some_and(|s| s.eq_ignore_ascii_case(name));
        let length = b"content-length:";
        (is(length) && line[length.len()..].trim_ascii() != b"0") || is(b"transfer-encoding:")
    });
    !data.is_empty() && (data.len() >= 1024 || !ends_headers || announces_body)
}

/// 在 stderr 上说明一个客户端出了什么问题；服务器继续服务
fn report(addr: SocketAddr, step: &str, error: &io::Error) {
    warn(format!("与 {addr} 的连接: {step}失败: {error}"));
}

#[cfg(test)]
mod tests {
    use super::may_have_unread_input as unread;

    #[test]
    fn only_a_complete_short_request_without_a_body_closes_at_once() {
        assert!(!unread(b"GET / HTTP/1.1\r\n\r\n"));
        assert!(!unread(b""));
        assert!(!unread(b"hi\n\n"));
        assert!(!unread(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
        assert!(unread(b"GET / HTTP/1.1\r\nHost: x"));
        assert!(unread(b"hello"));
        assert!(unread(&[b'\n'; 1024]));
        assert!(unread(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"));
        assert!(unread(b"POST / HTTP/1.1\r\ncontent-length:12\r\n\r\n"));
        assert!(unread(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    }
}
