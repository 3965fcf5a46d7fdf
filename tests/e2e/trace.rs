//! `cargo xtask trace`: each pairing's system calls, Python beside Rust,
//! attributed to the listing lines that made them; the packets of hello;
//! with `--lose`, tcp's dropped segment resent and udp's datagram gone.
//! Skips, saying why, where strace, tcpdump, nft or a private network
//! namespace is missing or not allowed. Each trace runs once and is shared
//! by the tests that read it.

use std::sync::OnceLock;
use std::time::Duration;

use xtask::pairings::{typed_and_printed, Role, Step, CHAT, TCP, UDP};
use xtask::trace::{CANNOT_LOSE, CANNOT_TRACE};

use crate::support::{bin, Proc, RECEIVED};

const NO_CAPTURE: &str = "没有抓包 / no packet capture";

/// A trace takes several seconds (two runs under strace, a build of the
/// programs with frame pointers the first time): a hang guard, generous.
const TRACE_GUARD: Duration = Duration::from_secs(300);

/// The output of `xtask trace <pairing>`, or `None` (skipped) where this
/// machine cannot trace.
fn traced(pairing: &str, args: &[&str]) -> Option<String> {
    // Wide enough that no call is wrapped.
    traced_at(pairing, args, 240).map(|(output, _)| output)
}

/// The same, `columns` wide, with the report for failure messages (the
/// command, its status, stdout and stderr).
fn traced_at(pairing: &str, args: &[&str], columns: usize) -> Option<(String, String)> {
    let mut command = std::process::Command::new(bin("xtask"));
    command
        .arg("trace")
        .arg(pairing)
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", columns.to_string());
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
    Some((trace.stdout_text(), trace.report()))
}

fn hello() -> Option<&'static str> {
    hello_with_report().map(|(output, _)| output.as_str())
}

/// The same with its report for failure messages.
fn hello_with_report() -> Option<&'static (String, String)> {
    static TRACE: OnceLock<Option<(String, String)>> = OnceLock::new();
    TRACE
        .get_or_init(|| traced_at("hello", &["--packets"], 240))
        .as_ref()
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

/// The output of `xtask trace <pairing> --lose 1` at 80 columns, or `None`
/// (skipped, saying why) where no packet can be dropped here.
fn lossy(pairing: &str) -> Option<(String, String)> {
    let (output, report) = traced_at(pairing, &["--lose", "1"], 80)?;
    for cannot in [CANNOT_LOSE, NO_CAPTURE] {
        if let Some(at) = output.find(cannot) {
            let reason = output[at..].lines().next().unwrap_or("");
            eprintln!("skipped: trace {pairing} --lose: {reason}");
            return None;
        }
    }
    Some((output, report))
}

fn tcp_lossy() -> Option<&'static (String, String)> {
    static TRACE: OnceLock<Option<(String, String)>> = OnceLock::new();
    TRACE.get_or_init(|| lossy("tcp")).as_ref()
}

fn udp_lossy() -> Option<&'static (String, String)> {
    static TRACE: OnceLock<Option<(String, String)>> = OnceLock::new();
    TRACE.get_or_init(|| lossy("udp")).as_ref()
}

/// The line the table's session types into the client of its first run.
fn typed(run: &[Step]) -> &'static str {
    let typed = run.iter().find_map(|step| match step {
        Step::Types(Role::Client, line) => Some(*line),
        _ => None,
    });
    typed.expect("a line typed into the client")
}

/// One packet diagram of a trace: its side (Python, Rust), its lines
/// (the lanes, then the text under them), and the whole trace's report
/// for failure messages.
struct Diagram<'a> {
    side: &'a str,
    lines: Vec<&'a str>,
    report: &'a str,
}

/// Each packet diagram of a trace, Python's and Rust's.
fn diagrams<'a>(output: &'a str, report: &'a str) -> Vec<Diagram<'a>> {
    let mut found = Vec::new();
    for part in output.split("\n## 数据包 / packets — ").skip(1) {
        let part = part.split("\n完整记录").next().unwrap_or(part);
        let side = part.split(':').next().unwrap_or("");
        let lines = part.lines().skip(1).collect();
        found.push(Diagram {
            side,
            lines,
            report,
        });
    }
    assert_eq!(
        found.len(),
        2,
        "a diagram for Python and for Rust\n{report}"
    );
    found
}

impl Diagram<'_> {
    /// The lines that draw: the header and the lanes.
    fn drawn(&self) -> &[&str] {
        let lanes = self.lines.iter().take_while(|l| l.starts_with(' '));
        &self.lines[..lanes.count()]
    }

    fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Where the first drawn line from `from` on that `holds` is.
    #[track_caller]
    fn find(&self, from: usize, what: &str, holds: impl Fn(&str) -> bool) -> usize {
        match self.drawn().iter().skip(from).position(|l| holds(l)) {
            Some(at) => from + at,
            None => self.fail(&format!("no {what} after line {from}")),
        }
    }

    #[track_caller]
    fn fail(&self, what: &str) -> ! {
        panic!("{}: {what}\n{}\n\n{}", self.side, self.text(), self.report)
    }

    #[track_caller]
    fn assert(&self, holds: bool, what: &str) {
        if !holds {
            self.fail(what);
        }
    }

    /// The handshake's label, its three packets, the data's label, and
    /// the close's label before the first FIN.
    #[track_caller]
    fn assert_labelled_handshake_and_close(&self) {
        let label = self.find(0, "handshake label", |l| {
            l.contains(" 三次握手 / three-way handshake ")
        });
        let syn = self.find(label, "SYN", |l| l.contains("│── SYN seq 0 ─"));
        let syn_ack = self.find(syn, "SYN-ACK", |l| l.contains(" SYN-ACK seq 0 ack 1 ──│"));
        let ack = self.find(syn_ack, "ACK", |l| l.contains("│── ACK seq 1 ack 1 ─"));
        let data = self.find(ack, "data label", |l| l.contains(" 数据 / data "));
        let closing = self.find(data, "closing label", |l| {
            l.contains(" 关闭连接 / closing ")
        });
        let fin = self.find(0, "a FIN", |l| l.contains("FIN-ACK seq "));
        let in_place = syn == label + 1 && closing + 1 == fin;
        self.assert(in_place, "the handshake or close label out of place");
    }
}

