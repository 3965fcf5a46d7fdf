//! `cargo xtask trace <hello|tcp|chat|udp> [--packets] [--html]`: the
//! system calls underneath each listing line, Python beside Rust.
//!
//! The first run of the pairing's session in the table (`pairings.rs`)
//! plays twice: with the tutorial's Python programs (the peers in
//! `tests/peers/`, under `line_tracer.py`) and with the Rust programs (a
//! debug build with frame pointers), every program under `strace -f` (`-k`
//! for Rust: the stack of each call). `strace.rs` reads the traces,
//! `rows.rs` names the listing line behind each call, `render.rs` prints
//! one table per program; `--packets` captures the pairing's port on
//! loopback (`packets.rs`) and draws the packets.

mod packets;
mod render;
mod rows;
mod strace;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{self, wrapped, Process, HANG_GUARD};
use crate::pairings::{self, Pairing, Program};
use crate::session::{self, Event, Stage};
use crate::{compare, out, workspace, Args, TaskError};
use render::Report;

pub const HELP: &str = include_str!("../help/trace.txt");

/// The start of the message when tracing is not possible here; the tests
/// skip on it.
pub const CANNOT_TRACE: &str = "无法跟踪 / cannot trace";

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let args = Args::parse(args, &["--packets", "--html", "--no-build"], &[])?;
    if args.help {
        out(HELP);
        return Ok(());
    }
    let pairing = match args.words[..] {
        [name] => pairings::pairing(name)?,
        _ => {
            return Err(TaskError::usage(
                "trace 需要一对程序 / trace needs a pairing: hello, tcp, chat, udp",
            ))
        }
    };
    let stack = check_strace()?;
    if !args.has("--no-build") {
        build_with_frame_pointers()?;
    }
    let (python, _) = workspace::python("python3".as_ref())?;
    let dir = workspace::root().join("target/trace");
    workspace::create_dir(&dir)?;
    let mut notes = Vec::new();
    if !stack {
        notes.push("这个 strace 不支持 -k，Rust 的调用无法归属到代码行 / this strace has no -k: Rust's calls cannot be attributed to lines".to_string());
    }
    let mut capture = args.has("--packets").then_some(Ok(()));
    let mut runs = Vec::new();
    let sides = [Some(python), None].map(|python| Side::new(python, &dir, pairing, stack));
    for side in &sides {
        runs.push(play(side, &mut capture)?);
    }
    if let Some(Err(reason)) = &capture {
        notes.push(format!("没有抓包 / no packet capture: {reason}"));
    }
    let report = report(&sides, &runs, notes)?;
    out(&render::text(&report, compare::terminal::columns()));
    if args.has("--html") {
        let path = workspace::root().join(format!("target/compare/trace-{}.html", pairing.name));
        workspace::write(&path, &render::html(&report))?;
        out(&format!("{}\n", path.display()));
    }
    Ok(())
}

/// Where the traced build goes: beside the usual one, so neither
/// invalidates the other.
fn build_dir() -> PathBuf {
    workspace::root().join("target/trace-build")
}

/// A Rust program of the traced build, which must exist.
fn traced_program(name: &str) -> Result<PathBuf, TaskError> {
    workspace::built_program(&build_dir().join("debug"), name)
}

/// Builds the programs in debug with frame pointers: strace's unwinder
/// (libunwind) loses the frames of code without them and jumps to
/// `std::rt::lang_start`, so a `write` made inside `print` would not
/// reach the line of `main.rs` that printed.
fn build_with_frame_pointers() -> Result<(), TaskError> {
    let flags = std::env::var("RUSTFLAGS").unwrap_or_default() + " -C force-frame-pointers=yes";
    workspace::build_programs(|cargo| {
        cargo.arg("--target-dir").arg(build_dir()).env("RUSTFLAGS", flags.trim());
    })
}

