//! `cargo xtask`: each demo runs and its transcript shows both sides; the
//! bench reports every measure; a wrong task is refused. (`compare` has its
//! own module.)

use std::time::Duration;

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
    for args in [
        &["bench", "--rounds", "0"][..],
        &["bench", "--frob"],
        &["bench", "--requests"],
    ] {
        AssertCommand::new(bin("xtask"))
            .args(args)
            .timeout(HANG_GUARD)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("xtask: "));
    }
    for task in ["demo", "compare", "bench"] {
        AssertCommand::new(bin("xtask"))
            .args([task, "--help"])
            .timeout(HANG_GUARD)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("cargo xtask {task}")));
    }
}

/// The bench's report has every section and row, each row measured on both
/// sides, and the chart is written. Counts are tiny and the programs are
/// the debug builds the support module made (`--dev --no-build`): this
/// checks the report's shape, not its numbers.
#[test]
fn bench_quick_reports_every_measure_as_json_and_a_chart() {
    let mut command = std::process::Command::new(bin("xtask"));
    command.args([
        "bench",
        "--quick",
        "--dev",
        "--no-build",
        "--json",
        "--rounds",
        "1",
        "--requests",
        "40",
        "--concurrency",
        "4",
        "--starts",
        "1",
        "--chat-lines",
        "30",
        "--syscall-requests",
        "20",
    ]);
    let mut bench = Proc::start(command);
    bench.close_stdin();
    if bench.try_wait_exit(Duration::from_secs(120)).is_none() {
        panic!("bench still running after 120 s\n{}", bench.report());
    }
    bench.assert_exit_code(0);
    let json = bench.stdout_text();
    // Each row is one object, ending where its samples do.
    let rows: Vec<&str> = json
        .split("{\"name\": ")
        .skip(1)
        .map(|row| row.split("}}").next().unwrap_or(row))
        .collect();
    let names: Vec<&str> = rows
        .iter()
        .filter_map(|row| row.split('"').nth(1))
        .collect();
    assert_eq!(
        names,
        [
            "requests/s",
            "latency p50",
            "latency p99",
            "latency max",
            "failed requests (all rounds)",
            "CPU per request (user+sys)",
            "peak RSS",
            "hello-server",
            "hello-server",
            "chat-server",
            "udp-server",
            "udp-server + udp-client",
            "time",
            "lines",
            "hello-server",
            "tcp-client",
            "chat-server",
            "chat-client",
            "udp-server",
            "udp-client",
        ],
        "{}",
        bench.report()
    );
    for title in [
        "\"title\": \"hello-server, 40 requests over 4 connections\"",
        "\"title\": \"system calls per request (20 requests, strace -f -c)\"",
        "\"title\": \"start-up: spawn to readiness line\"",
        "\"title\": \"a whole UDP conversion",
        "\"title\": \"chat: 30 lines typed into chat-server",
        "\"title\": \"binary size (DEBUG builds)\"",
    ] {
        assert!(json.contains(title), "no {title}\n{}", bench.report());
    }
    // Every row but the strace one (strace may not be installed) and the
    // /proc ones (Linux only) has Rust's value; compared rows the other's.
    let on_linux = cfg!(target_os = "linux");
    for (index, row) in rows.iter().enumerate() {
        let optional = index == 7 || (!on_linux && (index == 5 || index == 6));
        if optional {
            continue;
        }
        assert!(!row.contains("\"rust\": null"), "row {index}: {row}");
        let compared = !row.contains("\"other\": null") || index >= 14;
        assert!(compared, "row {index} lacks the other side: {row}");
        assert!(row.contains("\"result\": "), "row {index}: {row}");
        assert!(row.contains("\"samples\": {"), "row {index}: {row}");
    }
    assert!(json.contains("\"failed requests (all rounds)\", \"unit\": \"count\", \"better\": \"lower\", \"rust\": 0, \"other\": 0"), "{}", bench.report());
    for key in ["\"date\": \"", "\"machine\": {", "\"targets\": {\"met\": "] {
        assert!(json.contains(key), "no {key}\n{}", bench.report());
    }
    let chart = json
        .split("\"chart\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no chart path\n{}", bench.report()));
    let svg = std::fs::read_to_string(workspace_root().join(chart))
        .unwrap_or_else(|error| panic!("cannot read the chart {chart}: {error}"));
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
}
