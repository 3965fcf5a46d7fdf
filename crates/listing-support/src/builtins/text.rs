//! Text from the network, decoded the way `recv(n).decode()` means it, but
//! safe to print (see crates/README.md, Conventions).
//!
//! Python's `.decode()` raises on invalid UTF-8 and on a character split
//! between two reads, and prints terminal control sequences raw. Here an
//! incomplete UTF-8 sequence at the end of a read is kept for the next read,
//! invalid bytes print as `\xNN`, and control characters other than `\n`,
//! `\r` and `\t` (C0, DEL, C1; ESC above all) print as `\xNN` too.

use super::push_hex_escape;

/// Decodes a byte stream read in pieces into printable text.
#[derive(Debug, Default)]
pub struct TextDecoder {
    /// The start of a UTF-8 sequence that the last read cut off.
    pending: Vec<u8>,
}

impl TextDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one read. An incomplete sequence at its end is kept back and
    /// completed by the next call.
    pub fn decode(&mut self, chunk: &[u8]) -> String {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(chunk);
        let (text, tail) = decode_prefix(&bytes);
        self.pending = tail.to_vec();
        text
    }

    /// Ends the stream: bytes still kept back can never complete a
    /// character, so they print as `\xNN`.
    pub fn finish(&mut self) -> String {
        let mut out = String::new();
        for byte in std::mem::take(&mut self.pending) {
            push_hex_escape(&mut out, u32::from(byte));
        }
        out
    }

    /// True when bytes are kept back waiting for the rest of a character.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// Decodes a complete message at once (nothing kept back).
pub fn decode_all(bytes: &[u8]) -> String {
    let mut decoder = TextDecoder::new();
    let mut text = decoder.decode(bytes);
    text.push_str(&decoder.finish());
    text
}

/// Decodes `bytes` up to an incomplete UTF-8 sequence at the very end,
/// which is returned untouched.
fn decode_prefix(mut bytes: &[u8]) -> (String, &[u8]) {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                push_printable(&mut out, valid);
                return (out, &[]);
            }
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                // `valid` is UTF-8 by the error's own account.
                push_printable(&mut out, std::str::from_utf8(valid).unwrap_or_default());
                match error.error_len() {
                    // The input ends in the middle of a character.
                    None => return (out, rest),
                    Some(invalid) => {
                        for &byte in &rest[..invalid] {
                            push_hex_escape(&mut out, u32::from(byte));
                        }
                        bytes = &rest[invalid..];
                    }
                }
            }
        }
    }
}

/// Appends `text` with control characters other than `\n`, `\r`, `\t`
/// written as `\xNN` (their code point: C0, DEL and C1 are all below 0x100).
fn push_printable(out: &mut String, text: &str) {
    for ch in text.chars() {
        if ch.is_control() && !matches!(ch, '\n' | '\r' | '\t') {
            push_hex_escape(out, u32::from(ch));
        } else {
            out.push(ch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{decode_all, TextDecoder};

    #[test]
    fn plain_text_and_line_ends_pass_through() {
        assert_eq!(decode_all(b"hello\r\n\tworld\n"), "hello\r\n\tworld\n");
        assert_eq!(decode_all("你好".as_bytes()), "你好");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(decode_all(b"\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(decode_all(b"a\x00b\x7f"), "a\\x00b\\x7f");
        assert_eq!(decode_all("\u{9b}".as_bytes()), "\\x9b");
    }

    #[test]
    fn invalid_bytes_are_escaped() {
        assert_eq!(decode_all(b"a\xffb\xc3"), "a\\xffb\\xc3");
        assert_eq!(decode_all(b"\xe4\xb8x"), "\\xe4\\xb8x");
    }

    #[test]
    fn a_character_split_between_reads_is_kept_whole() {
        let zhong = "中".as_bytes();
        let mut decoder = TextDecoder::new();
        assert_eq!(decoder.decode(&zhong[..1]), "");
        assert!(decoder.has_pending());
        assert_eq!(decoder.decode(&zhong[1..2]), "");
        assert_eq!(decoder.decode(&[zhong[2], b'!']), "中!");
        assert!(!decoder.has_pending());
    }

    #[test]
    fn an_unfinished_tail_is_escaped_at_the_end() {
        let mut decoder = TextDecoder::new();
        assert_eq!(decoder.decode(b"ok\xe4\xb8"), "ok");
        assert_eq!(decoder.finish(), "\\xe4\\xb8");
        assert_eq!(decoder.finish(), "");
    }
}