/// Whether strace can trace here, and whether it has `-k`.
fn check_strace() -> Result<bool, TaskError> {
    // The program traced for the check: this one, showing its help.
    let own = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("true"));
    let runs = |program: &str, args: &[&str]| {
        let mut command = Command::new(program);
        command.args(args);
        if program == "strace" {
            command.arg(&own).arg("--help");
        }
        harness::run_to_end(command, HANG_GUARD).map(|done| (done.status.success(), done.stderr))
    };
    let cannot = |why: &str| TaskError::failed(format!("{CANNOT_TRACE}: {why}"));
    let (plain, said) = runs("strace", &["-f", "-o", "/dev/null"]).map_err(|_| {
        cannot("没有 strace / strace is not installed (Debian: apt-get install strace)")
    })?;
    if !plain {
        let said = said.trim();
        return Err(cannot(&format!(
            "strace 不能运行 / strace cannot run here ({said}); in a container, allow ptrace (docker run --cap-add SYS_PTRACE)"
        )));
    }
    let (stack, _) = runs("strace", &["-f", "-k", "-o", "/dev/null"])?;
    if stack && !runs("addr2line", &["--version"]).is_ok_and(|(ran, _)| ran) {
        return Err(cannot(
            "没有 addr2line / addr2line is not installed (Debian: apt-get install binutils)",
        ));
    }
    Ok(stack)
}

/// One run of the pairing: Python's (with the interpreter itself, not a
/// pyenv shim, whose own start-up would fill the trace) or Rust's.
struct Side {
    python: Option<PathBuf>,
    dir: PathBuf,
    pairing: &'static Pairing,
    stack: bool,
}

impl Side {
    /// A side of `pairing` tracing into `dir` (with stacks, where strace
    /// has them, for Rust).
    fn new(python: Option<PathBuf>, dir: &Path, pairing: &'static Pairing, stack: bool) -> Side {
        let stack = stack && python.is_none();
        Side { python, dir: dir.to_path_buf(), pairing, stack }
    }

    fn lang(&self) -> &'static str {
        if self.python.is_some() {
            "python"
        } else {
            "rust"
        }
    }

    /// Where strace writes while the trace runs (named by this process, so
    /// that traces run at the same time, the tests', do not mix), or where
    /// the finished trace is kept, the last run's (`running`).
    fn trace_file(&self, program: &str, running: bool) -> PathBuf {
        let id = if running { format!(".{}", std::process::id()) } else { String::new() };
        let name = format!("{}-{}-{program}{id}.strace", self.pairing.name, self.lang());
        self.dir.join(name)
    }

    /// Starts `program` with `arg` under strace.
    fn start(&self, program: &'static Program, arg: &str) -> Result<Process, TaskError> {
        let mut inner = match &self.python {
            None => Command::new(traced_program(program.name)?),
            Some(python) => {
                // The code alone: its comment lines would add to Python's start-up.
                let tracer = include_str!("line_tracer.py").lines().filter(|l| !l.starts_with('#'));
                let tracer: String = tracer.map(|line| format!("{line}\n")).collect();
                let mut command = Command::new(python);
                command.args(["-c", &tracer]).arg(workspace::peer(program));
                command.env_remove("PYTHONUNBUFFERED");
                command
            }
        };
        inner.arg(arg);
        let file = self.trace_file(program.name, true).display().to_string();
        let mut prefix = vec!["strace", "-f", "-q", "-yy", "-s", "64"];
        if self.stack {
            prefix.push("-k");
        }
        prefix.extend(["-o", &file]);
        Ok(Process::start(wrapped(&prefix, &inner))?)
    }

    /// Reads a finished trace and keeps it under its lasting name.
    fn take_trace(&self, program: &str) -> Result<(String, PathBuf), TaskError> {
        let (running, kept) = (self.trace_file(program, true), self.trace_file(program, false));
        let text = workspace::read(&running)?;
        // A rename replaces the file whole; should it fail, the running name stays.
        Ok((text, if std::fs::rename(&running, &kept).is_ok() { kept } else { running }))
    }
}

