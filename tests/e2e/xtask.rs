//! `cargo xtask`: each demo runs and its transcript shows both sides; the
//! compare check passes; a wrong task is refused.

use std::path::Path;

use assert_cmd::Command as AssertCommand;
use predicates::prelude::*;

use crate::support::{bin, run, workspace_root, Proc, HANG_GUARD};

/// Runs `xtask demo <pairing> --no-build` (the support module built the
/// programs) and returns it, ended.
fn demo(pairing: &str) -> Proc {
    let mut command = std::process::Command::new(bin("xtask"));
    command
        .args(["demo", pairing, "--no-build"])
        .env("NO_COLOR", "1");
    let mut demo = run(command, b"");
    demo.assert_exit_code(0);
    demo
}

fn assert_lines(demo: &Proc, lines: &[&str]) {
    let transcript = demo.stdout_text();
    let mut rest = transcript.as_str();
    for line in lines {
        match rest.find(line) {
            Some(at) => rest = &rest[at + line.len()..],
            None => panic!(
                "transcript lacks {line:?} (in this order)\n{}",
                demo.report()
            ),
        }
    }
}

#[test]
fn demo_hello_shows_the_request_and_the_reply() {
    let demo = demo("hello");
    assert_lines(
        &demo,
        &[
            "[hello-server] ! listening on 127.0.0.1:",
            "[hello-server] 服务器等待客户端连接...",
            "[http-get] → GET / HTTP/1.1",
            "[hello-server] b'GET / HTTP/1.1\\r\\nHost: 127.0.0.1:",
            "[http-get] ← hello world",
        ],
    );
}

#[test]
fn demo_tcp_shows_the_typed_line_and_the_reply() {
    let demo = demo("tcp");
    assert_lines(
        &demo,
        &[
            "[tcp-client] 请输入要发送的数据› 你好, hello-server",
            "[hello-server] b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd, hello-server'",
            "[tcp-client] 接收到的数据为: HTTP/1.1 200 OK",
            "[tcp-client] hello world",
            "== tcp: tcp-client exited 0 ==",
        ],
    );
}

#[test]
fn demo_chat_shows_the_conversation_both_ways() {
    let demo = demo("chat");
    assert_lines(
        &demo,
        &[
            "[chat-server] 请输入要发送的数据:› 你好，客户端",
            "[chat-client] 接收到的数据为: 你好，客户端",
            "[chat-client] 请输入要发送的数据:› hello, server",
            "[chat-server] 接收到的数据为: hello, server",
            "[chat-server] 请输入要发送的数据:› 0",
            "[chat-client] 接收到的数据为: 0",
            "[chat-client] ! 对方已关闭连接",
            "== chat: both sides exited 0 ==",
        ],
    );
    assert!(demo.stdout_text().contains("[chat-server] 连接已经建立"));
    assert!(demo.stdout_text().contains("[chat-client] 已连接"));
}

#[test]
fn demo_udp_shows_three_conversions_and_a_bad_input() {
    let demo = demo("udp");
    assert_lines(
        &demo,
        &[
            "[udp-client] 请输入要转换的温度(单位:摄氏度):› 37",
            "[udp-server] Recrived from 127.0.0.1:",
            "[udp-client] 转换后的温度(单位:华氏温度):98.60000000000001",
            "› -40",
            "转换后的温度(单位:华氏温度):-40.0",
            "› ３６．６",
            "转换后的温度(单位:华氏温度):97.88000000000001",
            "› abc",
            "[udp-client] 无法把输入转换为温度: b'abc'",
        ],
    );
}

#[test]
fn demo_output_has_no_colour_codes_when_not_a_terminal() {
    let mut command = std::process::Command::new(bin("xtask"));
    command
        .args(["demo", "udp", "--no-build"])
        .env_remove("NO_COLOR");
    let mut demo = run(command, b"");
    demo.assert_exit_code(0);
    assert!(!demo.stdout_text().contains('\x1b'), "{}", demo.report());
}

#[test]
fn compare_check_passes_and_readme_tables_are_current() {
    let mut command = AssertCommand::new(bin("xtask"));
    command.args(["compare", "--check"]).timeout(HANG_GUARD);
    // Where the tutorial's listings sit beside the project (the developers'
    // and CI's machines), the quotes are checked against them too.
    let listings = workspace_root().join("../shared/tutorial/listings");
    if Path::new(&listings).is_dir() {
        command.arg("--listings").arg(&listings);
    } else {
        eprintln!(
            "note: {} not found; quotes not checked against the listings",
            listings.display()
        );
    }
    command
        .assert()
        .success()
        .stdout(predicate::str::contains("in order"));
}

#[test]
fn compare_shows_python_beside_rust_within_the_width() {
    let output = AssertCommand::new(bin("xtask"))
        .args(["compare", "udp-server"])
        .env("COLUMNS", "90")
        .timeout(HANG_GUARD)
        .assert()
        .success()
        .stdout(predicate::str::contains("data,addr=s.recvfrom(1024)"))
        .stdout(predicate::str::contains(".recv_from(&mut buffer)"))
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).expect("UTF-8");
    for line in text.lines() {
        let columns: usize = line
            .chars()
            .map(|c| {
                if (c as u32) >= 0x1100 && !('─'..='╿').contains(&c) {
                    2
                } else {
                    1
                }
            })
            .sum();
        assert!(columns <= 90, "{line:?} is {columns} columns wide");
    }
}

#[test]
fn no_task_or_an_unknown_one_lists_the_tasks_and_exits_2() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["demo"],
        &["demo", "ftp"],
        &["compare"],
    ] {
        AssertCommand::new(bin("xtask"))
            .args(args)
            .timeout(HANG_GUARD)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("usage: cargo xtask <task>"));
    }
    for task in ["demo", "compare"] {
        AssertCommand::new(bin("xtask"))
            .args([task, "--help"])
            .timeout(HANG_GUARD)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("cargo xtask {task}")));
    }
}
