//! Python's built-ins as the listings use them, under names a Python reader
//! knows: [`print`], [`input_bytes`] (`input()`, the line as bytes),
//! [`bytes_repr`] (what `print(data)` shows), and in [`float`] `float(data)`
//! and `str(x)`.

pub mod float;

use std::io::{self, BufRead};

use crate::console::{line_typed, write_stdout};
use crate::stop::{OrFail, Stop};

pub use float::{float_str, parse_float};

/// `print(a, b, …)`: the arguments joined by single spaces, then `\n`,
/// written and flushed at once: `print(&["接收到的数据为:", &recv_data])`.
pub fn print(args: &[&str]) -> Result<(), Stop> {
    write_stdout(&(args.join(" ") + "\n"))
}

/// `input(prompt)`: the prompt on stdout (no newline), then one line from
/// stdin, as bytes (input that is not UTF-8 is no error), without its line
/// end. `None` where Python raises `EOFError`: stdin ended first.
pub fn input_bytes(prompt: &str) -> Result<Option<Vec<u8>>, Stop> {
    write_stdout(prompt)?;
    // stdout is not locked while this waits: another thread may print.
    let line = read_line(&mut io::stdin().lock()).or_fail(|| "无法读取标准输入")?;
    if line.is_some() {
        line_typed();
    }
    Ok(line)
}

/// One line as `input()` returns it, or `None` at the end of the input.
/// The line end goes as Python's `input()` drops it on this OS: `\n`, and
/// on Windows (where Enter gives `\r\n`) the `\r` before it too.
pub fn read_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line)? == 0 {
        return Ok(None);
    }
    if line.pop_if(|end| *end == b'\n').is_some() && cfg!(windows) {
        line.pop_if(|end| *end == b'\r');
    }
    Ok(Some(line))
}

/// Python's `repr(data)` for `data: bytes`: printable ASCII as itself,
/// `\\ \t \n \r` escaped, other bytes as `\xNN`; quoted with `'` unless the
/// data holds a `'` and no `"`, and only that quote escaped.
pub fn bytes_repr(data: &[u8]) -> String {
    let escaped = data.escape_ascii().to_string();
    // `escape_ascii` escapes both quotes: unescape the one not used.
    if data.contains(&b'\'') && !data.contains(&b'"') {
        format!("b\"{}\"", escaped.replace("\\'", "'"))
    } else {
        format!("b'{}'", escaped.replace("\\\"", "\""))
    }
}

#[cfg(test)]
mod tests {
    use super::{bytes_repr, read_line};

    #[test]
    fn bytes_as_python_shows_them() {
        assert_eq!(bytes_repr(b""), "b''");
        assert_eq!(bytes_repr(b"GET / \r\n\t\\"), "b'GET / \\r\\n\\t\\\\'");
        assert_eq!(bytes_repr(b"it's"), "b\"it's\"");
        assert_eq!(bytes_repr(b"'\""), "b'\\'\"'");
        assert_eq!(bytes_repr(b"\\\"x"), "b'\\\\\"x'");
        assert_eq!(bytes_repr(b"\x00\x7f\xff"), "b'\\x00\\x7f\\xff'");
    }

    #[test]
    fn a_line_loses_its_line_end_as_python_s_input_drops_it() {
        let read = |bytes: &[u8]| read_line(&mut &bytes[..]).ok().flatten();
        assert_eq!(read(b"25\n"), Some(b"25".to_vec()));
        assert_eq!(read(b"no end"), Some(b"no end".to_vec()));
        assert_eq!(read(b"\n"), Some(Vec::new()));
        assert_eq!(read(b""), None);
        let crlf = if cfg!(windows) { &b"25"[..] } else { b"25\r" };
        assert_eq!(read(b"25\r\n"), Some(crlf.to_vec()));
        assert_eq!(read(b"\xff\xfe\n"), Some(b"\xff\xfe".to_vec()));
    }
}
