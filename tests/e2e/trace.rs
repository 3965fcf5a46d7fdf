//! `cargo xtask trace`: each pairing's system calls, Python beside Rust,
//! attributed to the listing lines that made them; the packets of hello.
//! Skips, saying why, where strace or tcpdump is missing or not allowed.
//! Each pairing is traced once and shared by the tests that read it.

use std::sync::OnceLock;
use std::time::Duration;

use xtask::pairings::{typed_and_printed, Role, Step, CHAT, UDP};
use xtask::trace::CANNOT_TRACE;

use crate::support::{bin, Proc, RECEIVED};

const NO_CAPTURE: &str = "没有抓包 / no packet capture";

/// A trace takes several seconds (two runs under strace, a build of the
/// programs with frame pointers the first time): a hang guard, generous.
const TRACE_GUARD: Duration = Duration::from_secs(300);

/// The output of `xtask trace <pairing>`, or `None` (skipped) where this
/// machine cannot trace.
fn traced(pairing: &str, args: &[&str]) -> Option<String> {
    let mut command = std::process::Command::new(bin("xtask"));
    command
        .arg("trace")
        .arg(pairing)
        .args(args)
        .env("NO_COLOR", "1")
        // Wide enough that no call is wrapped.
        .env("COLUMNS", "240");
    let mut trace = Proc::start(command);
    trace.close_stdin();
    let Some(status) = trace.try_wait_exit(TRACE_GUARD) else {
        trace.fail(format!("still running after {TRACE_GUARD:?}"));
    };
    if trace.stderr_text().contains(CANNOT_TRACE) {
        eprintln!("skipped: trace {pairing}: {}", trace.stderr_text().trim());
        return None;
    }
    trace.assert_holds(status.success(), "trace exits 0");
    Some(trace.stdout_text())
}

fn hello() -> Option<&'static str> {
    static TRACE: OnceLock<Option<String>> = OnceLock::new();
    TRACE
        .get_or_init(|| traced("hello", &["--packets"]))
        .as_deref()
}

/// One row of a program's table: its title (the listing lines) and the
/// calls each side made for it.
#[derive(Debug)]
struct Row {
    title: String,
    python: String,
    rust: String,
}

/// The rows of `program`'s table.
fn rows(output: &str, program: &str) -> Vec<Row> {
    let header = format!("## {program}:");
    let Some(start) = output.find(&header) else {
        panic!("no table for {program}:\n{output}");
    };
    let section = &output[start + header.len()..];
    let section = section.split("\n## ").next().unwrap_or("");
    let mut rows = Vec::new();
    for block in section
        .split('\n')
        .collect::<Vec<_>>()
        .split(|l| l.starts_with('─'))
    {
        let mut row = Row {
            title: String::new(),
            python: String::new(),
            rust: String::new(),
        };
        for line in block {
            match line.split_once(" │ ") {
                Some((python, rust)) => {
                    row.python.push_str(python.trim());
                    row.python.push('\n');
                    row.rust.push_str(rust.trim());
                    row.rust.push('\n');
                }
                None => {
                    row.title.push_str(line.trim());
                    row.title.push('\n');
                }
            }
        }
        rows.push(row);
    }
    rows
}

/// The row whose title has `title`; both sides must have made `python`
/// and `rust` calls in it.
#[track_caller]
fn assert_row(output: &str, program: &str, title: &str, python: &[&str], rust: &[&str]) {
    let rows = rows(output, program);
    let Some(row) = rows.iter().find(|row| row.title.contains(title)) else {
        panic!("{program}: no row for {title:?}\n{output}");
    };
    for call in python {
        assert!(
            row.python.contains(call),
            "{program}, {title:?}: Python lacks {call:?}\n{row:#?}\n{output}"
        );
    }
    for call in rust {
        assert!(
            row.rust.contains(call),
            "{program}, {title:?}: Rust lacks {call:?}\n{row:#?}\n{output}"
        );
    }
}

#[test]
fn trace_hello_puts_each_call_beside_its_listing_line() {
    let Some(output) = hello() else { return };
    let server = "hello-server";
    let first = &rows(output, server)[1];
    assert!(first.title.contains("start-up"), "{first:#?}\n{output}");
    assert_row(
        output,
        server,
        "web.listen(5)",
        &["bind(3, 127.0.0.1:0) = 0", "listen(3, 5) = 0"],
        &["bind(3, 127.0.0.1:0) = 0", "listen(3, 128) = 0"],
    );
    assert_row(
        output,
        server,
        "conn,addr=web.accept()",
        &["accept4(3) = 4 ← 127.0.0.1:"],
        &["accept4(3) = 4 ← 127.0.0.1:"],
    );
    assert_row(
        output,
        server,
        "data=conn.recv(1024)",
        &["recvfrom(4, 1024) = "],
        &[
            "setsockopt(4, SOL_SOCKET, SO_RCVTIMEO",
            "recvfrom(4, 1024) = ",
        ],
    );
    assert_row(
        output,
        server,
        "print(data)",
        &["write(1, ", "\"b'GET / HTTP/1.1"],
        &["write(1, ", "\"b'GET / HTTP/1.1"],
    );
    assert_row(
        output,
        server,
        "conn.sendall(",
        &["sendto(4, 30) = 30 \"HTTP/1.1 200 OK"],
        &["sendto(4, 30) = 30 \"HTTP/1.1 200 OK"],
    );
    assert_row(
        output,
        server,
        "conn.close()",
        &["close(4) = 0"],
        &["close(4) = 0"],
    );
}

