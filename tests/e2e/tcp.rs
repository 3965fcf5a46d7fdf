//! tcp-client against the Rust and Python hello servers, its stdout against
//! the (fixed) Python client's, and its faults: refused, EOF, empty line.
//! Slow, silent and unanswering servers: tcp_pace.rs.

use std::net::SocketAddr;
use std::process::Command;

use crate::support::{
    programs_are_windows, python, run, rust, unused_addr, with_addr, Proc, HELLO_REPLY, RECEIVED,
    TCP_PROMPT,
};

/// A client run to its end against `addr`, with `typed` on its stdin.
fn client(command: Command, addr: SocketAddr, typed: &[u8]) -> Proc {
    run(with_addr(command, addr), typed)
}

/// The client ended well (exit 0) and printed its prompt and the hello
/// reply.
fn assert_got_hello(client: &mut Proc) {
    client.assert_exit_code(0);
    client.assert_stdout_eq(
        [
            TCP_PROMPT.as_bytes(),
            RECEIVED.as_bytes(),
            HELLO_REPLY,
            b"\n",
        ]
        .concat(),
    );
}

#[test]
fn tcp_client_talks_to_the_rust_hello_server() {
    let (server, addr) = Proc::server(rust("hello-server"));
    let mut client = client(
        rust("tcp-client"),
        addr,
        b"hello, \xe4\xb8\x96\xe7\x95\x8c\r\n",
    );
    assert_got_hello(&mut client);
    // The line went without its line end as Python's `input()` takes it
    // off: `\n` on Unix (the `\r` stays), `\r\n` on Windows.
    if programs_are_windows() {
        server.wait_stdout("b'hello, \\xe4\\xb8\\x96\\xe7\\x95\\x8c'\n");
    } else {
        server.wait_stdout("b'hello, \\xe4\\xb8\\x96\\xe7\\x95\\x8c\\r'\n");
    }
}

#[test]
fn tcp_client_prints_what_the_python_client_prints() {
    for server in [rust("hello-server"), python("hello_server.py")] {
        let (server, addr) = Proc::server(server);
        for line in [
            &b"hello\n"[..],
            b"  spaces  \n",
            "中文\n".as_bytes(),
            b"no newline",
        ] {
            let mut ours = client(rust("tcp-client"), addr, line);
            let mut theirs = client(python("tcp_client.py"), addr, line);
            ours.assert_exit_code(0);
            theirs.assert_exit_code(0);
            ours.assert_same_stdout_as(&theirs);
        }
        server.wait_stdout_count("b'hello'\n", 2);
    }
}

#[test]
fn tcp_client_talks_to_the_python_hello_server() {
    let (server, addr) = Proc::server(python("hello_server.py"));
    let mut client = client(rust("tcp-client"), addr, b"from rust\n");
    assert_got_hello(&mut client);
    server.wait_stdout("b'from rust'\n");
}

#[test]
fn an_empty_line_does_not_deadlock() {
    // The listing sends nothing and both sides wait forever; ours ends its
    // side, so even the Python server replies.
    for server in [rust("hello-server"), python("hello_server.py")] {
        let (server, addr) = Proc::server(server);
        let mut client = client(rust("tcp-client"), addr, b"\n");
        assert_got_hello(&mut client);
        server.wait_stdout("b''\n");
    }
}

#[test]
fn a_refused_connection_names_the_address() {
    let addr = unused_addr();
    let mut client = client(rust("tcp-client"), addr, b"hello\n");
    client.assert_exit_code(1);
    client.assert_stderr_contains(&format!("tcp-client: 无法连接 {addr}: Connection refused"));
    client.assert_stdout_eq("");
}

#[test]
fn end_of_input_before_a_line_is_a_clear_error() {
    let (server, addr) = Proc::server(rust("hello-server"));
    let mut client = client(rust("tcp-client"), addr, b"");
    client.assert_exit_code(1);
    client.assert_stderr_contains("标准输入已结束");
    client.assert_stdout_eq(TCP_PROMPT);
    // Nothing was sent: the server saw the connection end empty.
    server.wait_stdout("b''\n");
}
