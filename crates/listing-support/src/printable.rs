//! Text from the network, made safe to print where the listings print
//! `recv(n).decode()`: `.decode()` raises on bytes that are not UTF-8 and
//! on a character split between two reads, and passes terminal control
//! sequences through raw. Here invalid bytes and control characters other
//! than `\n`, `\r` and `\t` (C0, DEL, C1; ESC above all) print as `\xNN`,
//! and [`PrintableDecoder`] keeps a character cut by a read for the next.

/// `bytes` as printable text, all of it.
pub fn printable(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if ch.is_control() && !matches!(ch, '\n' | '\r' | '\t') {
                text.push_str(&format!("\\x{:02x}", u32::from(ch)));
            } else {
                text.push(ch);
            }
        }
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// A stream read in pieces, as printable text.
#[derive(Debug, Default)]
pub struct PrintableDecoder {
    /// The start of a character that the last read cut off.
    cut: Vec<u8>,
}

impl PrintableDecoder {
    /// One read's text; a character cut at its end waits for the next.
    pub fn decode(&mut self, read: &[u8]) -> String {
        let mut bytes = std::mem::take(&mut self.cut);
        bytes.extend_from_slice(read);
        let last = bytes.utf8_chunks().last().map(|chunk| chunk.invalid());
        // The last invalid bytes end the read: a cut character, if
        // `from_utf8` says it would need more.
        if let Some(tail) =
            last.filter(|tail| std::str::from_utf8(tail).is_err_and(|e| e.error_len().is_none()))
        {
            self.cut = bytes.split_off(bytes.len() - tail.len());
        }
        printable(&bytes)
    }

    /// The end of the stream: a cut character never completes.
    pub fn finish(&mut self) -> String {
        printable(&std::mem::take(&mut self.cut))
    }
}

#[cfg(test)]
mod tests {
    use super::{printable, PrintableDecoder};

    #[test]
    fn plain_text_and_line_ends_pass_through() {
        assert_eq!(printable(b"hello\r\n\tworld\n"), "hello\r\n\tworld\n");
        assert_eq!(printable("你好".as_bytes()), "你好");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable(b"\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(printable(b"a\x00b\x7f"), "a\\x00b\\x7f");
        assert_eq!(printable("\u{9b}".as_bytes()), "\\x9b");
    }

    #[test]
    fn invalid_bytes_are_escaped() {
        assert_eq!(printable(b"a\xffb\xc3"), "a\\xffb\\xc3");
        assert_eq!(printable(b"\xe4\xb8x"), "\\xe4\\xb8x");
    }

    #[test]
    fn a_character_split_between_reads_is_kept_whole() {
        let zhong = "中".as_bytes();
        let mut decoder = PrintableDecoder::default();
        assert_eq!(decoder.decode(&zhong[..1]), "");
        assert_eq!(decoder.decode(&zhong[1..2]), "");
        assert_eq!(decoder.decode(&[zhong[2], b'!']), "中!");
        assert_eq!(decoder.finish(), "");
        assert_eq!(decoder.decode(b"\xff\xe4"), "\\xff");
        assert_eq!(decoder.decode(&zhong[1..]), "中");
    }

    #[test]
    fn an_unfinished_tail_is_escaped_at_the_end() {
        let mut decoder = PrintableDecoder::default();
        assert_eq!(decoder.decode(b"ok\xe4\xb8"), "ok");
        assert_eq!(decoder.finish(), "\\xe4\\xb8");
        assert_eq!(decoder.finish(), "");
    }
}
