//! `cargo xtask bench`: the release programs against the tutorial's Python
//! listings (the peers in `tests/peers`), on this machine, in one run, as
//! one table of medians. What each row measures, and how to read it, is in
//! `xtask/README.md`.

mod linux;
mod load;

use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{run_to_end, wrapped, Process};
use crate::width::{pad, width};
use crate::{out, workspace_root, TaskError, PROGRAMS};

pub const HELP: &str = "\
cargo xtask bench [--quick] [options]

用 release 构建六个程序，在这台机器上与教程的 Python 程序（tests/peers）轮流比较，打印一张
中位数的表（每行测什么见 xtask/README.md）。数字随机器和每次运行而变：看比值，不看绝对值。

Builds the six programs in release, measures them against the tutorial's
Python listings (tests/peers) on this machine, Rust and Python taking turns
going first each round, and prints one table of medians. xtask/README.md
tells what each row measures.

  --quick                fewer rounds and requests (under 30 s)
  --rounds N             rounds of Rust/Python runs          (5; quick 3)
  --requests N           hello-server requests per run       (20000; quick 2000)
  --concurrency N        connections at once                 (16)
  --starts N             start-ups and UDP runs per round    (5; quick 3)
  --chat-lines N         lines through the chat pair         (10000; quick 2000)
  --syscall-requests N   requests counted under strace       (1000)
  --python PATH          the Python 3 to run the listings with (python3)
  --dev                  measure the debug builds (checks the bench itself;
                         the numbers say little)
  --no-build             use the programs already built
";

/// How long a program may take to become ready, or a run to finish.
const WAIT: Duration = Duration::from_secs(20);

/// Runs a Python script as `python3 script.py` would, with stdout
/// line-buffered as in a terminal (the file says why).
const AS_IN_A_TERMINAL: &str = include_str!("as_in_a_terminal.py");

struct Settings {
    rounds: usize,
    requests: usize,
    concurrency: usize,
    starts: usize,
    chat_lines: usize,
    syscall_requests: usize,
    dev: bool,
    build: bool,
    python: OsString,
}

impl Settings {
    fn parse(args: &[String]) -> Result<Option<Settings>, TaskError> {
        let quick = args.iter().any(|arg| arg == "--quick");
        let pick = |full, fast| if quick { fast } else { full };
        let mut settings = Settings {
            rounds: pick(5, 3),
            requests: pick(20_000, 2_000),
            concurrency: 16,
            starts: pick(5, 3),
            chat_lines: pick(10_000, 2_000),
            syscall_requests: 1_000,
            dev: false,
            build: true,
            python: "python3".into(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| TaskError::usage(format!("{arg} needs a value")))
            };
            // A count: a whole number above 0.
            let count = |text: &String| match text.parse::<usize>() {
                Ok(number) if number > 0 => Ok(number),
                _ => Err(TaskError::usage(format!(
                    "{arg} needs a number above 0: {text:?}"
                ))),
            };
            match arg.as_str() {
                "-h" | "--help" => return Ok(None),
                "--quick" => {}
                "--dev" => settings.dev = true,
                "--no-build" => settings.build = false,
                "--python" => settings.python = value()?.into(),
                "--rounds" => settings.rounds = count(value()?)?,
                "--requests" => settings.requests = count(value()?)?,
                "--concurrency" => settings.concurrency = count(value()?)?,
                "--starts" => settings.starts = count(value()?)?,
                "--chat-lines" => settings.chat_lines = count(value()?)?,
                "--syscall-requests" => settings.syscall_requests = count(value()?)?,
                other => return Err(TaskError::usage(format!("unknown bench option {other:?}"))),
            }
        }
        Ok(Some(settings))
    }

    /// A warm-up before each measured hello-server run: a twentieth of it.
    fn warmup(&self) -> usize {
        (self.requests / 20).max(20)
    }
}

