//! `cargo xtask bench`: the release programs against the tutorial's Python
//! listings (the peers in `tests/peers`), side by side in one run,
//! alternating which side goes first each round, reporting medians, the
//! ratios and whether each target of issue 6 is met.

mod load;
mod machine;
mod procs;
mod report;
mod stats;
mod syscalls;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Instant;

use crate::{out, workspace_root, TaskError};
use procs::{Contender, WAIT};
use report::{Better, Report, Row, Section, Target, Unit};

pub const HELP: &str = "\
cargo xtask bench [--quick] [--json] [options]

Builds the six programs in release and measures them against the tutorial's
Python listings (tests/peers), in one run, on this machine:

  1. hello-server under load: requests/s, p50/p99 latency, failures, CPU
     per request, peak RSS (connection per request, over threads)
  2. system calls per request (strace -f -c, when strace is installed)
  3. start-up: spawn to readiness line, for the three servers
  4. a whole UDP conversion: udp-server + udp-client, both exited
  5. chat: lines typed into chat-server until chat-client printed them all
  6. release binary sizes

Each round runs Rust and Python in turn, first one side, then the other;
the table shows medians over the rounds, Rust/Python, the target and
whether it is met. Exit status 0 once measured, met or not.

  --quick                fewer rounds and requests (under 30 s)
  --json                 the report as JSON instead of the table
  --rounds N             rounds of A/B runs                  (5; quick 3)
  --requests N           hello-server requests per run       (20000; quick 2000)
  --concurrency N        connections at once                 (16)
  --starts N             start-ups and UDP runs per round    (5; quick 3)
  --chat-lines N         lines through the chat pair         (10000; quick 2000)
  --syscall-requests N   requests counted under strace       (1000)
  --also-hello PATH      also measure this hello server (say, a C one) in
                         the same runs: it takes the address as its one
                         argument and prints `listening on <addr>` on stderr
  --python PATH          the Python 3 to run the listings with (python3)
  --dev                  measure the debug builds (checks the bench itself;
                         the numbers say little)
  --no-build             use the programs already built

The SVG chart of the ratios is written to target/bench/ratios.svg.
";

/// The input of the UDP conversion and what the client must print.
const UDP_INPUT: &[u8] = b"36.6\n";
const UDP_EXPECTED: &str = "转换后的温度(单位:华氏温度):97.88000000000001";
const KIB: f64 = 1024.0;

struct Settings {
    rounds: usize,
    requests: usize,
    concurrency: usize,
    warmup: usize,
    starts: usize,
    chat_lines: usize,
    syscall_requests: usize,
    json: bool,
    dev: bool,
    build: bool,
    also_hello: Option<PathBuf>,
    python: OsString,
}

impl Settings {
    fn parse(args: &[String]) -> Result<Option<Settings>, TaskError> {
        let quick = args.iter().any(|arg| arg == "--quick");
        let mut settings = Settings {
            rounds: if quick { 3 } else { 5 },
            requests: if quick { 2_000 } else { 20_000 },
            concurrency: 16,
            warmup: 0,
            starts: if quick { 3 } else { 5 },
            chat_lines: if quick { 2_000 } else { 10_000 },
            syscall_requests: 1_000,
            json: false,
            dev: false,
            build: true,
            also_hello: None,
            python: "python3".into(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-h" | "--help" => return Ok(None),
                "--quick" => {}
                "--json" => settings.json = true,
                "--dev" => settings.dev = true,
                "--no-build" => settings.build = false,
                "--rounds" => settings.rounds = count(arg, args.next())?,
                "--requests" => settings.requests = count(arg, args.next())?,
                "--concurrency" => settings.concurrency = count(arg, args.next())?,
                "--starts" => settings.starts = count(arg, args.next())?,
                "--chat-lines" => settings.chat_lines = count(arg, args.next())?,
                "--syscall-requests" => settings.syscall_requests = count(arg, args.next())?,
                "--also-hello" => settings.also_hello = Some(value(arg, args.next())?.into()),
                "--python" => settings.python = value(arg, args.next())?.into(),
                other => return Err(TaskError::usage(format!("unknown bench option {other:?}"))),
            }
        }
        if let Some(path) = &settings.also_hello {
            if !path.is_file() {
                return Err(TaskError::usage(format!(
                    "--also-hello: {} is not a file",
                    path.display()
                )));
            }
        }
        // Warm each server up with a twentieth of the run (at least 20).
        settings.warmup = (settings.requests / 20).max(20);
        Ok(Some(settings))
    }

