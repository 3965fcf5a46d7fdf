//! tcp-client and chat-client at the pace of real servers and networks: a
//! reply from a server that keeps its side open, a server that closes
//! without a word, one that stays silent, an address that never answers
//! a connection attempt, and no server at all.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{python, rust, unused_addr, Proc, HANG_GUARD, RECEIVED, TCP_PROMPT as PROMPT};

/// tcp-client for `addr`, with `line` typed at once.
fn tcp_client(addr: SocketAddr, line: &[u8]) -> Proc {
    let mut command = rust("tcp-client");
    command.arg(addr.to_string());
    let mut client = Proc::start(command);
    client.type_in(line);
    client
}

/// Accepts tcp-client's connection and reads its line, up to the end of
/// its sending side.
fn hear_out(listener: &TcpListener) -> TcpStream {
    let (mut stream, _) = listener.accept().expect("accept");
    stream.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
    stream
        .read_to_end(&mut Vec::new())
        .expect("the client's line");
    stream
}

#[test]
fn a_reply_from_a_server_that_keeps_its_side_open_is_printed_at_once() {
    // As `nc -l` with a person typing, or an echo server: the reply comes,
    // the connection stays open.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut client = tcp_client(addr, b"hi\n");
    let mut stream = hear_out(&listener);
    let sent = Instant::now();
    stream.write_all(b"hello, first piece").expect("reply");
    // Held open (and silent) until the client has ended.
    client.assert_exit_code(0);
    let took = sent.elapsed();
    assert_eq!(
        client.stdout_text(),
        format!("{PROMPT}{RECEIVED}hello, first piece\n"),
        "{}",
        client.report()
    );
    assert_eq!(client.stderr_text(), "", "{}", client.report());
    println!("note: tcp-client printed the reply and exited {took:?} after it was sent");
    drop(stream);
}

#[test]
fn a_server_that_closes_without_a_reply_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut client = tcp_client(addr, b"hi\n");
    drop(hear_out(&listener));
    client.assert_exit_code(1);
    client.assert_stderr_contains(&format!("tcp-client: {addr} 没有回复就关闭了连接"));
    // stdout as the listing's (it prints the empty reply), but exit 1 and
    // the message on stderr: no success.
    assert_eq!(
        client.stdout_text(),
        format!("{PROMPT}{RECEIVED}\n"),
        "{}",
        client.report()
    );
}

#[test]
fn while_a_server_stays_silent_the_client_says_it_is_still_waiting() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let client = tcp_client(addr, b"anyone there?\n");
    let _silent = hear_out(&listener);
    // The first note comes after 3 s; the client is killed when dropped.
    client.wait_stderr(&format!("还在等待 {addr} 的回复"));
    assert_eq!(client.stdout_text(), PROMPT, "{}", client.report());
}

/// How long to wait for a client that gives up connecting after 10 s.
const CONNECT_GUARD: Duration = Duration::from_secs(20);

#[test]
fn an_address_that_never_answers_ends_in_a_message_naming_it() {
    // A listener whose accept queue is full: the kernel drops further
    // connection attempts, as a firewall does, all on loopback.
    let (_full, addr) = Proc::server(python("full_backlog.py"));
    let started = Instant::now();
    let mut clients: Vec<Proc> = ["tcp-client", "chat-client"]
        .into_iter()
        .map(|program| {
            let mut command = rust(program);
            command.arg(addr.to_string());
            Proc::start(command)
        })
        .collect();
    for client in &mut clients {
        let status = client.try_wait_exit(CONNECT_GUARD);
        assert!(status.is_some(), "still connecting\n{}", client.report());
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(1),
            "{}",
            client.report()
        );
        client.assert_stderr_contains(&format!("无法连接 {addr}: 10 秒内没有应答"));
    }
    println!(
        "note: both clients gave up connecting after {:?}",
        started.elapsed()
    );
}

#[test]
fn a_refused_connection_says_which_program_to_start() {
    let addr = unused_addr();
    for (program, partner) in [
        ("tcp-client", "hello-server"),
        ("chat-client", "chat-server"),
    ] {
        let mut command: Command = rust(program);
        command.arg(addr.to_string());
        let mut client = Proc::start(command);
        client.assert_exit_code(1);
        client.assert_stderr_contains(&format!("请先启动 {partner} (start {partner} first)"));
    }
}