/// One line on stderr saying what the bench is doing.
fn progress(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "bench: {text}");
}

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let Some(settings) = Settings::parse(args)? else {
        out(HELP);
        return Ok(());
    };
    let build = if settings.dev { "debug" } else { "release" };
    if settings.build {
        progress(&format!("building the programs ({build})"));
        crate::build_programs(!settings.dev)?;
    }
    let bin_dir = crate::programs_dir(!settings.dev)?;
    for program in PROGRAMS {
        crate::built_program(&bin_dir, program)?;
    }
    let peers = workspace_root().join("tests").join("peers");
    let (python, python_version) = resolve_python(&settings.python)?;
    let sides = Sides {
        bin_dir,
        python,
        peers,
    };
    let started = Instant::now();
    let mut rows = hello_rows(&settings, &sides)?;
    rows.push(syscall_row(&settings, &sides));
    rows.extend(startup_rows(&settings, &sides)?);
    rows.push(udp_row(&settings, &sides)?);
    rows.push(chat_row(&settings, &sides)?);
    rows.extend(size_rows(&settings, &sides));
    progress(&format!(
        "measured in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    let mut text = format!(
        "cargo xtask bench: {build} 构建对比 {python_version}，每项取 {0} 轮的中位数，两边轮流先跑\n\
         \x20                  {build} builds against {python_version}; median of {0} rounds, the sides taking turns going first\n\
         机器 / machine: {1}\n\n",
        settings.rounds,
        linux::machine(),
    );
    text.push_str(&table(&rows));
    out(&text);
    Ok(())
}

