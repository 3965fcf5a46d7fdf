//! End-to-end tests: the workspace's binaries and the Python peers in
//! `tests/peers` run as real processes, on ports the OS picks, and talk to
//! each other over loopback. Requires `python3` (3.8 or newer) on PATH.

mod support;

mod chat;
mod differential;
mod hardening;
mod hello;
mod hello_pace;
mod hostile;
mod tcp;
mod udp;
mod xtask;
