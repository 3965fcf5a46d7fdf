//! The small pieces of Python that the tutorial's six listings lean on,
//! written once in std-only Rust so every binary behaves like its listing.
//!
//! - [`repr::bytes_repr`] gives what `print(data)` shows for a `bytes` object.
//! - [`input::input`] gives Python's `input(prompt)`, reading bytes.
//! - [`text::TextDecoder`] gives `.decode()` for text from the network, made safe
//!   for a terminal (DESIGN §3).
//! - [`float::parse_float`] and [`float::float_str`] give `float(data)` and `str(x)`.
//! - [`hostname::gethostname`] gives `socket.gethostname()`.
//! - [`chat`] holds what the two chat listings' threads share.
//! - [`cli`] holds the command line, errors and exit codes shared by all six.

pub mod chat;
pub mod cli;
pub mod float;
pub mod hostname;
pub mod input;
pub mod repr;
pub mod text;
