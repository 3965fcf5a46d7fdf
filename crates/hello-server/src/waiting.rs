//! Connections that cannot be finished on the accepting thread, each on a
//! thread of its own so that it delays nobody:
//!
//! - a **waiter**: a client whose request had not arrived when it was
//!   accepted (a person typing into tcp-client, telnet or nc; a browser's
//!   idle speculative socket). It gets [`IDLE_TIMEOUT`] to send its request,
//!   then is answered as the accepting loop in `main.rs` answers: print,
//!   sendall, close.
//! - a **lingerer**: a client answered while it may still be sending (a
//!   request over 1024 bytes, an upload). Closing a socket with unread
//!   input makes the kernel reset the connection, and the client may lose
//!   the reply; so, as nginx's lingering close does, it gets
//!   `shutdown(Write)` and what it still sends is read and thrown away until
//!   it closes or [`LINGER_TIME`] has passed.
//!
//! Both are bounded together by [`WAITING_LIMIT`]: past it the oldest waiter
//! (the oldest lingerer if there is none) is closed, with a note on stderr,
//! so a flood of silent connections costs bounded memory and threads.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use listing_support::builtins::{bytes_repr, print, StdoutError};
use listing_support::program::{self, Failure};

use super::{may_have_unread_input, report};

/// The reply, the same bytes as on `main.rs`'s `sendall` line.
const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\n\r\nhello world";

/// How long a client may stay silent before it is closed without a reply:
/// long enough for a person to type a line.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a client answered early may go on sending (nginx's
/// `lingering_time` is 30 s too). No byte limit: stopping early would
/// reset an upload that is still arriving.
pub const LINGER_TIME: Duration = Duration::from_secs(30);
/// How many waiters and lingerers there may be at once.
pub const WAITING_LIMIT: usize = 256;
/// Each of these threads reads into a buffer of at most 16 KiB and prints
/// one line: a small stack is plenty and keeps hundreds of them cheap.
const STACK_SIZE: usize = 128 * 1024;

/// The connections on threads of their own, oldest first.
#[derive(Clone, Default)]
pub struct Waiting {
    registry: Arc<Mutex<Registry>>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    entries: VecDeque<Entry>,
}

struct Entry {
    id: u64,
    addr: SocketAddr,
    /// Shared with the connection's thread, so that it can be closed from
    /// here when a newer client needs the place.
    conn: Arc<TcpStream>,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the request: may be closed for a newer client.
    Waiting,
    /// Its request arrived and is being answered: a moment, left alone.
    Answering,
    /// Answered; reading what it still sends: may be closed if no waiter can.
    Lingering,
}

impl Registry {
    /// Closes the oldest waiter (the oldest lingerer if no client waits);
    /// its thread's read returns at once and the thread ends.
    fn evict_oldest(&mut self) -> Option<SocketAddr> {
        let oldest = |wanted: State| self.entries.iter().position(|entry| entry.state == wanted);
        let index = oldest(State::Waiting).or_else(|| oldest(State::Lingering))?;
        let evicted = self.entries.remove(index)?;
        let _ = evicted.conn.shutdown(Shutdown::Both);
        Some(evicted.addr)
    }
}

impl Waiting {
    /// Waits for `conn`'s request on a thread of its own, then answers it.
    pub fn wait_for_request(&self, conn: TcpStream, addr: SocketAddr) {
        self.start(conn, addr, State::Waiting);
    }

    /// Closes `conn`, already answered, once it has stopped sending.
    pub fn close_after_reading_the_rest(&self, conn: TcpStream, addr: SocketAddr) {
        self.start(conn, addr, State::Lingering);
    }

    fn start(&self, conn: TcpStream, addr: SocketAddr, state: State) {
        let conn = Arc::new(conn);
        let id = self.admit(&conn, addr, state);
        let waiting = self.clone();
        let thread_conn = Arc::clone(&conn);
        let started = thread::Builder::new()
            .name(format!("client {addr}"))
            .stack_size(STACK_SIZE)
            .spawn(move || {
                match state {
                    State::Lingering => read_the_rest(&thread_conn, addr),
                    _ => waiting.answer_when_it_arrives(id, &thread_conn, addr),
                }
                waiting.remove(id);
            });
        if let Err(error) = started {
            // Out of threads: this one client goes without; the server goes on.
            self.remove(id);
            report(addr, "启动线程", &error);
        }
    }

