//! listing-support: what the six listing programs need beside std, in
//! three layers that depend one way.
//!
//! - [`builtins`]: Python's built-ins the listings lean on (`print`,
//!   `input`, bytes repr, `float`, `str(float)`, `.decode()`,
//!   `socket.gethostname()`). Depends on nothing else here.
//! - [`program`]: the plumbing around each listing (the `[ADDR]` argument,
//!   `--help`, [`program::Failure`] and exit codes, stderr messages, the
//!   readiness line). Builds on `builtins`.
//! - [`chat`]: what both chat programs do the same way: how a conversation
//!   ends, and their two named threads. Builds on both.
//!
//! The conventions they follow: crates/README.md, "Conventions".

pub mod builtins;
pub mod chat;
pub mod program;