    fn describe(&self) -> Vec<(String, String)> {
        let mut described = vec![(
            "settings".to_string(),
            format!(
                "{} rounds; hello-server: {} requests (+{} warm-up) over {} connections; {} start-ups and UDP runs per round; {} chat lines; {} requests under strace{}",
                self.rounds,
                self.requests,
                self.warmup,
                self.concurrency,
                self.starts,
                self.chat_lines,
                self.syscall_requests,
                if self.dev { "; DEBUG builds (--dev)" } else { "" }
            ),
        )];
        if let Some(path) = &self.also_hello {
            described.push(("also".into(), path.display().to_string()));
        }
        described
    }
}

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let Some(settings) = Settings::parse(args)? else {
        out(HELP);
        return Ok(());
    };
    if settings.build {
        progress(&format!(
            "building the programs ({})",
            if settings.dev { "debug" } else { "release" }
        ));
        crate::build_programs(!settings.dev)?;
    }
    let bin_dir = bin_dir(settings.dev)?;
    let peers = workspace_root().join("tests").join("peers");
    if !peers.join("hello_server.py").is_file() {
        return Err(TaskError::failed(format!(
            "the Python peers are not in {}",
            peers.display()
        )));
    }
    let interpreter = resolve_python(&settings.python)?;
    let rust = Contender::rust(bin_dir.clone());
    let python = Contender::python(interpreter.clone(), peers);
    let started = Instant::now();
    let date = machine::now_utc();

    let mut sections = vec![];
    sections.extend(hello_sections(&settings, &rust, &python)?);
    sections.push(syscall_section(&settings, &rust, &python, &bin_dir));
    sections.push(startup_section(&settings, &rust, &python)?);
    sections.push(udp_section(&settings, &rust, &python)?);
    sections.push(chat_section(&settings, &rust, &python)?);
    sections.push(size_section(&settings, &bin_dir));

    let mut report = Report {
        date,
        machine: machine::describe(&interpreter),
        settings: settings.describe(),
        sections,
        chart: None,
    };
    report.chart = write_chart(&report, &bin_dir);
    progress(&format!(
        "measured in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    out(&if settings.json {
        report.json()
    } else {
        report.table()
    });
    Ok(())
}

/// An option's value, which must be there.
fn value<'a>(name: &str, value: Option<&'a String>) -> Result<&'a String, TaskError> {
    value.ok_or_else(|| TaskError::usage(format!("{name} needs a value")))
}

/// An option's value that counts something: a whole number above 0.
fn count(name: &str, text: Option<&String>) -> Result<usize, TaskError> {
    let text = value(name, text)?;
    match text.parse::<usize>() {
        Ok(number) if number > 0 => Ok(number),
        _ => Err(TaskError::usage(format!(
            "{name} needs a whole number above 0, not {text:?}"
        ))),
    }
}

/// One line on stderr saying what the bench is doing.
fn progress(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "bench: {text}");
}

/// target/release (or, with --dev, target/debug), found from this xtask
/// binary's own place in target/debug.
fn bin_dir(dev: bool) -> Result<PathBuf, TaskError> {
    let dir = crate::programs_dir(!dev)?;
    for (program, _) in crate::compare::PROGRAMS {
        crate::built_program(&dir, program)?;
    }
    Ok(dir)
}