#[test]
fn trace_hello_draws_the_handshake_the_data_and_the_close() {
    let Some(output) = hello() else { return };
    if let Some(at) = output.find(NO_CAPTURE) {
        let reason = output[at..].lines().next().unwrap_or("");
        eprintln!("skipped: no packet capture here: {reason}");
        return;
    }
    let Some(start) = output.find("## 数据包 / packets — Rust") else {
        panic!("no packet diagram for Rust\n{output}");
    };
    let diagram = &output[start..];
    let arrows: Vec<&str> = diagram.lines().filter(|l| l.contains('│')).collect();
    let position = |what: &dyn Fn(&str) -> bool, name: &str| {
        arrows
            .iter()
            .position(|l| what(l))
            .unwrap_or_else(|| panic!("the diagram lacks {name}\n{diagram}"))
    };
    let to_server = |l: &str| l.contains("─▶│");
    let to_client = |l: &str| l.contains("│◀─");
    let syn = position(&|l| to_server(l) && l.contains(" SYN seq "), "SYN");
    let syn_ack = position(&|l| to_client(l) && l.contains(" SYN-ACK seq "), "SYN-ACK");
    let request = position(
        &|l| to_server(l) && l.contains("\"GET / HTTP/1.1"),
        "the request",
    );
    let reply = position(
        &|l| to_client(l) && l.contains("len 30 \"HTTP/1.1 200 OK"),
        "the reply",
    );
    let close = position(&|l| l.contains("FIN") || l.contains("RST"), "a FIN or RST");
    assert!(
        syn < syn_ack && syn_ack < request && request < reply && reply < close,
        "packets out of order\n{diagram}"
    );
}

#[test]
fn trace_udp_shows_bind_recvfrom_and_sendto_on_both_sides() {
    let Some(output) = traced("udp", &[]) else {
        return;
    };
    // The table's first conversion: the line typed, the reply printed.
    let (typed, printed) = typed_and_printed(UDP.runs[0], Role::Client).expect("a conversion");
    let (length, reply) = (typed.len(), printed.trim_end().len());
    assert_row(
        &output,
        "udp-server",
        "s.bind(",
        &["bind(3, 127.0.0.1:0) = 0"],
        &["bind(3, 127.0.0.1:0) = 0"],
    );
    assert_row(
        &output,
        "udp-server",
        // Rust reads into a buffer for any datagram and keeps 1024 bytes
        // (on Windows a longer datagram is an error, not a cut).
        "data,addr=s.recvfrom(1024)",
        &[&format!(
            "recvfrom(3, 1024) = {length} \"{typed}\" ← 127.0.0.1:"
        )],
        &[&format!(
            "recvfrom(3, 65536) = {length} \"{typed}\" ← 127.0.0.1:"
        )],
    );
    let sent = format!("sendto(3, {reply}) = {reply}");
    assert_row(
        &output,
        "udp-server",
        "s.sendto(send_data.encode(),addr)",
        &[&sent, "→ 127.0.0.1:"],
        &[&sent, "→ 127.0.0.1:"],
    );
    let read = format!("\"{typed}\\n\"");
    assert_row(
        &output,
        "udp-client",
        "data=input(",
        &["read(0, ", &read],
        &["read(0, ", &read],
    );
    let sent = format!("sendto(3, {length}) = {length} \"{typed}\"");
    assert_row(
        &output,
        "udp-client",
        "s.sendto(data.encode()",
        &[&sent],
        &[&sent],
    );
}

#[test]
fn trace_chat_shows_each_threads_reads_and_writes() {
    let Some(output) = traced("chat", &[]) else {
        return;
    };
    // The first line each side says in the table's session.
    let said = |by: Role| {
        let lines = CHAT.runs[0].iter().filter_map(|step| match step {
            Step::Says(role, line) if *role == by => Some(format!("\"{line}\"")),
            _ => None,
        });
        lines.take(1).collect::<String>()
    };
    for (program, me, other) in [
        ("chat-server", Role::Server, Role::Client),
        ("chat-client", Role::Client, Role::Server),
    ] {
        let (sent, received) = (said(me), said(other));
        assert_row(
            &output,
            program,
            ".recv(2014)",
            &["recvfrom(", &received],
            &["recvfrom(", &received],
        );
        assert_row(
            &output,
            program,
            "print('接收到的数据为:'",
            &["write(1, ", RECEIVED],
            &["write(1, ", RECEIVED],
        );
        assert_row(
            &output,
            program,
            "send_data = input(",
            &["read(0, "],
            &["read(0, "],
        );
        assert_row(
            &output,
            program,
            ".send(send_data.encode())",
            &["sendto(", &sent],
            &["sendto(", &sent],
        );
    }
}

#[test]
fn trace_without_a_pairing_is_a_usage_error() {
    let mut command = std::process::Command::new(bin("xtask"));
    command.arg("trace");
    let mut trace = crate::support::run(command, b"");
    trace.assert_exit_code(2);
    trace.assert_stderr_contains("trace needs a pairing: hello, tcp, chat, udp");
}