#[test]
fn trace_tcp_lose_resends_the_dropped_segment_and_the_reply_arrives() {
    let Some((output, report)) = tcp_lossy() else {
        return;
    };
    let request = format!("\"{}\"", typed(TCP.runs[0]));
    for diagram in diagrams(output, report) {
        let (drawn, side) = (diagram.drawn(), diagram.side);
        // The request, dropped: its arrow stops short; under it, the
        // listing line that sent it.
        let lost = diagram.find(0, "lost segment", |l| l.contains("✗ 丢失 / lost"));
        diagram.assert(drawn[lost].contains(&request), "the request lost");
        let sent_by = drawn.get(lost + 1).is_some_and(|l| l.contains("↑ s.send("));
        diagram.assert(sent_by, "the listing line under the lost segment");
        let seq = drawn[lost]
            .split("seq ")
            .nth(1)
            .and_then(|s| s.split(' ').next());
        let seq = seq.unwrap_or_else(|| diagram.fail("no seq on the lost segment"));
        // Sent again by the kernel with the same number, the gap marked.
        let again = format!("│── PSH-ACK seq {seq} ");
        let resend = diagram.find(lost + 1, "resend", |l| l.contains(&again));
        diagram.assert(drawn[resend].ends_with("─▶│"), "the resend arrives");
        let note = format!("重传 / retransmission: seq {seq}, ");
        let gap = drawn.get(resend + 1).and_then(|l| l.split(&note).nth(1));
        let gap = gap.and_then(|g| g.split(" ms").next()?.parse::<f64>().ok());
        let gap = gap.unwrap_or_else(|| diagram.fail("no gap under the resend"));
        if side == "Python" {
            // The listing's client sends nothing after its request: only
            // the retransmission timer (200 ms at least) brings it back.
            diagram.assert(gap >= 200.0, &format!("resent after {gap} ms"));
        } else if gap < 200.0 {
            // Ours sends its FIN right behind the request: the server's
            // ACK reports the gap (SACK), and the resend comes at once.
            let sack = diagram.text().contains("(SACK)");
            diagram.assert(sack, &format!("resent after {gap} ms, not explained"));
        }
        eprintln!("trace tcp --lose 1, {side}: resent after {gap} ms");
        let reply = diagram.find(resend, "reply", |l| l.contains("\"HTTP/1.1 200 OK"));
        diagram.assert(drawn[reply].starts_with(" │◀─"), "the reply arrives");
        diagram.assert_labelled_handshake_and_close();
        let quoted = diagram.text().contains("如果包丢掉了,就自动重发");
        diagram.assert(quoted, "the tutorial's sentence under the diagram");
        let widest = diagram.lines.iter().map(|l| xtask::text::width(l)).max();
        diagram.assert(widest <= Some(80), "at most 80 columns wide");
    }
}

#[test]
fn trace_udp_lose_shows_the_datagram_gone_and_no_reply() {
    let Some((output, report)) = udp_lossy() else {
        return;
    };
    let datagram = typed(UDP.runs[0]);
    let datagram = format!("UDP len {} \"{datagram}\"", datagram.len());
    for diagram in diagrams(output, report) {
        let (drawn, text) = (diagram.drawn(), diagram.text());
        let lost = diagram.find(0, "lost datagram", |l| l.contains("✗ 丢失 / lost"));
        diagram.assert(drawn[lost].contains(&datagram), "the datagram lost");
        diagram.assert(!text.contains("重传"), "nothing resent");
        diagram.assert(!drawn.iter().any(|l| l.contains("│◀")), "no reply");
        // Ours says so after 3 s; the listing's waits for ever.
        let said = match diagram.side {
            "Rust" => "udp-client: 没有收到 127.0.0.1:",
            _ => "3 秒后由 trace 结束",
        };
        diagram.assert(text.contains(said), "the client's end");
        let quoted = text.contains("但是数据无法保证一定到达");
        diagram.assert(quoted, "the tutorial's sentence under the diagram");
    }
}

#[test]
fn trace_hello_labels_the_handshake_and_the_close() {
    let Some((output, report)) = hello_with_report() else {
        return;
    };
    if let Some(at) = output.find(NO_CAPTURE) {
        let reason = output[at..].lines().next().unwrap_or("");
        eprintln!("skipped: no packet capture here: {reason}");
        return;
    }
    for diagram in diagrams(output, report) {
        diagram.assert_labelled_handshake_and_close();
    }
}

#[test]
fn trace_lose_with_a_bad_n_is_a_usage_error() {
    for bad in [&["0"][..], &["x"], &["1000"], &["-1"], &[]] {
        let mut command = std::process::Command::new(bin("xtask"));
        command.args(["trace", "tcp", "--lose"]).args(bad);
        let mut trace = crate::support::run(command, b"");
        trace.assert_exit_code(2);
        let said = match bad {
            [] => "--lose 需要一个值 / needs a value",
            _ => "--lose N: N 是 1 到 999 的整数 / N is 1 to 999",
        };
        trace.assert_stderr_contains(said);
        trace.assert_stderr_contains("cargo xtask trace --help");
    }
}
