//! Why a program stops before its end ([`Stop`]), and the context of an
//! I/O error in one short call ([`OrFail`]). Depends on nothing else here.

use std::fmt;
use std::io;

/// Why a program stops early.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// Something failed: the message says what and why (exit 1).
    Failed(String),
    /// Whoever read stdout has gone (a closed pipe): nothing more to say,
    /// so the program ends quietly (exit 0).
    StdoutClosed,
}

impl Stop {
    /// The same, with `more` after the message: what to do about it.
    pub fn and(self, more: &str) -> Self {
        match self {
            Stop::Failed(message) => Stop::Failed(message + more),
            stdout_closed => stdout_closed,
        }
    }
}

/// An I/O error with what was being done, in one call:
/// `TcpListener::bind(&addr).or_fail(|| format!("无法绑定 {addr}"))?`
/// stops with `无法绑定 127.0.0.1:8080: Address already in use (os error 98)`.
pub trait OrFail<T> {
    fn or_fail<C: fmt::Display>(self, context: impl FnOnce() -> C) -> Result<T, Stop>;
}

impl<T> OrFail<T> for io::Result<T> {
    fn or_fail<C: fmt::Display>(self, context: impl FnOnce() -> C) -> Result<T, Stop> {
        self.map_err(|error| match error.get_ref() {
            // A name that does not resolve says so itself (program::HostPort).
            Some(inner) if inner.is::<Unresolved>() => Stop::Failed(inner.to_string()),
            _ => Stop::Failed(format!("{}: {error}{}", context(), hint(&error))),
        })
    }
}

/// The error of a `host:port` whose name does not resolve: its message
/// is the whole story, whatever the call that met it.
#[derive(Debug)]
pub struct Unresolved(pub String);

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unresolved {}

/// What to do about the error a newcomer meets first: a port in use (a
/// server still running in another terminal, most often).
fn hint(error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::AddrInUse => {
            "\n  端口已被占用：多半是另一个终端里的服务器还在运行，按 Ctrl-C 停掉它；\
             \n  或者换一个端口，例如 127.0.0.1:0（任选一个空闲端口）。\
             \n  (the port is taken: stop the other server, or pick another port)"
        }
        _ => "",
    }
}
