//! chat-server and chat-client: scripted conversations across every
//! pairing of Rust and Python, each way of ending, a second client, long
//! and hostile messages.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use assert_cmd::Command as AssertCommand;
use predicates::prelude::*;

use crate::support::{bin, occurrences, python, run, rust, Proc, HANG_GUARD};

const PROMPT: &str = "请输入要发送的数据:";
const RECEIVED: &str = "接收到的数据为: ";
const PEER_CLOSED: &str = "对方已关闭连接";

/// A server and its one client, connected, each showing its first prompt.
struct Pair {
    server: Proc,
    client: Proc,
}

fn start_pair(server: Command, client: Command) -> Pair {
    let (server, addr) = Proc::server(server);
    let mut client = client;
    client.arg(addr.to_string());
    let client = Proc::start(client);
    server.wait_stdout("连接已经建立\n");
    client.wait_stdout("已连接\n");
    server.wait_stdout(PROMPT);
    client.wait_stdout(PROMPT);
    Pair { server, client }
}

fn rust_pair() -> Pair {
    start_pair(rust("chat-server"), rust("chat-client"))
}

/// `from` types `line`; waits until `from` prompts again and `to` has
/// printed the message. Pacing by output, never by time.
fn say(from: &mut Proc, to: &Proc, line: &str) {
    let prompts = occurrences(&from.stdout(), PROMPT.as_bytes());
    let shown = format!("{RECEIVED}{line}\n");
    let seen = occurrences(&to.stdout(), shown.as_bytes());
    from.type_in(format!("{line}\n").as_bytes());
    from.wait_stdout_count(PROMPT, prompts + 1);
    to.wait_stdout_count(&shown, seen + 1);
}

/// The tutorial's kind of chat: Chinese one way, English the other.
fn converse(pair: &mut Pair) {
    say(&mut pair.server, &pair.client, "你好，客户端");
    say(&mut pair.client, &pair.server, "hello, server");
    say(&mut pair.server, &pair.client, "第二条 second");
}

fn expected_server_stdout() -> String {
    format!("连接已经建立\n{PROMPT}{PROMPT}{RECEIVED}hello, server\n{PROMPT}")
}

fn expected_client_stdout() -> String {
    format!("已连接\n{PROMPT}{RECEIVED}你好，客户端\n{PROMPT}{RECEIVED}第二条 second\n")
}

fn assert_conversation(pair: &Pair, pairing: &str) {
    assert_eq!(
        pair.server.stdout_text(),
        expected_server_stdout(),
        "{pairing}: server\n{}",
        pair.server.report()
    );
    assert_eq!(
        pair.client.stdout_text(),
        expected_client_stdout(),
        "{pairing}: client\n{}",
        pair.client.report()
    );
}

#[test]
fn the_python_pair_prints_what_this_test_expects() {
    // The reference: the listings' own stdout for the scripted session.
    let mut pair = start_pair(python("chat_server.py"), python("chat_client.py"));
    converse(&mut pair);
    assert_conversation(&pair, "python↔python");
}

#[test]
fn rust_pair_chats_both_ways_and_0_ends_both() {
    let mut pair = rust_pair();
    converse(&mut pair);
    assert_conversation(&pair, "rust↔rust");
    pair.server.type_in(b"0\n");
    pair.server.assert_exit_code(0);
    pair.client.wait_stdout(&format!("{RECEIVED}0\n"));
    pair.client.assert_exit_code(0);
    assert!(
        pair.client.stderr_text().contains(PEER_CLOSED),
        "{}",
        pair.client.report()
    );
    assert!(
        !pair.server.stderr_text().contains(PEER_CLOSED),
        "{}",
        pair.server.report()
    );
    // Nothing more was printed after the conversation and the 0.
    assert_eq!(pair.server.stdout_text(), expected_server_stdout());
}

#[test]
fn rust_server_chats_with_the_python_client() {
    let mut pair = start_pair(rust("chat-server"), python("chat_client.py"));
    converse(&mut pair);
    assert_conversation(&pair, "rust server↔python client");
    pair.server.type_in(b"0\n");
    pair.server.assert_exit_code(0);
    // The Python peer ends when it reads the end of the stream.
    pair.client.wait_exit();
}

#[test]
fn rust_client_chats_with_the_python_server() {
    let mut pair = start_pair(python("chat_server.py"), rust("chat-client"));
    converse(&mut pair);
    assert_conversation(&pair, "python server↔rust client");
    pair.client.type_in(b"0\n");
    pair.client.assert_exit_code(0);
    pair.server.wait_stdout(&format!("{RECEIVED}0\n"));
    pair.server.wait_exit();
}

#[test]
fn typing_0_on_the_client_ends_both() {
    let mut pair = rust_pair();
    say(&mut pair.client, &pair.server, "bye");
    pair.client.type_in(b"0\n");
    pair.client.assert_exit_code(0);
    pair.server.wait_stdout(&format!("{RECEIVED}0\n"));
    pair.server.assert_exit_code(0);
    assert!(
        pair.server.stderr_text().contains(PEER_CLOSED),
        "{}",
        pair.server.report()
    );
}

#[test]
fn end_of_input_on_either_side_ends_both() {
    for server_side in [true, false] {
        let mut pair = rust_pair();
        let (ending, other) = if server_side {
            (&mut pair.server, &mut pair.client)
        } else {
            (&mut pair.client, &mut pair.server)
        };
        ending.close_stdin();
        ending.assert_exit_code(0);
        other.assert_exit_code(0);
        assert!(
            other.stderr_text().contains(PEER_CLOSED),
            "{}",
            other.report()
        );
        // Nothing was sent: the other side printed no message.
        assert!(
            !other.stdout_text().contains(RECEIVED),
            "{}",
            other.report()
        );
    }
}

