//! The clients that `main.rs`'s loop does not finish, each on a thread of
//! its own, so that it delays nobody: one still silent after [`MOMENT`] (a
//! person typing, a browser's idle socket) has [`IDLE_TIMEOUT`] to send its
//! request; one answered while it may still be sending (an upload) gets
//! nginx's lingering close, as closing with unread input would reset the
//! connection and lose the reply. At most [`WAITING_LIMIT`] at once: past
//! it the oldest is closed, with a note on stderr.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use listing_support::builtins::{bytes_repr, print};
use listing_support::console::warn;
use listing_support::program::{self, timed_out};

/// How long the loop's `recv` waits (the kernel rounds it up to its clock
/// tick): every ordinary client (a browser, curl, tcp-client after its
/// line) writes its request within it.
const MOMENT: Duration = Duration::from_millis(2);
/// How long a client may stay silent: long enough for a person to type.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an answered client may go on sending (nginx's default too).
const LINGER_TIME: Duration = Duration::from_secs(30);
/// How many clients may be on threads of their own at once.
const WAITING_LIMIT: usize = 256;

#[derive(Default)]
pub struct Waiting {
    clients: Clients,
    /// Clients in a row that stayed silent through the loop's moment: from
    /// the second on, the loop waits no moment at all (each of a flood of
    /// silent clients would cost it one) until a client speaks at once.
    silent_in_a_row: u32,
}

/// The clients on threads of their own, oldest first.
#[derive(Clone, Default)]
struct Clients(Arc<Mutex<VecDeque<Client>>>);
type Client = (Arc<TcpStream>, SocketAddr);

impl Waiting {
    /// Makes the loop's `recv` on `conn` wait a moment at most.
    pub fn for_a_moment(&self, conn: &TcpStream) -> io::Result<()> {
        match self.silent_in_a_row {
            0 | 1 => conn.set_read_timeout(Some(MOMENT)),
            _ => conn.set_nonblocking(true),
        }
    }

    /// The loop's `recv` failed: if only because the request had not come
    /// within the moment, wait for it on a thread of its own.
    pub fn wait_for_request(
        &mut self,
        conn: TcpStream,
        addr: SocketAddr,
        received: io::Result<usize>,
    ) {
        match received {
            Err(error) if timed_out(&error) => {
                self.silent_in_a_row = self.silent_in_a_row.saturating_add(1);
                self.clients.start(conn, addr, answer_when_it_arrives);
            }
            Err(error) => report(addr, "读取请求", &error),
            Ok(_) => {}
        }
    }

    /// The listing's `conn.close()`, after the reply was `sent`: at once
    /// after a complete request, otherwise once the client stopped sending.
    pub fn close(&mut self, conn: TcpStream, addr: SocketAddr, data: &[u8], sent: io::Result<()>) {
        self.silent_in_a_row = 0;
        if let Err(error) = sent {
            report(addr, "发送回复", &error);
        } else if may_have_unread_input(data) {
            let read_the_rest = |_: &Clients, conn: &TcpStream, addr| read_the_rest(conn, addr);
            self.clients.start(conn, addr, read_the_rest);
        }
    }
}

/// Out of file descriptors, say: report, and pause so that the loop does
/// not spin.
pub fn accept_failed(error: &io::Error) {
    warn(format!("接受连接失败: {error}"));
    thread::sleep(Duration::from_millis(50));
}

