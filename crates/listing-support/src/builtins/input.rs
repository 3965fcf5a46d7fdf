//! Python's `input(prompt)`: the prompt on stdout without a newline, then
//! one line from stdin.
//!
//! The line is read as bytes, so input that is not UTF-8 is not an error,
//! and its line end is removed as Python's `input()` removes it on this OS:
//! `\n` on Linux and macOS (a `\r` before it stays), `\r\n` on Windows
//! (where Python reads stdin in text mode).
//!
//! It also remembers whether its prompt is showing on a terminal, the
//! cursor still after it ([`leave_prompt_line`]): a message written then
//! must start on a new line, or it would be glued to the prompt.

use std::fmt;
use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use super::print::{write_stdout, StdoutError};

/// Why `input()` failed: the prompt could not be written, or stdin could
/// not be read.
#[derive(Debug)]
pub enum InputError {
    Prompt(StdoutError),
    Stdin(io::Error),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Prompt(error) => error.fmt(f),
            InputError::Stdin(error) => write!(f, "无法读取标准输入: {error}"),
        }
    }
}

impl std::error::Error for InputError {}

/// Writes `prompt` to stdout, flushes it, and reads one line from stdin.
/// `Ok(None)` means stdin ended before a line was typed (where Python
/// raises `EOFError`).
///
/// stdout is locked only while the prompt is written: another thread (the
/// chat's `read`) must be able to print while this one waits for a line.
pub fn input(prompt: &str) -> Result<Option<Vec<u8>>, InputError> {
    write_stdout(prompt).map_err(InputError::Prompt)?;
    PROMPT_SHOWING.store(io::stdout().is_terminal(), Ordering::SeqCst);
    let line = read_line(&mut io::stdin().lock()).map_err(InputError::Stdin)?;
    // A typed line ends with Enter, which the terminal shows as a new
    // line. The end of input (Ctrl-D) shows nothing: the prompt stays.
    if line.is_some() {
        line_ended();
    }
    Ok(line)
}

/// Whether a prompt of [`input`] is on the terminal (stdout is one) with
/// the cursor still after it: nothing has ended that line yet.
static PROMPT_SHOWING: AtomicBool = AtomicBool::new(false);

/// Whether a prompt is showing on a terminal with the cursor after it; from
/// now on it counts as left, since the caller is about to start a new line
/// (a notice on stderr, the end of the program).
pub fn leave_prompt_line() -> bool {
    PROMPT_SHOWING.swap(false, Ordering::SeqCst)
}

/// The cursor is at the start of a line: a typed line or a `print` ended it.
pub(super) fn line_ended() {
    PROMPT_SHOWING.store(false, Ordering::SeqCst);
}

/// `input()` over any reader and writer, for tests.
pub fn input_from(
    prompt: &str,
    reader: &mut impl BufRead,
    writer: &mut impl Write,
) -> io::Result<Option<Vec<u8>>> {
    writer.write_all(prompt.as_bytes())?;
    writer.flush()?;
    read_line(reader)
}

/// One line as `input()` returns it: bytes, its line end removed;
/// `None` when the input has ended.
fn read_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line)? == 0 {
        return Ok(None);
    }
    strip_line_end(&mut line, cfg!(windows));
    Ok(Some(line))
}

/// Removes one trailing `\n`, and on Windows a `\r` before it: what a
/// typed line ends with there (Enter gives `\r\n`), and what Python's
/// text-mode stdin turns into nothing. Elsewhere a `\r` stays, as in Python.
fn strip_line_end(line: &mut Vec<u8>, windows: bool) {
    if line.last() == Some(&b'\n') {
        line.pop();
        if windows && line.last() == Some(&b'\r') {
            line.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{input_from, strip_line_end};

    fn run(stdin: &[u8]) -> (Option<Vec<u8>>, Vec<u8>) {
        let mut reader = stdin;
        let mut written = Vec::new();
        let line = input_from("请输入:", &mut reader, &mut written).unwrap(); // test: reading a slice cannot fail
        (line, written)
    }

    #[test]
    fn prompt_has_no_newline_and_one_newline_is_stripped() {
        let (line, written) = run(b"hello\n\nnext\n");
        assert_eq!(line.as_deref(), Some(&b"hello"[..]));
        assert_eq!(written, "请输入:".as_bytes());
    }

    #[test]
    fn carriage_return_stays_on_unix_only() {
        let stripped = |line: &[u8], windows: bool| {
            let mut line = line.to_vec();
            strip_line_end(&mut line, windows);
            line
        };
        assert_eq!(stripped(b"ab\r\n", false), b"ab\r");
        assert_eq!(stripped(b"ab\r\n", true), b"ab");
        assert_eq!(stripped(b"ab\r", true), b"ab\r");
        assert_eq!(stripped(b"\r\n\n", true), b"\r\n");
    }

    #[test]
    fn raw_bytes_stay() {
        assert_eq!(run(b"\xff\xfe\n").0.as_deref(), Some(&b"\xff\xfe"[..]));
    }

    #[test]
    fn an_empty_line_is_not_the_end() {
        assert_eq!(run(b"\n").0.as_deref(), Some(&b""[..]));
    }

    #[test]
    fn a_last_line_without_newline_is_still_a_line() {
        assert_eq!(run(b"tail").0.as_deref(), Some(&b"tail"[..]));
    }

    #[test]
    fn end_of_input_is_none() {
        assert_eq!(run(b"").0, None);
    }
}