    /// Registers a connection, closing the oldest one past the limit.
    fn admit(&self, conn: &Arc<TcpStream>, addr: SocketAddr, state: State) -> u64 {
        let (id, evicted) = {
            let mut registry = self.lock();
            let evicted = if registry.entries.len() >= WAITING_LIMIT {
                registry.evict_oldest()
            } else {
                None
            };
            let id = registry.next_id;
            registry.next_id += 1;
            registry.entries.push_back(Entry {
                id,
                addr,
                conn: Arc::clone(conn),
                state,
            });
            (id, evicted)
        };
        // The note outside the lock: a slow stderr holds up no other thread.
        if let Some(evicted) = evicted {
            program::warn(format!(
                "与 {evicted} 的连接: 已有 {WAITING_LIMIT} 个连接在等待，关闭其中最早的这个 \
                 (closing the oldest of {WAITING_LIMIT} waiting connections)"
            ));
        }
        id
    }

    /// Moves a connection to `state`; `false` if it was closed for a newer
    /// client meanwhile.
    fn set_state(&self, id: u64, state: State) -> bool {
        let mut registry = self.lock();
        match registry.entries.iter_mut().find(|entry| entry.id == id) {
            Some(entry) => {
                entry.state = state;
                true
            }
            None => false,
        }
    }

    fn remove(&self, id: u64) {
        self.lock().entries.retain(|entry| entry.id != id);
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A thread that panicked cannot leave the list half changed.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The accepting loop's `recv`, `print`, `sendall` and `close`, for a
    /// client whose request had not arrived when it was accepted.
    fn answer_when_it_arrives(&self, id: u64, conn: &TcpStream, addr: SocketAddr) {
        let mut buffer = [0u8; 1024];
        let received = conn
            .set_nonblocking(false)
            .and_then(|()| conn.set_read_timeout(Some(IDLE_TIMEOUT)))
            .and_then(|()| (&*conn).read(&mut buffer));
        if !self.set_state(id, State::Answering) {
            return; // Closed for a newer client: the note is on stderr.
        }
        let data = match received {
            Ok(length) => &buffer[..length],
            Err(error) if program::timed_out(&error) => {
                program::warn(format!(
                    "与 {addr} 的连接: {} 秒内没有收到请求，不回复，关闭连接",
                    IDLE_TIMEOUT.as_secs()
                ));
                return;
            }
            Err(error) => return report(addr, "读取请求", &error),
        };
        // One write per line: lines from different threads never mix.
        if let Err(error) = print(&[&bytes_repr(data)]) {
            end_for_stdout(error);
        }
        if let Err(error) = (&*conn).write_all(REPLY) {
            return report(addr, "发送回复", &error);
        }
        if may_have_unread_input(data, buffer.len()) && self.set_state(id, State::Lingering) {
            read_the_rest(conn, addr);
        }
    }
}

/// `shutdown(Write)`, then reads and discards until the client closes, or
/// until `LINGER_TIME` has passed, so that the close resets nothing.
fn read_the_rest(conn: &TcpStream, addr: SocketAddr) {
    let _ = conn.shutdown(Shutdown::Write);
    if conn.set_nonblocking(false).is_err() {
        return;
    }
    let deadline = Instant::now() + LINGER_TIME;
    let mut scratch = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            program::warn(format!(
                "与 {addr} 的连接: 回复后 {} 秒仍在发送，关闭连接",
                LINGER_TIME.as_secs()
            ));
            return;
        }
        if conn.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match (&*conn).read(&mut scratch) {
            Ok(0) => return,
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if program::timed_out(&error) => {} // The deadline check above ends it.
            Err(_) => return, // Reset or closed for a newer client: done.
        }
    }
}

/// stdout failed on a client's thread: end the program as `main` does when
/// it fails on the accepting thread (quietly if the reader has gone).
fn end_for_stdout(error: StdoutError) -> ! {
    match Failure::from(error) {
        Failure::StdoutClosed => process::exit(0),
        Failure::Runtime(message) => {
            program::warn(message);
            process::exit(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn entry(listener: &TcpListener, id: u64, state: State) -> Entry {
        let conn = TcpStream::connect(listener.local_addr().unwrap()).unwrap(); // test: loopback
        let addr = conn.local_addr().unwrap(); // test: a connected socket has one
        Entry {
            id,
            addr,
            conn: Arc::new(conn),
            state,
        }
    }

    #[test]
    fn the_oldest_waiter_goes_first_then_the_oldest_lingerer() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap(); // test: port 0 on loopback
        let mut registry = Registry::default();
        registry.entries.extend([
            entry(&listener, 0, State::Lingering),
            entry(&listener, 1, State::Answering),
            entry(&listener, 2, State::Waiting),
            entry(&listener, 3, State::Waiting),
        ]);
        let addr_of = |registry: &Registry, id: u64| {
            registry.entries.iter().find(|e| e.id == id).map(|e| e.addr)
        };
        let oldest_first = [2, 3, 0].map(|id| addr_of(&registry, id));
        for expected in oldest_first {
            assert_eq!(registry.evict_oldest(), expected);
        }
        // One answering now: left alone.
        assert_eq!(registry.evict_oldest(), None);
        assert_eq!(registry.entries.len(), 1);
    }
}
