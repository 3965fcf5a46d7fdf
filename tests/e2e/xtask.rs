//! `cargo xtask`: each demo runs and its transcript shows both sides; the
//! bench prints its table; a wrong task is refused. (`compare` has its
//! own module.)

use std::time::Duration;

use assert_cmd::Command as AssertCommand;
use predicates::prelude::*;

use xtask::pairings::{self, Pairing, Role, Step, HELLO_REPLY};

use crate::support::{bin, run, Proc, FROM, HANG_GUARD, PEER_CLOSED, PROGRAMS, RECEIVED};

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

fn assert_lines(demo: &Proc, lines: &[String]) {
    let transcript = demo.stdout_text();
    let mut rest = transcript.as_str();
    for line in lines {
        match rest.find(line.as_str()) {
            Some(at) => rest = &rest[at + line.len()..],
            None => panic!(
                "transcript lacks {line:?} (in this order)\n{}",
                demo.report()
            ),
        }
    }
}

/// The transcript lines that the table's session of `pairing` makes, in
/// order: what each side prints, each line typed after its prompt, the
/// GET and its reply, and the demo's closing line.
fn session_lines(pairing: &Pairing) -> Vec<String> {
    let name = |role| {
        pairing
            .program(role)
            .map_or("http-get", |program| program.name)
    };
    let mut lines = Vec::new();
    let mut shown = |role, text: &str| {
        for line in text.split_inclusive('\n') {
            let line = line.trim_end_matches('\n').trim_end_matches('\r');
            lines.push(format!("[{}] {line}", name(role)));
        }
    };
    for step in pairing.runs.iter().copied().flatten() {
        match *step {
            Step::Prints(role, pieces) => shown(role, &pieces.concat()),
            Step::Types(role, line) | Step::Says(role, line) => {
                let prompt = pairing.program(role).and_then(|p| p.prompt);
                shown(role, &format!("{}› {line}", prompt.unwrap_or_default()));
                if let Step::Says(..) = step {
                    let other = if role == Role::Server {
                        Role::Client
                    } else {
                        Role::Server
                    };
                    shown(other, &format!("{RECEIVED}{line}"));
                }
            }
            Step::Get => shown(Role::Client, "→ GET / HTTP/1.1"),
            Step::Reply => {
                let reply = HELLO_REPLY.split("\r\n").map(|line| format!("← {line}\n"));
                shown(Role::Client, &reply.collect::<String>());
            }
            _ => {}
        }
    }
    lines.push(format!("== {}: {} ==", pairing.name, pairing.done));
    lines
}

/// The demo of `pairing` shows its session, and these `more` lines, each
/// in order.
fn assert_demo(pairing: &Pairing, more: &[&str]) {
    let demo = demo(pairing.name);
    assert_lines(&demo, &session_lines(pairing));
    assert_lines(
        &demo,
        &more.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
    );
}

#[test]
fn demo_hello_shows_the_request_and_the_reply() {
    assert_demo(
        &pairings::HELLO,
        &[
            "[hello-server] ! listening on 127.0.0.1:",
            "[hello-server] b'GET / HTTP/1.1\\r\\nHost: 127.0.0.1:",
        ],
    );
}

#[test]
fn demo_tcp_shows_the_typed_line_and_the_reply() {
    assert_demo(
        &pairings::TCP,
        &["[hello-server] ! listening on 127.0.0.1:"],
    );
}

#[test]
fn demo_chat_shows_the_conversation_both_ways() {
    assert_demo(
        &pairings::CHAT,
        &[&format!("[chat-client] ! {PEER_CLOSED}")],
    );
}