/// The interpreter itself behind `python` (a pyenv or similar shim is a
/// shell script that would add its own start-up to every Python figure).
fn resolve_python(python: &OsString) -> Result<OsString, TaskError> {
    let shown = python.to_string_lossy();
    let output = Command::new(python)
        .args([
            "-c",
            "import sys; print(sys.version_info[0]); print(sys.executable)",
        ])
        .output()
        .map_err(|error| {
            TaskError::failed(format!(
                "cannot run {shown}: {error}: the bench needs Python 3 (--python PATH)"
            ))
        })?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut lines = text.lines();
    match (output.status.success(), lines.next(), lines.next()) {
        (true, Some("3"), Some(executable)) if !executable.is_empty() => Ok(executable.into()),
        (true, Some("3"), _) => Ok(python.clone()),
        _ => Err(TaskError::failed(format!(
            "{shown} is not a working Python 3 ({}): the bench needs Python 3 (--python PATH)",
            output.status
        ))),
    }
}

/// The contenders in a different order each round, so neither side always
/// runs first (or on a machine warmed by the other).
fn in_turn(contenders: &[&Contender], round: usize) -> Vec<Contender> {
    let mut turn: Vec<Contender> = contenders.iter().map(|c| (*c).clone()).collect();
    if !turn.is_empty() {
        let shift = round % turn.len();
        turn.rotate_left(shift);
    }
    turn
}

/// Samples by contender label.
#[derive(Default)]
struct Samples(Vec<(String, Vec<f64>)>);

impl Samples {
    fn push(&mut self, label: &str, value: Option<f64>) {
        let Some(value) = value else { return };
        match self.0.iter_mut().find(|(name, _)| name == label) {
            Some((_, values)) => values.push(value),
            None => self.0.push((label.to_string(), vec![value])),
        }
    }

    fn of(&self, label: &str) -> Vec<f64> {
        self.0
            .iter()
            .find(|(name, _)| name == label)
            .map(|(_, values)| values.clone())
            .unwrap_or_default()
    }

    fn median(&self, label: &str) -> Option<f64> {
        stats::median(&self.of(label))
    }

    /// A row of Rust's median against `other`'s, with every sample kept.
    fn row(&self, name: &str, unit: Unit, better: Better, other: &str) -> Row {
        Row::new(name, unit, better)
            .values(self.median("Rust"), self.median(other))
            .samples("Rust", self.of("Rust"))
            .samples(other, self.of(other))
    }
}

/// What one hello-server run gave.
struct HelloRun {
    requests_per_second: f64,
    p50: Option<f64>,
    p99: Option<f64>,
    max: Option<f64>,
    failures: usize,
    failure_messages: Vec<String>,
    cpu_per_request: Option<f64>,
    peak_rss: Option<f64>,
}

fn hello_run(contender: &Contender, settings: &Settings) -> Result<HelloRun, TaskError> {
    let (mut server, addr) = contender.start_server("hello-server")?;
    let warmup = load::run(addr, settings.warmup, settings.concurrency);
    let cpu_before = procs::cpu_time(server.pid());
    let result = load::run(addr, settings.requests, settings.concurrency);
    let cpu_after = procs::cpu_time(server.pid());
    let peak_rss = procs::peak_rss(server.pid());
    server.check_running()?;
    let cpu_per_request = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) => {
            Some(after.saturating_sub(before).as_secs_f64() / settings.requests as f64)
        }
        _ => None,
    };
    let mut failure_messages = warmup.failure_messages;
    failure_messages.extend(result.failure_messages.iter().cloned());
    Ok(HelloRun {
        requests_per_second: result.requests_per_second(),
        p50: result.latency_percentile_us(50.0).map(|us| us / 1e6),
        p99: result.latency_percentile_us(99.0).map(|us| us / 1e6),
        max: result.latency_percentile_us(100.0).map(|us| us / 1e6),
        failures: warmup.failures + result.failures,
        failure_messages,
        cpu_per_request,
        peak_rss: peak_rss.map(|bytes| bytes as f64),
    })
}

