//! How a chat ends, the same in both chat programs ([`Conversation`]). The
//! socket calls and the two threads stay in each program's main.rs.
//!
//! The listings never end: after the peer closes, `recv` returns `b''`
//! forever and `read` prints empty messages at 100 % CPU; `0` never matches
//! (`str` against `int`); the end of stdin kills only the `write` thread.
//! Here the peer's end of stream, a reset, a typed `0` and the end of stdin
//! each end the chat, once, with one clear line on stderr.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::builtins::print;
use crate::console::warn;
use crate::stop::{OrFail, Stop};

/// One chat, shared by the `read` and `write` threads.
#[derive(Debug, Default)]
pub struct Conversation {
    /// Set by whoever ends the chat first: what the socket says after that
    /// is the echo of our own ending, not news.
    ended: AtomicBool,
}

impl Conversation {
    /// We end the chat (a typed `0`, or the end of stdin); call it before
    /// `shutdown`, so that the other thread ends quietly.
    pub fn end(&self) {
        self.ended.store(true, Ordering::SeqCst);
    }

    /// A read returned 0 bytes: the peer has closed. `rest` is what it sent
    /// last that did not make a whole character.
    pub fn peer_closed(&self, rest: String) -> Result<(), Stop> {
        if !rest.is_empty() {
            print(&["接收到的数据为:", &rest])?;
        }
        self.failed("接收", io::Error::from(io::ErrorKind::BrokenPipe))
    }

    /// A read failed (`step` 接收) or a send (发送): a peer that has gone
    /// ends the chat; a reset is a failure; after our own end, nothing.
    pub fn failed(&self, step: &str, error: io::Error) -> Result<(), Stop> {
        if self.ended.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        match error.kind() {
            io::ErrorKind::BrokenPipe => {
                warn("对方已关闭连接 (the other side closed the connection)");
                Ok(())
            }
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                Err(error).or_fail(|| format!("连接被对方重置，{step}失败 (connection reset)"))
            }
            _ => Err(error).or_fail(|| format!("连接{step}失败")),
        }
    }
}
