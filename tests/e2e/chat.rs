//! chat-server and chat-client: scripted conversations across every
//! pairing of Rust and Python, each way of ending, a second client, long
//! and hostile messages.

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use predicates::prelude::*;

use crate::support::{
    chat_messages, local_listener, occurrences, python, run, rust, rust_assert, with_addr, Proc,
    CHAT_CLIENT_CONNECTED, CHAT_PROMPT, CHAT_SERVER_CONNECTED, HANG_GUARD, PEER_CLOSED, RECEIVED,
};

/// A server and its one client, connected, each showing its first prompt.
struct Pair {
    server: Proc,
    client: Proc,
}

fn start_pair(server: Command, client: Command) -> Pair {
    let (server, addr) = Proc::server(server);
    let client = Proc::start(with_addr(client, addr));
    server.wait_stdout(CHAT_SERVER_CONNECTED);
    client.wait_stdout(CHAT_CLIENT_CONNECTED);
    server.wait_stdout(CHAT_PROMPT);
    client.wait_stdout(CHAT_PROMPT);
    Pair { server, client }
}

fn rust_pair() -> Pair {
    start_pair(rust("chat-server"), rust("chat-client"))
}

/// `from` types `line`; waits until `from` prompts again and `to` has
/// printed the message. Pacing by output, never by time.
fn say(from: &mut Proc, to: &Proc, line: &str) {
    let prompts = occurrences(&from.stdout(), CHAT_PROMPT.as_bytes());
    let shown = format!("{RECEIVED}{line}\n");
    let seen = occurrences(&to.stdout(), shown.as_bytes());
    from.type_in(format!("{line}\n").as_bytes());
    from.wait_stdout_count(CHAT_PROMPT, prompts + 1);
    to.wait_stdout_count(&shown, seen + 1);
}

/// The tutorial's kind of chat, Chinese one way and English the other:
/// whether the server types the line, and the line.
const CONVERSATION: [(bool, &str); 3] = [
    (true, "你好，客户端"),
    (false, "hello, server"),
    (true, "第二条 second"),
];

fn converse(pair: &mut Pair) {
    for (by_server, line) in CONVERSATION {
        if by_server {
            say(&mut pair.server, &pair.client, line);
        } else {
            say(&mut pair.client, &pair.server, line);
        }
    }
}

/// What one side prints in `converse`: its connected line and a prompt,
/// then a prompt again after each line it types and each line the other
/// side types, as received.
fn expected_stdout(server: bool) -> String {
    let connected = if server {
        CHAT_SERVER_CONNECTED
    } else {
        CHAT_CLIENT_CONNECTED
    };
    let mut expected = format!("{connected}{CHAT_PROMPT}");
    for (by_server, line) in CONVERSATION {
        if by_server == server {
            expected.push_str(CHAT_PROMPT);
        } else {
            expected.push_str(&format!("{RECEIVED}{line}\n"));
        }
    }
    expected
}

/// `ending` types `0`, which it sends and then ends (exit 0); `other`
/// prints it as the last message.
fn end_with_0(ending: &mut Proc, other: &Proc) {
    ending.type_in(b"0\n");
    ending.assert_exit_code(0);
    other.wait_stdout(&format!("{RECEIVED}0\n"));
}

/// Both sides printed the scripted conversation of `converse`, exactly.
fn assert_conversation(pair: &Pair) {
    pair.server.assert_stdout_eq(expected_stdout(true));
    pair.client.assert_stdout_eq(expected_stdout(false));
}

#[test]
fn the_python_pair_prints_what_this_test_expects() {
    // The reference: the listings' own stdout for the scripted session.
    let mut pair = start_pair(python("chat_server.py"), python("chat_client.py"));
    converse(&mut pair);
    assert_conversation(&pair);
}

#[test]
fn rust_pair_chats_both_ways_and_0_ends_both() {
    let mut pair = rust_pair();
    converse(&mut pair);
    assert_conversation(&pair);
    end_with_0(&mut pair.server, &pair.client);
    pair.client.assert_exit_code(0);
    pair.client.assert_stderr_contains(PEER_CLOSED);
    pair.server.assert_stderr_lacks(PEER_CLOSED);
    // Nothing more was printed after the conversation and the 0.
    pair.server.assert_stdout_eq(expected_stdout(true));
}

