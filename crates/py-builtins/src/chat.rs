//! What the two chat listings share: the steps of their `read` and `write`
//! threads on one connection, and how a conversation ends (DESIGN §5).
//!
//! The listings never end: after the peer closes, `recv` returns `b''`
//! forever and `read` prints empty messages at 100 % CPU; `0` never matches
//! (`str` against `int`); end of stdin kills only the `write` thread. Here
//! the end of the peer's stream, a reset, a typed `0` and the end of stdin
//! each end the conversation, once, with one clear word on stderr.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;

use crate::cli::{self, Failure};
use crate::text::TextDecoder;

/// The most one `recv(2014)` returns, as in the listings.
pub const RECV_SIZE: usize = 2014;

/// One chat connection, shared by the `read` and `write` threads.
pub struct Chat {
    program: &'static str,
    sock: TcpStream,
    peer: SocketAddr,
    /// Set by whoever ends the conversation first; the other side's errors
    /// after that are the echo of our own ending, not news.
    ended: AtomicBool,
}

impl Chat {
    pub fn new(program: &'static str, sock: TcpStream, peer: SocketAddr) -> Chat {
        Chat {
            program,
            sock,
            peer,
            ended: AtomicBool::new(false),
        }
    }

    /// `sock.recv(2014).decode()`: the next text from the peer. `Ok(None)`
    /// when the peer has ended the stream (said on stderr). A read that
    /// brings only part of a character waits for the rest.
    pub fn recv(&self, decoder: &mut TextDecoder) -> Result<Option<String>, Failure> {
        let mut buffer = [0u8; RECV_SIZE];
        loop {
            let mut reader = &self.sock;
            match reader.read(&mut buffer) {
                Ok(0) if decoder.has_pending() => return Ok(Some(decoder.finish())),
                Ok(0) => return self.peer_gone().map(|()| None),
                Ok(length) => {
                    let text = decoder.decode(&buffer[..length]);
                    if !text.is_empty() {
                        return Ok(Some(text));
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return self.failed("接收", &error).map(|()| None),
            }
        }
    }

    /// `sock.send(data)`, all of it. An empty line sends nothing, as in the
    /// listings. A peer that has gone ends the conversation.
    pub fn send(&self, data: &[u8]) -> Result<(), Failure> {
        let mut writer = &self.sock;
        if let Err(error) = writer.write_all(data) {
            self.failed("发送", &error)?;
            return Err(Failure::Ended);
        }
        Ok(())
    }

    /// `sock.close()`, for both directions at once: we do not wait for the
    /// peer, which in the listings never closes its side.
    pub fn close(&self) {
        self.ended.store(true, Ordering::SeqCst);
        let _ = self.sock.shutdown(Shutdown::Both);
    }

    /// The peer ended its stream: say so once, unless we ended first.
    fn peer_gone(&self) -> Result<(), Failure> {
        if !self.ended.swap(true, Ordering::SeqCst) {
            cli::warn(
                self.program,
                "对方已关闭连接 (the other side closed the connection)",
            );
        }
        Ok(())
    }

    /// A read or write failed: a closed or reset peer is the end of the
    /// conversation; anything after our own ending is quiet.
    fn failed(&self, step: &str, error: &io::Error) -> Result<(), Failure> {
        if self.ended.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        match error.kind() {
            io::ErrorKind::BrokenPipe => {
                cli::warn(
                    self.program,
                    "对方已关闭连接 (the other side closed the connection)",
                );
                Ok(())
            }
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                Err(Failure::runtime(format!(
                    "连接被对方重置，{step}失败 (connection reset by {}): {error}",
                    self.peer
                )))
            }
            _ => Err(Failure::runtime(format!(
                "与 {} 的连接{step}失败: {error}",
                self.peer
            ))),
        }
    }
}

/// `print('接收到的数据为:', recvData)`.
pub fn print_received(recv_data: &str) -> Result<(), Failure> {
    cli::print_line(&format!("接收到的数据为: {recv_data}"))
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
            .map(drop)
            .map_err(|error| Failure::runtime(format!("无法启动线程 {name}: {error}")))
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
