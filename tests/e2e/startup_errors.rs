//! Every program started wrongly: bad arguments (usage, exit 2), a name
//! that does not resolve, a port already taken (a message naming it, exit
//! 1), and never a panic.

use std::net::TcpStream;

use predicates::prelude::*;

use crate::support::{
    local_udp_socket, rust, rust_assert, tcp_exchange, unused_addr, Proc, CHAT_SERVER_CONNECTED,
    HANG_GUARD, HELLO_REPLY, PROGRAMS,
};

#[test]
fn every_binary_refuses_bad_arguments_with_usage_and_exit_2() {
    for program in PROGRAMS {
        for bad in [
            &["abc"][..],
            &["1.2.3.4:99999"],
            &["[::1"],
            &["--frob"],
            &["a:1", "b:2"],
        ] {
            rust_assert(program)
                .args(bad)
                .timeout(HANG_GUARD)
                .assert()
                .code(2)
                .stdout("")
                .stderr(predicate::str::contains(format!("usage: {program} [ADDR]")))
                .stderr(predicate::str::contains("panicked").not());
        }
        let help = rust_assert(program)
            .arg("--help")
            .timeout(HANG_GUARD)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("usage: {program} [ADDR]")));
        // A reader's terminal may be 80 columns wide.
        let help = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
        let wide: Vec<&str> = help.lines().filter(|line| columns(line) > 80).collect();
        assert!(
            wide.is_empty(),
            "{program} --help wider than 80 columns: {wide:#?}"
        );
    }
}

#[test]
fn every_binary_names_an_address_that_does_not_resolve_and_exits_1() {
    for program in PROGRAMS {
        rust_assert(program)
            .arg("no-such-host.invalid:9")
            .write_stdin("25\n")
            .timeout(HANG_GUARD)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "无法解析地址 no-such-host.invalid:9",
            ))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn a_second_server_on_a_busy_port_says_so_and_the_first_keeps_serving() {
    for program in ["hello-server", "chat-server", "udp-server"] {
        let (first, addr) = Proc::server(rust(program));
        rust_assert(program)
            .arg(addr.to_string())
            .timeout(HANG_GUARD)
            .assert()
            .code(1)
            // Our words, then the OS's (whose wording differs by OS), then
            // what to do about it, in words a newcomer can act on.
            .stderr(predicate::str::contains(format!(
                "{program}: 无法绑定 {addr}: "
            )))
            .stderr(predicate::str::contains("(os error "))
            .stderr(
                predicate::str::contains("端口已被占用")
                    .and(predicate::str::contains("127.0.0.1:0")),
            );
        // The first one still serves.
        match program {
            "hello-server" => {
                first.assert_reply(tcp_exchange(addr, b"GET / HTTP/1.1\r\n\r\n"), HELLO_REPLY);
            }
            "chat-server" => {
                let _client = TcpStream::connect(addr).expect("connect");
                first.wait_stdout(CHAT_SERVER_CONNECTED);
            }
            _ => {
                let socket = local_udp_socket();
                socket.send_to(b"100", addr).expect("send");
                let mut reply = [0u8; 128];
                let length = socket
                    .recv(&mut reply)
                    .expect("a reply from the first server");
                let reply = String::from_utf8_lossy(&reply[..length]);
                first.assert_holds(
                    reply.ends_with(":212.0"),
                    format!("reply {reply:?}, expected one ending in :212.0"),
                );
            }
        }
    }
}

/// Whether `ch` is Chinese text: a CJK ideograph, or CJK or full-width
/// punctuation.
fn is_chinese(ch: char) -> bool {
    matches!(ch, '\u{4e00}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}')
}

/// Display columns: Chinese text takes two.
fn columns(line: &str) -> usize {
    line.chars()
        .map(|ch| if is_chinese(ch) { 2 } else { 1 })
        .sum()
}

/// Every message a program can start with, or end with before it does any
/// work, reads as Chinese should: no space between two Chinese characters
/// (a source line continued inside a string leaves one), and each hint
/// line under a message within 80 columns, a message a few lines at most.
#[test]
fn messages_have_no_space_inside_chinese_and_their_hints_fit_80_columns() {
    let nobody = unused_addr().to_string();
    let (_hello, hello_addr) = Proc::server(rust("hello-server"));
    let (_chat, chat_addr) = Proc::server(rust("chat-server"));
    let (_udp, udp_addr) = Proc::server(rust("udp-server"));
    let busy = [hello_addr, chat_addr, udp_addr].map(|addr| addr.to_string());
    let mut cases: Vec<(&str, Vec<&str>, &[u8])> = Vec::new();
    for program in PROGRAMS {
        for args in [
            &["abc"][..],
            &["8888"],
            &["[::1"],
            &["--frob"],
            &["a:1", "b:2"],
            &["-h"],
        ] {
            cases.push((program, args.to_vec(), b""));
        }
        cases.push((program, vec!["no-such-host.invalid:9"], b"25\n"));
    }
    for (program, addr) in ["hello-server", "chat-server", "udp-server"]
        .iter()
        .zip(&busy)
    {
        cases.push((program, vec![addr.as_str()], b""));
    }
    for program in ["tcp-client", "chat-client", "udp-client"] {
        cases.push((program, vec![nobody.as_str()], b"25\n"));
    }
    cases.push(("tcp-client", vec![busy[0].as_str()], b""));
    cases.push(("udp-client", vec![busy[2].as_str()], b""));
    let mut problems = Vec::new();
    for (program, args, stdin) in cases {
        let mut command = rust(program);
        command.args(&args);
        let mut ran = crate::support::run(command, stdin);
        ran.wait_exit();
        for text in [ran.stdout_text(), ran.stderr_text()] {
            let chars: Vec<char> = text.chars().collect();
            for at in chars
                .windows(3)
                .filter(|w| is_chinese(w[0]) && w[1] == ' ' && is_chinese(w[2]))
            {
                problems.push(format!(
                    "{program} {args:?}: a space in {:?}\n{text}",
                    at.iter().collect::<String>()
                ));
            }
        }
        let stderr = ran.stderr_text();
        for line in stderr
            .lines()
            .filter(|line| line.starts_with("  ") && !stderr.contains("usage"))
        {
            if columns(line) > 80 {
                problems.push(format!(
                    "{program} {args:?}: {} columns: {line}",
                    columns(line)
                ));
            }
        }
        if !stderr.contains("usage") && stderr.lines().count() > 5 {
            problems.push(format!(
                "{program} {args:?}: {} lines\n{stderr}",
                stderr.lines().count()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
