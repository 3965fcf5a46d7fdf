//! What the two chat programs do the same way: how a conversation ends,
//! and the two named threads of which the first to finish ends the program.
//! The socket calls themselves (`read`, `write_all`, `shutdown`) stay in
//! each program's main.rs, beside the listing's lines.
//!
//! The listings never end: after the peer closes, `recv` returns `b''`
//! forever and `read` prints empty messages at 100 % CPU; `0` never matches
//! (`str` against `int`); end of stdin kills only the `write` thread. Here
//! the end of the peer's stream, a reset, a typed `0` and the end of stdin
//! each end the conversation, once, with one clear word on stderr.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;

use crate::program::{warn, Failure, OrFail};

/// How one chat connection ends, shared by the `read` and `write` threads.
pub struct Conversation {
    peer: SocketAddr,
    /// Set by whoever ends the conversation first; the other side's errors
    /// after that are the echo of our own ending, not news.
    ended: AtomicBool,
}

impl Conversation {
    pub fn new(peer: SocketAddr) -> Conversation {
        Conversation {
            peer,
            ended: AtomicBool::new(false),
        }
    }

    /// We end the conversation (a typed `0`, or the end of stdin): what the
    /// socket reports after this is quiet. Call it before `shutdown`.
    pub fn end(&self) {
        self.ended.store(true, Ordering::SeqCst);
    }

    /// A read returned 0 bytes: the peer ended its stream. Says so once,
    /// unless we ended first.
    pub fn peer_closed(&self) -> Result<(), Failure> {
        if !self.ended.swap(true, Ordering::SeqCst) {
            warn("对方已关闭连接 (the other side closed the connection)");
        }
        Ok(())
    }

    /// A read failed: a closed or reset peer is the end of the
    /// conversation; anything after our own ending is quiet.
    pub fn recv_failed(&self, error: &io::Error) -> Result<(), Failure> {
        self.failed("接收", error)
    }

    /// A write failed, as [`Conversation::recv_failed`].
    pub fn send_failed(&self, error: &io::Error) -> Result<(), Failure> {
        self.failed("发送", error)
    }

    fn failed(&self, step: &str, error: &io::Error) -> Result<(), Failure> {
        if self.ended.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        match error.kind() {
            io::ErrorKind::BrokenPipe => {
                warn("对方已关闭连接 (the other side closed the connection)");
                Ok(())
            }
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => Err(Failure::io(
                format_args!(
                    "连接被对方重置，{step}失败 (connection reset by {})",
                    self.peer
                ),
                error,
            )),
            _ => Err(Failure::io(
                format_args!("与 {} 的连接{step}失败", self.peer),
                error,
            )),
        }
    }
}

/// Where the two threads report how their part ended: the first report
/// ends the program (the other thread may be blocked reading stdin, which
/// cannot be interrupted).
pub struct Threads {
    done: mpsc::Sender<Result<(), Failure>>,
    finished: mpsc::Receiver<Result<(), Failure>>,
}

impl Threads {
    pub fn new() -> Threads {
        let (done, finished) = mpsc::channel();
        Threads { done, finished }
    }

    /// `threading.Thread(...).start()` for a thread named `name`.
    pub fn start(
        &self,
        name: &str,
        body: impl FnOnce() -> Result<(), Failure> + Send + 'static,
    ) -> Result<(), Failure> {
        let done = self.done.clone();
        thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let _ = done.send(body());
            })
            .or_fail(|| format!("无法启动线程 {name}"))?;
        Ok(())
    }

    /// Waits until the first thread is done, and returns how it ended.
    pub fn first_done(self) -> Result<(), Failure> {
        drop(self.done);
        self.finished
            .recv()
            .unwrap_or_else(|_| Err(Failure::runtime("两个线程都没有报告结果")))
    }
}

impl Default for Threads {
    fn default() -> Self {
        Threads::new()
    }
}