impl Clients {
    fn start(&self, conn: TcpStream, addr: SocketAddr, work: fn(&Self, &TcpStream, SocketAddr)) {
        let conn = Arc::new(conn);
        let mut clients = self.lock();
        clients.push_back((Arc::clone(&conn), addr));
        let oldest = (clients.len() > WAITING_LIMIT).then(|| clients.pop_front());
        drop(clients);
        // Past the limit, the oldest is closed: its thread's read returns at once.
        if let Some((oldest, addr)) = oldest.flatten() {
            let _ = oldest.shutdown(Shutdown::Both);
            warn(format!(
                "与 {addr} 的连接: 已有 {WAITING_LIMIT} 个连接在等待，关闭其中最早的这个 \
                 (closing the oldest of {WAITING_LIMIT} waiting connections)"
            ));
        }
        let (waiting, own) = (self.clone(), Arc::clone(&conn));
        let started = thread::Builder::new().spawn(move || {
            // Blocking again, if the loop made it non-blocking: reads wait.
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

    /// Whether `conn` still waits: not closed for a newer client meanwhile.
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

/// The loop's `recv`, `print`, `sendall` and `close`, for a client whose
/// request had not come within the moment.
fn answer_when_it_arrives(waiting: &Clients, mut conn: &TcpStream, addr: SocketAddr) {
    let mut data = [0u8; 1024];
    let received = conn.set_read_timeout(Some(IDLE_TIMEOUT)).and_then(|()| conn.read(&mut data));
    if !waiting.has(conn) {
        return; // Closed for a newer client: the note is on stderr.
    }
    let data = match received {
        Ok(length) => &data[..length],
        Err(error) if timed_out(&error) => {
            let secs = IDLE_TIMEOUT.as_secs();
            let note = format!("与 {addr} 的连接: {secs} 秒内没有收到请求，不回复，关闭连接");
            return warn(note);
        }
        Err(error) => return report(addr, "读取请求", &error),
    };
    // One write per line: lines from different threads never mix.
    if let Err(stop) = print(&[&bytes_repr(data)]) {
        // stdout failed here as it could on the loop's thread: end as `main` does.
        program::exit(Err(stop));
    }
    if let Err(error) = conn.write_all(b"HTTP/1.1 200 OK\r\n\r\nhello world") {
        return report(addr, "发送回复", &error);
    }
    if may_have_unread_input(data) {
        read_the_rest(conn, addr);
    }
}

/// `shutdown(Write)`, then reads and discards until the client closes, or
/// until `LINGER_TIME` has passed, so that the close resets nothing.
fn read_the_rest(mut conn: &TcpStream, addr: SocketAddr) {
    let _ = conn.shutdown(Shutdown::Write);
    let (deadline, mut scratch) = (Instant::now() + LINGER_TIME, [0u8; 16 * 1024]);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match conn.set_read_timeout(Some(left)).and_then(|()| conn.read(&mut scratch)) {
            Ok(0) => return,
            Ok(_) => {}
            Err(error) if timed_out(&error) => {} // The deadline ends it.
            Err(_) => return,                     // Reset, or closed for a newer client: done.
        }
    }
    let secs = LINGER_TIME.as_secs();
    warn(format!("与 {addr} 的连接: 回复后 {secs} 秒仍在发送，关闭连接"));
}

/// Whether the client may still be sending after the one read: it did not
/// end its stream, and the read filled the buffer, or did not end with the
/// blank line that ends HTTP headers, or the headers announce a body.
fn may_have_unread_input(data: &[u8]) -> bool {
    let ends_headers = data.ends_with(b"\r\n\r\n") || data.ends_with(b"\n\n");
    let announces_body = data.split(|&byte| byte == b'\n').any(|line| {
        let name =
            |name: &[u8]| line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name);
        let length = b"content-length:";
        (name(length) && line[length.len()..].trim_ascii() != b"0") || name(b"transfer-encoding:")
    });
    !data.is_empty() && (data.len() >= 1024 || !ends_headers || announces_body)
}

/// Reports on stderr what went wrong with one client; the server goes on.
fn report(addr: SocketAddr, step: &str, error: &io::Error) {
    warn(format!("与 {addr} 的连接: {step}失败: {error}"));
}

#[cfg(test)]
mod tests {
    use super::may_have_unread_input as unread;

    #[test]
    fn only_a_complete_short_request_closes_at_once() {
        assert!(!unread(b"GET / HTTP/1.1\r\n\r\n"));
        assert!(!unread(b""));
        assert!(!unread(b"hi\n\n"));
        assert!(!unread(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
        assert!(unread(b"GET / HTTP/1.1\r\nHost: x"));
        assert!(unread(b"hello"));
        assert!(unread(&[b'\n'; 1024]));
    }

    #[test]
    fn headers_that_announce_a_body_wait_for_it() {
        assert!(unread(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"));
        assert!(unread(b"POST / HTTP/1.1\r\ncontent-length:12\r\n\r\n"));
        assert!(unread(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    }
}