#[test]
fn rust_server_chats_with_the_python_client() {
    let mut pair = start_pair(rust("chat-server"), python("chat_client.py"));
    converse(&mut pair);
    assert_conversation(&pair);
    pair.server.type_in(b"0\n");
    pair.server.assert_exit_code(0);
    // The Python peer ends when it reads the end of the stream.
    pair.client.wait_exit();
}

#[test]
fn rust_client_chats_with_the_python_server() {
    let mut pair = start_pair(python("chat_server.py"), rust("chat-client"));
    converse(&mut pair);
    assert_conversation(&pair);
    end_with_0(&mut pair.client, &pair.server);
    pair.server.wait_exit();
}

#[test]
fn typing_0_on_the_client_ends_both() {
    let mut pair = rust_pair();
    say(&mut pair.client, &pair.server, "bye");
    end_with_0(&mut pair.client, &pair.server);
    pair.server.assert_exit_code(0);
    pair.server.assert_stderr_contains(PEER_CLOSED);
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
        other.assert_stderr_contains(PEER_CLOSED);
        // Nothing was sent: the other side printed no message.
        other.assert_stdout_lacks(RECEIVED);
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
        other.assert_holds(status.code().is_some(), "ended by a signal");
        other.assert_stderr_contains(PEER_CLOSED);
        if let Some(cpu) = cpu {
            other.assert_holds(
                cpu < Duration::from_millis(100),
                format!("used {cpu:?} of CPU"),
            );
        }
    }
}

#[test]
fn a_reset_connection_is_reported_with_exit_1() {
    let (mut server, addr) = Proc::server(rust("chat-server"));
    let mut reset = with_addr(python("reset_client.py"), addr);
    reset.arg("one message");
    run(reset, b"").assert_exit_code(0);
    server.assert_exit_code(1);
    server.assert_stderr_contains("连接被对方重置");
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
    pair.server.assert_holds(
        second.is_err(),
        format!("a second client could connect to {addr}"),
    );
    // A second chat-client is told why a running server may refuse it.
    let mut command = rust("chat-client");
    command.arg(&addr);
    let mut second = run(command, b"");
    second.assert_exit_code(1);
    second.assert_stderr_contains("请先启动 chat-server");
    second.assert_stderr_contains("一次只接受一个客户端");
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
        pair.server.wait_stdout_count(CHAT_PROMPT, 2);
        pair.server.type_in(b"0\n");
        pair.client.assert_exit_code(0);
        pair.client.assert_bytes_eq(
            "the messages",
            chat_messages(&pair.client),
            format!("{message}0"),
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
    let (listener, addr) = local_listener();
    let mut client = Proc::start(with_addr(rust("chat-client"), addr));
    let (mut peer, _) = listener.accept().expect("accept");
    peer.write_all(HOSTILE).expect("send");
    client.wait_stdout(&format!("{RECEIVED}{HOSTILE_SHOWN}\n"));
    drop(peer);
    client.assert_exit_code(0);
}

#[test]
fn the_server_chats_with_netcat() {
    let mut nc_help = Command::new("nc");
    nc_help.arg("-h");
    let has_nc = xtask::harness::run_to_end(nc_help, HANG_GUARD).is_ok();
    if !has_nc {
        eprintln!("skipped: `nc` (netcat-openbsd) is not installed");
        return;
    }
    let (mut server, addr) = Proc::server(rust("chat-server"));
    let mut nc = Command::new("nc");
    nc.args(["-N", &addr.ip().to_string(), &addr.port().to_string()]);
    let mut nc = Proc::start(nc);
    server.wait_stdout(CHAT_SERVER_CONNECTED);
    nc.type_in("来自 nc 的问候\n".as_bytes());
    // nc sends the line with its newline, which prints raw.
    server.wait_stdout(&format!("{RECEIVED}来自 nc 的问候\n\n"));
    server.type_in("服务器的回答\n".as_bytes());
    nc.wait_stdout("服务器的回答");
    server.type_in(b"0\n");
    server.assert_exit_code(0);
    nc.close_stdin();
    nc.wait_exit();
    nc.assert_stdout_eq("服务器的回答0");
}

#[test]
fn help_names_the_host_name_default_and_bad_addresses_exit_2() {
    for program in ["chat-server", "chat-client"] {
        rust_assert(program)
            .arg("--help")
            .timeout(HANG_GUARD)
            .assert()
            .success()
            .stdout(predicate::str::contains("本机主机名:12345")); // the documented default, not a port in use
        rust_assert(program)
            .arg("[::1")
            .timeout(HANG_GUARD)
            .assert()
            .code(2);
    }
}