#[test]
fn killing_either_side_ends_the_other_without_spinning() {
    for kill_server in [true, false] {
        let mut pair = rust_pair();
        say(&mut pair.server, &pair.client, "before the kill");
        let (killed, other) = if kill_server {
            (&mut pair.server, &mut pair.client)
        } else {
            (&mut pair.client, &mut pair.server)
        };
        killed.kill();
        let (status, cpu) = other.wait_exit_with_cpu_time();
        assert!(status.code().is_some(), "{}", other.report());
        assert!(
            other.stderr_text().contains(PEER_CLOSED),
            "{}",
            other.report()
        );
        if let Some(cpu) = cpu {
            assert!(
                cpu < Duration::from_millis(100),
                "used {cpu:?} of CPU\n{}",
                other.report()
            );
        }
    }
}

#[test]
fn a_reset_connection_is_reported_with_exit_1() {
    let (mut server, addr) = Proc::server(rust("chat-server"));
    let mut reset = python("reset_client.py");
    reset.args([addr.to_string(), "one message".to_string()]);
    run(reset, b"").assert_exit_code(0);
    server.assert_exit_code(1);
    assert!(
        server.stderr_text().contains("连接被对方重置"),
        "{}",
        server.report()
    );
}

#[test]
fn a_second_client_is_refused() {
    let pair = rust_pair();
    let addr = {
        let stderr = pair.server.stderr_text();
        let first = stderr.lines().next().unwrap_or_default().to_string();
        first.trim_start_matches("listening on ").to_string()
    };
    let second = TcpStream::connect(&addr);
    assert!(
        second.is_err(),
        "a second client could connect to {addr}\n{}",
        pair.server.report()
    );
}

/// The text of all the messages `proc` printed, joined.
fn received_content(proc: &Proc) -> String {
    proc.stdout_text()
        .replace(PROMPT, "")
        .lines()
        .filter_map(|line| line.strip_prefix(RECEIVED))
        .collect()
}

#[test]
fn long_messages_arrive_whole() {
    let long_ascii: String = (0..3000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let long_chinese = "中".repeat(700);
    for message in [long_ascii, long_chinese] {
        let mut pair = rust_pair();
        pair.server.type_in(format!("{message}\n").as_bytes());
        pair.server.wait_stdout_count(PROMPT, 2);
        pair.server.type_in(b"0\n");
        pair.client.assert_exit_code(0);
        assert_eq!(
            received_content(&pair.client),
            format!("{message}0"),
            "{}",
            pair.client.report()
        );
    }
}

const HOSTILE: &[u8] = b"\xff\xfe ok \x1b[31mred\x1b[0m \x07";
const HOSTILE_SHOWN: &str = "\\xff\\xfe ok \\x1b[31mred\\x1b[0m \\x07";

#[test]
fn invalid_utf8_and_escape_sequences_from_the_client_are_shown_escaped() {
    let (mut server, addr) = Proc::server(rust("chat-server"));
    let mut peer = TcpStream::connect(addr).expect("connect");
    peer.write_all(HOSTILE).expect("send");
    server.wait_stdout(&format!("{RECEIVED}{HOSTILE_SHOWN}\n"));
    drop(peer);
    server.assert_exit_code(0);
}

#[test]
fn invalid_utf8_and_escape_sequences_from_the_server_are_shown_escaped() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut command = rust("chat-client");
    command.arg(listener.local_addr().expect("addr").to_string());
    let mut client = Proc::start(command);
    let (mut peer, _) = listener.accept().expect("accept");
    peer.write_all(HOSTILE).expect("send");
    client.wait_stdout(&format!("{RECEIVED}{HOSTILE_SHOWN}\n"));
    drop(peer);
    client.assert_exit_code(0);
}

#[test]
fn the_server_chats_with_netcat() {
    let has_nc = Command::new("nc").arg("-h").output().is_ok();
    if !has_nc {
        eprintln!("skipped: `nc` (netcat-openbsd) is not installed");
        return;
    }
    let (mut server, addr) = Proc::server(rust("chat-server"));
    let mut nc = Command::new("nc");
    nc.args(["-N", &addr.ip().to_string(), &addr.port().to_string()]);
    let mut nc = Proc::start(nc);
    server.wait_stdout("连接已经建立\n");
    nc.type_in("来自 nc 的问候\n".as_bytes());
    // nc sends the line with its newline, which prints raw.
    server.wait_stdout(&format!("{RECEIVED}来自 nc 的问候\n\n"));
    server.type_in("服务器的回答\n".as_bytes());
    nc.wait_stdout("服务器的回答");
    server.type_in(b"0\n");
    server.assert_exit_code(0);
    nc.close_stdin();
    nc.wait_exit();
    assert_eq!(nc.stdout_text(), "服务器的回答0", "{}", nc.report());
}

#[test]
fn help_names_the_host_name_default_and_bad_addresses_exit_2() {
    for program in ["chat-server", "chat-client"] {
        AssertCommand::new(bin(program))
            .arg("--help")
            .timeout(HANG_GUARD)
            .assert()
            .success()
            .stdout(predicate::str::contains("本机主机名:12345")); // the documented default, not a port in use
        AssertCommand::new(bin(program))
            .arg("[::1")
            .timeout(HANG_GUARD)
            .assert()
            .code(2);
    }
}
