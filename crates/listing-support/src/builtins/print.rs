//! Python's `print(*args)`: the arguments joined by one space, then a
//! newline, on stdout, flushed at once.
//!
//! stdout is written through a locked handle with `write_all`, not with
//! `print!`, which panics when whoever reads stdout has gone.

use std::fmt;
use std::io::{self, Write};

/// A write to stdout failed. `is_closed` tells a reader that has gone (a
/// closed pipe), which is no error for the programs, from a real failure.
#[derive(Debug)]
pub struct StdoutError(pub io::Error);

impl StdoutError {
    /// Whoever read stdout has gone (`BrokenPipe`).
    pub fn is_closed(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

impl fmt::Display for StdoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "无法写标准输出: {}", self.0)
    }
}

impl std::error::Error for StdoutError {}

/// `print(a, b, …)`: `args` joined by single spaces, then `\n`, flushed.
/// `print(&["接收到的数据为:", &recv_data])` writes what Python's
/// `print('接收到的数据为:', recvData)` writes.
pub fn print(args: &[&str]) -> Result<(), StdoutError> {
    let mut line = args.join(" ");
    line.push('\n');
    write_stdout(&line)?;
    // Whatever was on the cursor's line (a prompt) is now above it.
    super::input::line_ended();
    Ok(())
}

/// Writes `text` to stdout and flushes it. stdout stays locked only for
/// this write, so that another thread can print between two of them.
pub(super) fn write_stdout(text: &str) -> Result<(), StdoutError> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(StdoutError)
}