/// hello-server under load against Python, and against `--also-hello`.
fn hello_sections(
    settings: &Settings,
    rust: &Contender,
    python: &Contender,
) -> Result<Vec<Section>, TaskError> {
    let extra = settings.also_hello.clone().map(Contender::extra_hello);
    let mut contenders = vec![rust, python];
    contenders.extend(extra.as_ref());
    let mut throughput = Samples::default();
    let mut p50 = Samples::default();
    let mut p99 = Samples::default();
    let mut max = Samples::default();
    let mut cpu = Samples::default();
    let mut rss = Samples::default();
    let mut failed = Samples::default();
    // (side, message), in the order they came.
    let mut failure_messages: Vec<(String, String)> = Vec::new();
    for round in 0..settings.rounds {
        for contender in in_turn(&contenders, round) {
            progress(&format!(
                "round {}/{}: hello-server, {} ({} requests)",
                round + 1,
                settings.rounds,
                contender.label,
                settings.requests
            ));
            let run = hello_run(&contender, settings)?;
            let label = contender.label.as_str();
            throughput.push(label, Some(run.requests_per_second));
            p50.push(label, run.p50);
            p99.push(label, run.p99);
            max.push(label, run.max);
            cpu.push(label, run.cpu_per_request);
            rss.push(label, run.peak_rss);
            failed.push(label, Some(run.failures as f64));
            failure_messages.extend(
                run.failure_messages
                    .into_iter()
                    .map(|message| (label.to_string(), message)),
            );
        }
    }
    let no_proc = "not available on this OS (it reads Linux's /proc)";
    let compare = |other: &Contender, against_c: bool| {
        let label = other.label.as_str();
        let mut rows = vec![];
        let mut row = throughput.row("requests/s", Unit::PerSecond("req"), Better::Higher, label);
        row = row.target(Target::RatioAtLeast(if against_c { 0.85 } else { 1.0 }));
        rows.push(row);
        rows.push(p50.row("latency p50", Unit::Seconds, Better::Lower, label));
        rows.push(p99.row("latency p99", Unit::Seconds, Better::Lower, label));
        rows.push(max.row("latency max", Unit::Seconds, Better::Lower, label));
        if !against_c {
            let total = |side: &str| failed.of(side).iter().sum::<f64>();
            let mut row = Row::new(
                "failed requests (all rounds)",
                Unit::Number(0),
                Better::Lower,
            )
            .values(Some(total("Rust")), Some(total(label)))
            .target(Target::AtMost(0.0));
            // Rust's messages first, then the other side's.
            let messages: Vec<String> = ["Rust", label]
                .iter()
                .flat_map(|side| {
                    failure_messages
                        .iter()
                        .filter(move |(from, _)| from == side)
                        .map(|(from, message)| format!("{from}: {message}"))
                })
                .take(4)
                .collect();
            if !messages.is_empty() {
                row = row.note(messages.join("; "));
            }
            rows.push(row);
        }
        let mut row = cpu
            .row(
                "CPU per request (user+sys)",
                Unit::Seconds,
                Better::Lower,
                label,
            )
            .target(Target::RatioAtMost(if against_c { 1.15 } else { 0.8 }));
        if row.rust.is_none() {
            row = row.note(no_proc);
        }
        rows.push(row);
        let mut row = rss.row("peak RSS", Unit::Bytes, Better::Lower, label);
        if !against_c {
            row = row
                .target(Target::RatioAtMost(0.25))
                .target(Target::AtMost(3.0 * KIB * KIB));
        }
        if row.rust.is_none() {
            row = row.note(no_proc);
        }
        rows.push(row);
        rows
    };
    let mut sections = vec![Section {
        short: "hello-server",
        title: format!(
            "hello-server, {} requests over {} connections",
            settings.requests, settings.concurrency
        ),
        other: Some(python.label.clone()),
        rows: compare(python, false),
    }];
    if let Some(extra) = &extra {
        sections.push(Section {
            short: "hello-server",
            title: "hello-server, same runs".into(),
            other: Some(extra.label.clone()),
            rows: compare(extra, true),
        });
    }
    Ok(sections)
}