/// The interpreter itself behind `python` (a pyenv or similar shim is a
/// shell script that would add its own start-up to every Python figure),
/// and its version.
fn resolve_python(python: &OsString) -> Result<(OsString, String), TaskError> {
    let shown = python.to_string_lossy();
    let mut command = Command::new(python);
    command.args([
        "-c",
        "import sys, platform; print(sys.version_info[0]); print(platform.python_version()); print(sys.executable)",
    ]);
    let done = run_to_end(&shown, command, WAIT)?;
    match done.stdout.lines().collect::<Vec<_>>()[..] {
        ["3", version, executable] if !executable.is_empty() => {
            Ok((executable.into(), format!("Python {version}")))
        }
        _ => Err(TaskError::failed(format!(
            "{shown} is not a working Python 3: the bench needs one (--python PATH)"
        ))),
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Side {
    Rust,
    Python,
}

/// Both sides, in the order they run in `round`: neither always goes
/// first (or on a machine warmed by the other).
fn in_turn(round: usize) -> [Side; 2] {
    if round.is_multiple_of(2) {
        [Side::Rust, Side::Python]
    } else {
        [Side::Python, Side::Rust]
    }
}

/// Where each side's programs are.
struct Sides {
    bin_dir: PathBuf,
    python: OsString,
    peers: PathBuf,
}

impl Sides {
    /// The command that runs `program` (a crate's name) on `side`, with
    /// `arg` (an address) as its one argument.
    fn command(&self, side: Side, program: &str, arg: &str) -> Command {
        match side {
            Side::Rust => {
                let mut command = Command::new(crate::program_file(&self.bin_dir, program));
                command.arg(arg);
                command
            }
            Side::Python => {
                let mut script = Command::new(self.peers.join(program.replace('-', "_") + ".py"));
                script.arg(arg).env_remove("PYTHONUNBUFFERED");
                let interpreter = [
                    self.python.as_os_str(),
                    "-c".as_ref(),
                    AS_IN_A_TERMINAL.as_ref(),
                ];
                wrapped(&interpreter, &script)
            }
        }
    }

    fn start(&self, side: Side, program: &str, arg: &str) -> Result<Process, TaskError> {
        let label = format!("{side:?} {program}");
        Process::start(&label, self.command(side, program, arg), true)
    }

    /// Starts a server on a free port; returns it once it is ready.
    fn start_server(&self, side: Side, program: &str) -> Result<(Process, SocketAddr), TaskError> {
        let mut server = self.start(side, program, "127.0.0.1:0")?;
        let addr = server.wait_ready(WAIT)?;
        Ok((server, addr))
    }
}

/// One line of the table: a measure and what each side measured, run by
/// run (the table shows the medians), with notes printed under the table.
struct Row {
    measure: String,
    rust: Vec<f64>,
    python: Vec<f64>,
    decimals: usize,
    notes: Vec<String>,
}

impl Row {
    fn new(measure: impl Into<String>, decimals: usize) -> Row {
        let (measure, notes) = (measure.into(), Vec::new());
        let (rust, python) = (Vec::new(), Vec::new());
        Row {
            measure,
            rust,
            python,
            decimals,
            notes,
        }
    }

    fn push(&mut self, side: Side, value: Option<f64>) {
        match side {
            Side::Rust => self.rust.extend(value),
            Side::Python => self.python.extend(value),
        }
    }
}

/// The middle value (the mean of the middle two for an even count).
fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if !n.is_multiple_of(2) => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

/// `12345.6` as `12,346`, with `decimals` after the point.
fn number(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let (whole, fraction) = text.split_at(text.find('.').unwrap_or(text.len()));
    let digits = whole.trim_start_matches('-');
    let mut grouped = String::from(&whole[..whole.len() - digits.len()]);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped + fraction
}

/// The rows as one table, columns two spaces or more apart (`—` where
/// there is no value), then the rows' notes.
fn table(rows: &[Row]) -> String {
    // Display columns, not chars: the labels hold Chinese.
    let width = rows.iter().map(|row| width(&row.measure)).max();
    let line = |measure: &str, [a, b, c]: [String; 3]| {
        let measure = pad(measure, width.unwrap_or(0));
        format!("{measure}  {a:>9}  {b:>9}  {c:>11}\n")
    };
    let mut text = line(
        "项目 / measure",
        ["Rust", "Python", "Rust/Python"].map(String::from),
    );
    for row in rows {
        let shown = |value: Option<f64>| value.map_or("—".into(), |v| number(v, row.decimals));
        let (rust, python) = (median(&row.rust), median(&row.python));
        let ratio = match (rust, python) {
            (Some(rust), Some(python)) if python > 0.0 => format!("{:.2}", rust / python),
            _ => "—".into(),
        };
        text.push_str(&line(&row.measure, [shown(rust), shown(python), ratio]));
    }
    for (index, note) in rows.iter().flat_map(|row| &row.notes).enumerate() {
        text.push_str(&format!("{}* {note}\n", if index == 0 { "\n" } else { "" }));
    }
    text
}

/// hello-server under load: requests/s, failures, CPU per request, peak RSS.
fn hello_rows(settings: &Settings, sides: &Sides) -> Result<Vec<Row>, TaskError> {
    let (requests, connections) = (settings.requests, settings.concurrency);
    let per_second = format!(
        "hello-server 每秒请求数 / requests/s ({requests} requests, {connections} connections)"
    );
    let mut rows = [
        Row::new(per_second, 0),
        Row::new("hello-server 失败的请求 / failed requests (all runs)", 0),
        Row::new("hello-server 每个请求的 CPU / CPU per request, µs", 1),
        Row::new("hello-server 内存峰值 / peak RSS, KiB", 0),
    ];
    let mut failed = [0, 0];
    for round in 0..settings.rounds {
        for side in in_turn(round) {
            let (at, of) = (round + 1, settings.rounds);
            progress(&format!("round {at}/{of}: hello-server, {side:?}"));
            let (mut server, addr) = sides.start_server(side, "hello-server")?;
            // Not measured: the first connections (and Python's first use
            // of its code paths) cost more than the steady state.
            let warmup = load::run(addr, settings.warmup(), connections);
            let cpu_before = linux::cpu_time(server.pid());
            let load = load::run(addr, requests, connections);
            let cpu_after = linux::cpu_time(server.pid());
            server.check_running()?;
            let cpu = cpu_after
                .zip(cpu_before)
                .map(|(after, before)| after.saturating_sub(before));
            let per_request_us = cpu.map(|cpu| cpu.as_secs_f64() * 1e6 / requests as f64);
            let peak_rss = linux::peak_rss_kib(server.pid()).map(|kib| kib as f64);
            rows[0].push(side, Some(load.requests_per_second));
            failed[side as usize] += warmup.failures + load.failures;
            rows[2].push(side, per_request_us);
            rows[3].push(side, peak_rss);
            if let Some(first) = warmup.first_failure.or(load.first_failure) {
                let note = format!("{side:?}: a failed request: {first}");
                rows[1].notes.push(note);
            }
        }
    }
    rows[1].push(Side::Rust, Some(failed[0] as f64));
    rows[1].push(Side::Python, Some(failed[1] as f64));
    rows[1].notes.truncate(2);
    if rows[2].rust.is_empty() {
        let no_proc = "没有测量：这个系统没有 /proc / not measured: this OS has no /proc";
        rows[2].notes.push(format!("CPU per request: {no_proc}"));
        rows[3].notes.push(format!("peak RSS: {no_proc}"));
    }
    Ok(rows.into())
}

/// System calls per request of each side's hello-server, counted by
/// `strace -f -c` attached once the server is ready (its start-up is not
/// counted), over sequential requests.
fn syscall_row(settings: &Settings, sides: &Sides) -> Row {
    let requests = settings.syscall_requests;
    let measure = format!(
        "hello-server 每个请求的系统调用 / system calls per request (strace, {requests} requests)"
    );
    let mut row = Row::new(measure, 2);
    for side in [Side::Rust, Side::Python] {
        progress(&format!("system calls: {side:?} hello-server under strace"));
        match count_syscalls(sides, side, requests) {
            Ok((per_request, by_call)) => {
                row.push(side, Some(per_request));
                row.notes.push(format!("{side:?} system calls: {by_call}"));
            }
            Err(error) => {
                let note = format!("{side:?} system calls not counted: {}", error.message());
                row.notes.push(note);
            }
        }
    }
    row
}

fn count_syscalls(sides: &Sides, side: Side, requests: usize) -> Result<(f64, String), TaskError> {
    let (server, addr) = sides.start_server(side, "hello-server")?;
    let mut command = Command::new("strace");
    command.args(["-f", "-c", "-p", &server.pid().to_string()]);
    let mut tracer = Process::start("strace (is it installed?)", command, false)?;
    tracer.wait_for("\"attached\" from strace", WAIT, |tracer| {
        tracer.stderr.iter().any(|line| line.contains("attached"))
    })?;
    let load = load::run(addr, requests, 1);
    if let Some(first) = load.first_failure {
        let failed = load.failures;
        return Err(TaskError::failed(format!(
            "{failed} of {requests} requests failed under strace: {first}"
        )));
    }
    // The server's end ends strace, which then writes its summary.
    drop(server);
    tracer.wait_exit(WAIT)?;
    linux::syscalls_per_request(&tracer.stderr, requests)
        .ok_or_else(|| tracer.failure("gave no summary with totals"))
}

/// A row of `settings.starts` runs of `measure` (seconds) per side and
/// round, shown in milliseconds.
fn timed(
    settings: &Settings,
    measure: &str,
    mut run: impl FnMut(Side) -> Result<f64, TaskError>,
) -> Result<Row, TaskError> {
    let mut row = Row::new(format!("{measure}, ms"), 2);
    for round in 0..settings.rounds {
        progress(&format!(
            "round {}/{}: {measure}",
            round + 1,
            settings.rounds
        ));
        for side in in_turn(round) {
            for _ in 0..settings.starts {
                row.push(side, Some(run(side)? * 1e3));
            }
        }
    }
    Ok(row)
}

/// Spawn to readiness line, for each server.
fn startup_rows(settings: &Settings, sides: &Sides) -> Result<Vec<Row>, TaskError> {
    let servers = ["hello-server", "chat-server", "udp-server"];
    let measure = |program: &str| format!("{program} 启动到就绪行 / start-up to readiness line");
    let rows = servers.map(|program| {
        timed(settings, &measure(program), |side| {
            let started = Instant::now();
            let ready = sides.start_server(side, program)?;
            let elapsed = started.elapsed().as_secs_f64();
            // Stopped only now: its ending is not part of its start.
            drop(ready);
            Ok(elapsed)
        })
    });
    rows.into_iter().collect()
}

/// udp-server and udp-client converting 36.6, until both have exited.
fn udp_row(settings: &Settings, sides: &Sides) -> Result<Row, TaskError> {
    const EXPECTED: &str = "转换后的温度(单位:华氏温度):97.88000000000001";
    let measure = "一次 UDP 转换 / UDP conversion, both programs started and exited";
    timed(settings, measure, |side| {
        let started = Instant::now();
        let (mut server, addr) = sides.start_server(side, "udp-server")?;
        let mut client = sides.start(side, "udp-client", &addr.to_string())?;
        client.type_in(b"36.6\n")?;
        let client_status = client.wait_exit(WAIT)?;
        let server_status = server.wait_exit(WAIT)?;
        let elapsed = started.elapsed().as_secs_f64();
        let printed = String::from_utf8_lossy(&client.stdout);
        if !client_status.success() || !server_status.success() || !printed.contains(EXPECTED) {
            return Err(client.failure(&format!(
                "printed {printed:?}, not {EXPECTED:?} (client {client_status}, server {server_status})"
            )));
        }
        Ok(elapsed)
    })
}

/// Lines typed into chat-server as fast as its stdin takes them, until
/// chat-client has printed all of them.
fn chat_row(settings: &Settings, sides: &Sides) -> Result<Row, TaskError> {
    let lines = settings.chat_lines;
    let measure = format!(
        "聊天每秒行数 / chat lines/s ({lines} lines typed into chat-server, until printed)"
    );
    let mut row = Row::new(measure, 0);
    for round in 0..settings.rounds {
        for side in in_turn(round) {
            let of = settings.rounds;
            progress(&format!(
                "round {}/{of}: chat, {side:?}, {lines} lines",
                round + 1
            ));
            let elapsed = chat_run(sides, side, lines)?;
            row.push(side, Some(lines as f64 / elapsed.max(1e-9)));
        }
    }
    Ok(row)
}

fn chat_run(sides: &Sides, side: Side, count: usize) -> Result<f64, TaskError> {
    // ASCII lines: the listing's `recv(2014).decode()` dies when a read
    // splits a multi-byte character.
    let lines: Vec<String> = (0..count).map(|i| format!("message {i:05}")).collect();
    let typed: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let (mut server, addr) = sides.start_server(side, "chat-server")?;
    let mut client = sides.start(side, "chat-client", &addr.to_string())?;
    client.wait_for_text("已连接", WAIT)?;
    let started = Instant::now();
    // The pipe takes the lines as fast as the server reads them; it stays
    // open until the run ends (its end would end the chat).
    server.type_in(typed.as_bytes())?;
    // Done once the client has printed as many bytes of messages as were
    // typed: a read may split a line, so the last one can come in pieces.
    let expected = lines.concat();
    let (mut scanned, mut printed) = (0, String::new());
    client.wait_for("all the lines", WAIT * 3, |client| {
        while let Some(end) = client.stdout[scanned..].iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&client.stdout[scanned..scanned + end]);
            printed.push_str(message_in(&line).unwrap_or(""));
            scanned += end + 1;
        }
        printed.len() >= expected.len()
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    server.check_running()?;
    if printed != expected {
        return Err(client.failure("did not print the lines typed, in order"));
    }
    Ok(elapsed)
}

/// The message in a line chat-client printed: `接收到的数据为: <text>`,
/// perhaps after the client's own prompt, which has no newline.
fn message_in(line: &str) -> Option<&str> {
    let line = line.trim_start_matches("请输入要发送的数据:");
    line.strip_prefix("接收到的数据为: ")
}

/// The size of each binary, in KiB (Rust's column only).
fn size_rows(settings: &Settings, sides: &Sides) -> Vec<Row> {
    let build = if settings.dev { "debug" } else { "release" };
    let size = |program| std::fs::metadata(crate::program_file(&sides.bin_dir, program)).ok();
    let row = |program| {
        let mut row = Row::new(format!("{program} {build} 二进制 / binary, KiB"), 1);
        row.push(
            Side::Rust,
            size(program).map(|meta| meta.len() as f64 / 1024.0),
        );
        row
    };
    PROGRAMS.map(row).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_lines_are_read_back_into_the_messages() {
        assert_eq!(message_in("接收到的数据为: message 00"), Some("message 00"));
        assert_eq!(
            message_in("请输入要发送的数据:接收到的数据为: 0"),
            Some("0")
        );
        assert_eq!(message_in("已连接"), None);
    }

    #[test]
    fn medians_and_numbers() {
        assert_eq!(in_turn(1), [Side::Python, Side::Rust]);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0, f64::NAN]), Some(2.5));
        assert_eq!(number(53361.6, 0), "53,362");
        assert_eq!(number(1234.56, 1), "1,234.6");
        assert_eq!(number(-1000.0, 0), "-1,000");
        assert_eq!(number(10.74, 1), "10.7");
    }
}
