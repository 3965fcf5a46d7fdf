//! tcp-client against the Rust and Python hello servers, its stdout against
//! the (fixed) Python client's, and its faults: refused, EOF, empty line.
//! Slow, silent and unanswering servers: tcp_pace.rs.

use std::net::SocketAddr;
use std::process::Command;

use crate::support::{python, run, rust, unused_addr, Proc};

const PROMPT: &str = "请输入要发送的数据";

fn client(command: Command, addr: SocketAddr, typed: &[u8]) -> Proc {
    let mut command = command;
    command.arg(addr.to_string());
    run(command, typed)
}

fn expected_stdout() -> String {
    format!("{PROMPT}接收到的数据为: HTTP/1.1 200 OK\r\n\r\nhello world\n")
}

#[test]
fn tcp_client_talks_to_the_rust_hello_server() {
    let (server, addr) = Proc::server(rust("hello-server"));
    let mut client = client(
        rust("tcp-client"),
        addr,
        b"hello, \xe4\xb8\x96\xe7\x95\x8c\r\n",
    );
    client.assert_exit_code(0);
    assert_eq!(
        client.stdout_text(),
        expected_stdout(),
        "{}",
        client.report()
    );
    // The line went without its \n, its \r kept.
    server.wait_stdout("b'hello, \\xe4\\xb8\\x96\\xe7\\x95\\x8c\\r'\n");
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
            assert_eq!(
                ours.stdout(),
                theirs.stdout(),
                "\nRust:\n{}\nPython:\n{}",
                ours.report(),
                theirs.report()
            );
        }
        server.wait_stdout_count("b'hello'\n", 2);
    }
}

#[test]
fn tcp_client_talks_to_the_python_hello_server() {
    let (server, addr) = Proc::server(python("hello_server.py"));
    let mut client = client(rust("tcp-client"), addr, b"from rust\n");
    client.assert_exit_code(0);
    assert_eq!(
        client.stdout_text(),
        expected_stdout(),
        "{}",
        client.report()
    );
    server.wait_stdout("b'from rust'\n");
}

#[test]
fn an_empty_line_does_not_deadlock() {
    // The listing sends nothing and both sides wait forever; ours ends its
    // side, so even the Python server replies.
    for server in [rust("hello-server"), python("hello_server.py")] {
        let (server, addr) = Proc::server(server);
        let mut client = client(rust("tcp-client"), addr, b"\n");
        client.assert_exit_code(0);
        assert_eq!(
            client.stdout_text(),
            expected_stdout(),
            "{}",
            client.report()
        );
        server.wait_stdout("b''\n");
    }
}

#[test]
fn a_refused_connection_names_the_address() {
    let addr = unused_addr();
    let mut client = client(rust("tcp-client"), addr, b"hello\n");
    client.assert_exit_code(1);
    let expected = format!("tcp-client: 无法连接 {addr}: Connection refused");
    assert!(
        client.stderr_text().contains(&expected),
        "{}",
        client.report()
    );
    assert_eq!(client.stdout_text(), "", "{}", client.report());
}

#[test]
fn end_of_input_before_a_line_is_a_clear_error() {
    let (server, addr) = Proc::server(rust("hello-server"));
    let mut client = client(rust("tcp-client"), addr, b"");
    client.assert_exit_code(1);
    assert!(
        client.stderr_text().contains("标准输入已结束"),
        "{}",
        client.report()
    );
    assert_eq!(client.stdout_text(), PROMPT, "{}", client.report());
    // Nothing was sent: the server saw the connection end empty.
    server.wait_stdout("b''\n");
}