#[test]
fn demo_udp_shows_three_conversions_and_a_bad_input() {
    let from = format!("[udp-server] {FROM}127.0.0.1:");
    assert_demo(&pairings::UDP, &[&from, &from, &from]);
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
    // Each wrong command line, and what stderr says of it.
    let (usage, bench) = ("usage: cargo xtask <task>", "xtask: ");
    for (args, said) in [
        (&[][..], usage),
        (&["frobnicate"], usage),
        // A task's own mistakes point to that task's help.
        (&["demo"], "cargo xtask demo --help"),
        (&["demo", "ftp"], "unknown pairing \"ftp\""),
        (&["compare"], "cargo xtask compare --help"),
        (&["bench", "--rounds", "0"], bench),
        (&["bench", "--frob"], bench),
        (&["bench", "--requests"], bench),
    ] {
        AssertCommand::new(bin("xtask"))
            .args(args)
            .timeout(HANG_GUARD)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(said));
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

/// The bench prints its two tables with every row, each row's numbers
/// parsing (a thousands comma allowed), both sides measured where both
/// have the program, and no request failed. Counts are tiny and the
/// programs are the debug builds the support module made (`--dev
/// --no-build`): this checks the tables' shape, not their numbers.
#[test]
fn bench_quick_prints_both_tables_with_every_row() {
    let mut command = std::process::Command::new(bin("xtask"));
    command.args([
        "bench",
        "--quick",
        "--dev",
        "--no-build",
        "--rounds",
        "1",
        "--requests",
        "40",
        "--starts",
        "1",
        "--chat-lines",
        "30",
    ]);
    let mut bench = Proc::start(command);
    bench.close_stdin();
    if bench.try_wait_exit(Duration::from_secs(120)).is_none() {
        panic!("bench still running after 120 s\n{}", bench.report());
    }
    bench.assert_exit_code(0);
    let table = bench.stdout_text();
    // A row: its name (which may hold spaces), then its numbers, `—` where
    // there is no value (a thousands comma allowed).
    let numbers = |line: &str, name: &str| -> Option<Vec<Option<f64>>> {
        let rest = line[name.len()..].split_whitespace();
        rest.map(|cell| match cell {
            "—" => Some(None),
            number => number.replace(',', "").parse().ok().map(Some),
        })
        .collect()
    };
    // The first row named `name` whose numbers all parse, and fit.
    let row = |name: &str, fits: &dyn Fn(&[Option<f64>]) -> bool| -> Vec<Option<f64>> {
        let rows = table.lines().filter(|line| line.starts_with(name));
        let mut rows = rows.filter_map(|line| numbers(line, name));
        rows.find(|cells| fits(cells))
            .unwrap_or_else(|| panic!("no row {name:?} of numbers as expected\n{}", bench.report()))
    };
    assert!(table.contains("measure"), "{}", bench.report());
    assert!(
        !table.contains("failed"),
        "a request failed\n{}",
        bench.report()
    );
    let on_linux = cfg!(target_os = "linux");
    // The cost table: for each server at 1, 8 and 64 clients, its clients,
    // ÷ bare, CPU µs per request, threads/1k, calls/req and req/s.
    for server in ["裸循环 bare loop", "hello-server", "Python 教程程序"] {
        for clients in [1.0, 8.0, 64.0] {
            let cells = row(server, &|cells| {
                cells.len() == 6 && cells[0] == Some(clients)
            });
            assert!(
                cells[5].is_some(),
                "{server} at {clients}: no req/s\n{table}"
            );
            if on_linux {
                assert!(
                    cells[1].is_some() && cells[2].is_some(),
                    "{server}\n{table}"
                );
            }
            if on_linux && server.contains("bare") {
                assert_eq!(
                    cells[1],
                    Some(1.0),
                    "the bare loop is its reference\n{table}"
                );
            }
        }
    }
    let both_sides = [
        ("hello-server 内存峰值 / peak RSS, KiB", on_linux),
        ("hello-server 启动到就绪 / start-up, ms", true),
        ("chat-server 启动到就绪 / start-up, ms", true),
        ("udp-server 启动到就绪 / start-up, ms", true),
        ("一次 UDP 转换 / one UDP conversion, ms", true),
        ("聊天每秒行数 / chat lines/s (30 lines)", true),
    ];
    let three = |cells: &[Option<f64>]| cells.len() == 3;
    for (name, measured) in both_sides {
        let [rust, python, ratio] = row(name, &three)[..] else {
            unreachable!()
        };
        if measured {
            assert!(rust.is_some() && python.is_some(), "row {name:?}\n{table}");
            assert!(ratio.is_some(), "row {name:?} has no ratio\n{table}");
        }
    }
    for program in PROGRAMS {
        let size = row(&format!("{program} debug 二进制 / binary, KiB"), &three);
        assert!(size[0].is_some_and(|kib| kib > 0.0), "{program}\n{table}");
        assert_eq!(size[1..], [None, None], "{program}\n{table}");
    }
}