/// System calls per request under strace, Rust's and Python's.
fn syscall_section(
    settings: &Settings,
    rust: &Contender,
    python: &Contender,
    bin_dir: &Path,
) -> Section {
    let requests = settings.syscall_requests;
    let mut row =
        Row::new("hello-server", Unit::Number(2), Better::Lower).target(Target::AtMost(6.0));
    match syscalls::find_strace() {
        None => {
            row = row.note("not measured: strace is not installed (Debian: apt-get install strace)")
        }
        Some(strace) => {
            let dir = bench_dir(bin_dir);
            let mut notes = Vec::new();
            let mut counts = Vec::new();
            for contender in [rust, python] {
                progress(&format!(
                    "system calls: {} hello-server under strace ({requests} requests)",
                    contender.label
                ));
                // Named after this process, so two benches never share one.
                let file = dir.join(format!(
                    "strace-{}-{}.txt",
                    contender.label.to_lowercase(),
                    std::process::id()
                ));
                let counted = syscalls::count(&strace, contender, requests, &file);
                let _ = std::fs::remove_file(&file);
                match counted {
                    Ok(count) => {
                        notes.push(format!("{}: {}", contender.label, count.breakdown()));
                        counts.push(Some(count.per_request));
                    }
                    Err(message) => {
                        notes.push(format!("{}: not measured: {message}", contender.label));
                        counts.push(None);
                    }
                }
            }
            row = row.values(counts[0], counts[1]).note(notes.join("; "));
        }
    }
    Section {
        short: "system calls",
        title: format!("system calls per request ({requests} requests, strace -f -c)"),
        other: Some(python.label.clone()),
        rows: vec![row],
    }
}

/// Spawn to readiness line, for each server.
fn startup_section(
    settings: &Settings,
    rust: &Contender,
    python: &Contender,
) -> Result<Section, TaskError> {
    let mut rows = Vec::new();
    for program in ["hello-server", "chat-server", "udp-server"] {
        let samples = timed_rounds(
            settings,
            [rust, python],
            &format!("start-up of {program}"),
            |contender| {
                let started = Instant::now();
                let ready = contender.start_server(program)?;
                let elapsed = started.elapsed().as_secs_f64();
                // Stopped only now: its ending is not part of its start.
                drop(ready);
                Ok(elapsed)
            },
        )?;
        rows.push(
            samples
                .row(program, Unit::Seconds, Better::Lower, &python.label)
                .target(Target::RatioAtMost(0.1)),
        );
    }
    Ok(Section {
        short: "start-up",
        title: "start-up: spawn to readiness line".into(),
        other: Some(python.label.clone()),
        rows,
    })
}

/// `settings.starts` samples of `measure` per side and round, the sides
/// taking turns going first.
fn timed_rounds(
    settings: &Settings,
    sides: [&Contender; 2],
    what: &str,
    mut measure: impl FnMut(&Contender) -> Result<f64, TaskError>,
) -> Result<Samples, TaskError> {
    let mut samples = Samples::default();
    for round in 0..settings.rounds {
        progress(&format!("round {}/{}: {what}", round + 1, settings.rounds));
        for contender in in_turn(&sides, round) {
            for _ in 0..settings.starts {
                samples.push(&contender.label, Some(measure(&contender)?));
            }
        }
    }
    Ok(samples)
}

/// udp-server and udp-client converting one temperature, until both have
/// exited.
fn udp_section(
    settings: &Settings,
    rust: &Contender,
    python: &Contender,
) -> Result<Section, TaskError> {
    let samples = timed_rounds(settings, [rust, python], "UDP conversions", udp_run)?;
    Ok(Section {
        short: "UDP",
        title: "a whole UDP conversion: both programs started, 36.6 converted, both exited".into(),
        other: Some(python.label.clone()),
        rows: vec![samples
            .row(
                "udp-server + udp-client",
                Unit::Seconds,
                Better::Lower,
                &python.label,
            )
            .target(Target::RatioAtMost(0.1))],
    })
}

