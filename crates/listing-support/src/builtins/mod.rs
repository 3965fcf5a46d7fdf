//! Python's built-ins that the listings use, under the names a Python reader
//! knows: [`print`], [`input`], [`bytes_repr`] (what `print(data)` shows for
//! bytes), [`parse_float`] and [`float_str`] (`float(data)` and `str(x)`),
//! [`TextDecoder`] and [`decode_all`] (`.decode()`, made safe for a
//! terminal), and [`gethostname`] (`socket.gethostname()`).
//!
//! Nothing here depends on the rest of the crate: errors are
//! [`std::io::Error`] or the small types [`StdoutError`] and [`InputError`].

pub mod float;
pub mod hostname;
pub mod input;
pub mod print;
pub mod repr;
pub mod text;

pub use float::{float_str, parse_float};
pub use hostname::gethostname;
pub use input::{input, leave_prompt_line, InputError};
pub use print::{print, StdoutError};
pub use repr::bytes_repr;
pub use text::{decode_all, TextDecoder};

/// Appends `\xNN` (two lowercase hex digits) for a value below 256: how
/// `repr(bytes)` writes a byte, and how [`TextDecoder`] writes what it will
/// not print raw.
fn push_hex_escape(out: &mut String, value: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\x");
    out.push(char::from(HEX[(value as usize >> 4) & 0xf]));
    out.push(char::from(HEX[value as usize & 0xf]));
}
