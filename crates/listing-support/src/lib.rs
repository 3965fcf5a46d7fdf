//! listing-support: what the six listing programs share beside std, in
//! layers that each use only those before them:
//!
//! - [`stop`]: why a program stops early ([`stop::Stop`]) and `.or_fail(…)`.
//! - [`console`]: stdout and stderr as the programs share them (`warn`).
//! - [`builtins`]: Python's built-ins the listings use (`print`,
//!   `input_bytes`, `bytes_repr`, `float()`, `str(float)`); [`socket`]:
//!   `socket.gethostname()`; [`printable`]: text from the network made safe
//!   to print.
//! - [`program`]: the plumbing around each listing: arguments, `--help`,
//!   addresses, the readiness line, connecting, exit codes.
//! - [`chat`]: how a chat ends, the same in both chat programs.
//!
//! The conventions they follow: crates/README.md, "Conventions".

pub mod builtins;
pub mod chat;
pub mod console;
pub mod printable;
pub mod program;
pub mod socket;
pub mod stop;