fn udp_run(contender: &Contender) -> Result<f64, TaskError> {
    let started = Instant::now();
    let (mut server, addr) = contender.start_server("udp-server")?;
    let mut client = contender.start("udp-client", &addr.to_string(), true)?;
    if let Some(mut stdin) = client.stdin.take() {
        stdin
            .write_all(UDP_INPUT)
            .map_err(|error| client.failure(&format!("cannot take its input: {error}")))?;
    }
    let client_status = client.wait_exit(WAIT)?;
    let server_status = server.wait_exit(WAIT)?;
    let elapsed = started.elapsed().as_secs_f64();
    if !client_status.success() || !server_status.success() {
        return Err(client.failure(&format!(
            "the conversion did not end well (client {client_status}, server {server_status})"
        )));
    }
    if !String::from_utf8_lossy(&client.stdout).contains(UDP_EXPECTED) {
        return Err(client.failure(&format!(
            "printed {:?}, not {UDP_EXPECTED:?}",
            String::from_utf8_lossy(&client.stdout)
        )));
    }
    Ok(elapsed)
}

/// Lines typed into chat-server as fast as its stdin takes them, until
/// chat-client has printed all of them.
fn chat_section(
    settings: &Settings,
    rust: &Contender,
    python: &Contender,
) -> Result<Section, TaskError> {
    let lines = settings.chat_lines;
    let mut seconds = Samples::default();
    let mut rate = Samples::default();
    for round in 0..settings.rounds {
        for contender in in_turn(&[rust, python], round) {
            progress(&format!(
                "round {}/{}: chat, {} ({lines} lines)",
                round + 1,
                settings.rounds,
                contender.label
            ));
            let elapsed = chat_run(&contender, lines)?;
            seconds.push(&contender.label, Some(elapsed));
            rate.push(&contender.label, Some(lines as f64 / elapsed.max(1e-9)));
        }
    }
    Ok(Section {
        short: "chat",
        title: format!(
            "chat: {lines} lines typed into chat-server, until chat-client printed them"
        ),
        other: Some(python.label.clone()),
        rows: vec![
            seconds.row("time", Unit::Seconds, Better::Lower, &python.label),
            rate.row(
                "lines",
                Unit::PerSecond("lines"),
                Better::Higher,
                &python.label,
            ),
        ],
    })
}

/// The lines the chat carries: ASCII, because the listing's `recv(2014)`
/// `.decode()` dies when a read splits a multi-byte character.
fn chat_lines(count: usize) -> Vec<String> {
    (0..count)
        .map(|index| format!("message {index:05}"))
        .collect()
}