/// Ends the programs strace `pid` started (its children) with SIGTERM, so
/// that strace writes their end: killing strace alone would leave them
/// running untraced.
fn end_tracees(pid: u32) {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"));
    for pid in children.unwrap_or_default().split_whitespace().filter_map(|pid| pid.parse().ok()) {
        harness::terminate(pid);
    }
}

/// What one side's run left: its port, and its packets if captured.
struct Run {
    python: bool,
    port: u16,
    packets: Option<Vec<packets::Packet>>,
}

/// Plays the first run of the pairing's session on one side; captures
/// its packets while `capture` is wanted and possible (else it holds why
/// not).
fn play(side: &Side, capture: &mut Option<Result<(), String>>) -> Result<Run, TaskError> {
    let mut stage = Tracing { side, capture, capturing: None, port: 0 };
    session::play(side.pairing, side.pairing.runs[0], &mut stage, "xtask-trace")?;
    let (port, packets) = (stage.port, stage.capturing.take().map(packets::Capture::finish));
    Ok(Run { python: side.python.is_some(), port, packets })
}

/// The stage of one side's run: every program under strace, the packets
/// of the server's port captured from the moment it is ready.
struct Tracing<'a> {
    side: &'a Side,
    capture: &'a mut Option<Result<(), String>>,
    capturing: Option<packets::Capture>,
    port: u16,
}

impl Stage for Tracing<'_> {
    fn start(&mut self, program: &'static Program, arg: &str) -> Result<Process, TaskError> {
        self.side.start(program, arg)
    }

    fn show(&mut self, event: Event) {
        if let (Event::Ready(_, addr), Some(Ok(()))) = (event, &self.capture) {
            self.port = addr.port();
            match packets::Capture::start(addr.port(), self.side.pairing.name == "udp") {
                Ok(started) => self.capturing = Some(started),
                Err(reason) => *self.capture = Some(Err(reason)),
            }
        }
    }

    fn stop(&mut self, side: &mut session::Side) {
        end_tracees(side.process.pid());
    }

    fn listings(&self) -> bool {
        self.side.python.is_some()
    }
}

/// The tables of both programs, from both runs' traces, and the packets.
fn report(
    [python, rust]: &[Side; 2],
    runs: &[Run],
    notes: Vec<String>,
) -> Result<Report, TaskError> {
    let pairing = python.pairing;
    let (tables, diagrams, files) = (Vec::new(), Vec::new(), Vec::new());
    let mut report = Report { pairing: pairing.name, tables, diagrams, notes, files };
    for program in [Some(pairing.server), pairing.client].into_iter().flatten() {
        let name = program.name;
        let source = workspace::read(&compare::groups::main_rs(name))?;
        let groups = compare::groups::parse(&source);
        let mut rows = Vec::new();
        let (python_trace, python_file) = python.take_trace(name)?;
        let python_calls = strace::parse(&python_trace);
        rows::add_python(
            &mut rows,
            &python_calls,
            &workspace::read(&workspace::peer(program))?,
            &groups,
        );
        let (rust_trace, rust_file) = rust.take_trace(name)?;
        let rust_calls = strace::parse(&rust_trace);
        let calls = if rust.stack { &rust_calls[..] } else { &[] };
        let lines = rows::Lines::resolve(calls, &traced_program(name)?, name)?;
        rows::add_rust(&mut rows, &rust_calls, &lines, &source, &groups);
        rows.sort_by_key(|row| row.place);
        let title =
            format!("{name}: tests/peers/{} (Python) ↔ {} (Rust)", program.listing, lines.main_rs);
        report.tables.push((title, rows));
        report.files.extend([python_file, rust_file]);
    }
    let client = pairing.client.map_or("http-get (xtask)", |client| client.name);
    for run in runs {
        if let Some(packets) = &run.packets {
            let lang = if run.python { "Python" } else { "Rust" };
            let title = format!("{lang}: tcpdump -i lo -n -S, port {}", run.port);
            let diagram = packets::diagram(packets, client, pairing.server.name, run.port);
            report.diagrams.push((title, diagram));
        }
    }
    Ok(report)
}
