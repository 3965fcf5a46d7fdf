//! End-to-end tests: the workspace's binaries and the Python peers in
//! `tests/peers` run as real processes, on ports the OS picks, and talk to
//! each other over loopback. Requires Python 3.8 or newer, as `python3`,
//! `python` or `py -3`. `E2E_PROGRAMS` and `E2E_RUNNER` run the tests
//! against programs built elsewhere (see `support::bin`).

// Test code: a step that fails (a bind, a read, a lock) fails the test, and
// the failure message says which step.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "in a test, a failed step fails the test"
)]

mod support;

mod chat;
mod check;
mod compare;
mod differential;
mod hello;
mod hello_pace;
mod misbehaving_peers;
mod readmes;
mod startup_errors;
mod storms;
mod tcp;
mod tcp_pace;
mod terminal;
mod trace;
mod udp;
mod xtask;
