//! Python's `repr()` of a `bytes` object, which is what `print(data)` writes.

use super::push_hex_escape;

/// Returns exactly what Python's `repr(data)` returns for `data: bytes`.
///
/// Printable ASCII stands as itself, `\\`, `\t`, `\n` and `\r` are escaped,
/// every other byte is `\xNN` in lowercase hex. The quote is `'` unless the
/// data holds a `'` and no `"`; only the chosen quote is escaped.
pub fn bytes_repr(data: &[u8]) -> String {
    let quote = if data.contains(&b'\'') && !data.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(data.len() + 3);
    out.push('b');
    out.push(char::from(quote));
    for &byte in data {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if byte == quote => {
                out.push('\\');
                out.push(char::from(byte));
            }
            0x20..=0x7e => out.push(char::from(byte)),
            _ => push_hex_escape(&mut out, u32::from(byte)),
        }
    }
    out.push(char::from(quote));
    out
}

#[cfg(test)]
mod tests {
    use super::bytes_repr;

    #[test]
    fn matches_python_on_hand_picked_cases() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "b''"),
            (b"GET / HTTP/1.1\r\n\r\n", "b'GET / HTTP/1.1\\r\\n\\r\\n'"),
            (b"it's", "b\"it's\""),
            (b"it's \"x\"", "b'it\\'s \"x\"'"),
            (b"\"", "b'\"'"),
            (b"\\", "b'\\\\'"),
            (b"\x00\x7f\x80\xff\x1b", "b'\\x00\\x7f\\x80\\xff\\x1b'"),
            (b"\t\x0b\x0c", "b'\\t\\x0b\\x0c'"),
        ];
        for (input, expected) in cases {
            assert_eq!(bytes_repr(input), *expected, "input {input:?}");
        }
    }
}