fn chat_run(contender: &Contender, count: usize) -> Result<f64, TaskError> {
    let lines = chat_lines(count);
    let typed: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let last = format!("{}\n", lines.last().map_or("", String::as_str));
    let (mut server, addr) = contender.start_server("chat-server")?;
    let mut client = contender.start("chat-client", &addr.to_string(), true)?;
    client.wait_for("已连接", WAIT, |client| {
        String::from_utf8_lossy(&client.stdout).contains("已连接")
    })?;
    let mut stdin = server
        .stdin
        .take()
        .ok_or_else(|| server.failure("has no stdin"))?;
    let started = Instant::now();
    // The typing, in its own thread: the pipe takes it as fast as the
    // server reads. The pipe stays open until the run ends.
    let typist = thread::spawn(move || {
        let written = stdin.write_all(typed.as_bytes());
        (stdin, written)
    });
    // The chat is in order, so the last line printed last means all were.
    client.wait_for("the last line", WAIT * 3, |client| {
        client.stdout.ends_with(last.as_bytes())
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    server.check_running()?;
    match typist.join() {
        Ok((_stdin, Ok(()))) => {}
        Ok((_, Err(error))) => {
            return Err(server.failure(&format!("stdin refused the lines: {error}")))
        }
        Err(_) => return Err(TaskError::failed("the typing thread panicked")),
    }
    let printed = printed_messages(&client.stdout);
    let expected: String = lines.concat();
    if printed != expected {
        return Err(client.failure(&format!(
            "printed {} bytes of messages, not the {} typed (first difference at byte {})",
            printed.len(),
            expected.len(),
            printed
                .bytes()
                .zip(expected.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(printed.len().min(expected.len()))
        )));
    }
    Ok(elapsed)
}

/// What chat-client printed as received, joined: each line is
/// `接收到的数据为: <text>`, the first after `已连接` and perhaps after
/// the client's own prompt, which has no newline.
fn printed_messages(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    let mut messages = String::new();
    for line in text.lines() {
        let line = line.trim_start_matches("请输入要发送的数据:");
        if let Some(message) = line.strip_prefix("接收到的数据为: ") {
            messages.push_str(message);
        }
    }
    messages
}

/// The size of each release binary.
fn size_section(settings: &Settings, bin_dir: &Path) -> Section {
    let rows = crate::compare::PROGRAMS
        .iter()
        .map(|(program, _)| {
            let path = crate::program_file(bin_dir, program);
            let size = std::fs::metadata(&path).ok().map(|meta| meta.len() as f64);
            let mut row = Row::new(*program, Unit::Bytes, Better::Lower)
                .values(size, None)
                .target(Target::AtMost(400.0 * KIB));
            if let Some(bytes) = size {
                row = row.note(format!("{} bytes", report::thousands(bytes as u64)));
            }
            row
        })
        .collect();
    Section {
        short: "size",
        title: if settings.dev {
            "binary size (DEBUG builds)".into()
        } else {
            "release binary size".into()
        },
        other: None,
        rows,
    }
}

/// target/bench, beside the programs' folder.
fn bench_dir(bin_dir: &Path) -> PathBuf {
    let dir = bin_dir.parent().unwrap_or(bin_dir).join("bench");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Writes the SVG chart; returns its path, or says why it could not.
fn write_chart(report: &Report, bin_dir: &Path) -> Option<String> {
    let path = bench_dir(bin_dir).join("ratios.svg");
    match std::fs::write(&path, report.svg()) {
        Ok(()) => {
            let shown = path.strip_prefix(workspace_root()).unwrap_or(&path);
            Some(shown.display().to_string())
        }
        Err(error) => {
            progress(&format!(
                "cannot write the chart {}: {error}",
                path.display()
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_output_is_read_back_into_the_messages() {
        let stdout = "已连接\n请输入要发送的数据:接收到的数据为: message 00000message 0\n接收到的数据为: 0001\n";
        assert_eq!(
            printed_messages(stdout.as_bytes()),
            "message 00000message 00001"
        );
        assert_eq!(chat_lines(2), ["message 00000", "message 00001"]);
    }

    #[test]
    fn options_are_read_and_checked() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let quick = Settings::parse(&args(&["--quick", "--requests", "300"]))
            .ok()
            .flatten()
            .map(|s| (s.rounds, s.requests, s.warmup));
        assert_eq!(quick, Some((3, 300, 20)));
        assert!(Settings::parse(&args(&["--rounds", "0"])).is_err());
        assert!(Settings::parse(&args(&["--rounds"])).is_err());
        assert!(Settings::parse(&args(&["--frob"])).is_err());
        assert!(matches!(Settings::parse(&args(&["--help"])), Ok(None)));
    }

    #[test]
    fn each_round_starts_with_another_side() {
        let a = Contender::rust(PathBuf::from("a"));
        let b = Contender::python("python3".into(), PathBuf::from("b"));
        let labels = |round| {
            in_turn(&[&a, &b], round)
                .into_iter()
                .map(|c| c.label)
                .collect::<Vec<_>>()
        };
        assert_eq!(labels(0), ["Rust", "Python"]);
        assert_eq!(labels(1), ["Python", "Rust"]);
    }
}
