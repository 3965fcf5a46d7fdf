//! `cargo xtask trace <hello|tcp|chat|udp> [--packets] [--lose N] [--html]`:
//! the system calls underneath each listing line, Python beside Rust.
//!
//! The first run of the pairing's session in the table (`pairings.rs`)
//! plays twice: with the tutorial's Python programs (the peers in
//! `tests/peers/`, under `line_tracer.py`) and with the Rust programs (a
//! debug build with frame pointers), every program under `strace -f` (`-k`
//! for Rust: the stack of each call). `strace.rs` reads the traces,
//! `rows.rs` names the listing line behind each call, `render.rs` prints
//! one table per program; `--packets` captures the pairing's port on
//! loopback (`packets.rs`) and draws the packets; `--lose` has one of them
//! dropped (`lose.rs`).

mod lose;
mod packets;
mod render;
mod rows;
mod strace;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::harness::{self, wrapped, Process, HANG_GUARD};
use crate::pairings::{self, Pairing, Program, Role, Step};
use crate::session::{self, Event, Stage};
use crate::{compare, out, workspace, Args, TaskError};
pub use lose::CANNOT_LOSE;
use render::Report;

pub const HELP: &str = include_str!("../help/trace.txt");

/// The start of the message when tracing is not possible here; the tests
/// skip on it.
pub const CANNOT_TRACE: &str = "无法跟踪 / cannot trace";

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let flags = ["--packets", "--html", "--no-build", lose::IN_NAMESPACE];
    let (given, args) = (args, Args::parse(args, &flags, &["--lose"])?);
    if args.help {
        out(HELP);
        return Ok(());
    }
    let lose =
        args.value("--lose").map(|n| n.parse().ok().filter(|n| (1..1000).contains(n)).ok_or(n));
    let bad =
        |n| TaskError::usage(format!("--lose N: N 是 1 到 999 的整数 / N is 1 to 999, not {n:?}"));
    let mut lose = lose.transpose().map_err(bad)?;
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
    let (columns, mut notes) = (compare::terminal::columns(), Vec::new());
    let mut capture = (args.has("--packets") || lose.is_some()).then_some(Ok(()));
    if lose.is_some() && !args.has(lose::IN_NAMESPACE) {
        match lose::run_inside(given, columns) {
            Ok(done) => return done,
            Err(why) => (lose, notes) = (None, vec![why]),
        }
    }
    let (python, _) = workspace::python("python3".as_ref())?;
    let dir = workspace::root().join("target/trace");
    workspace::create_dir(&dir)?;
    if !stack {
        notes.push("这个 strace 不支持 -k，Rust 的调用无法归属到代码行 / this strace has no -k: Rust's calls cannot be attributed to lines".to_string());
    }
    let mut runs = Vec::new();
    let side = |python| Side { lose, ..Side::new(python, &dir, pairing, stack) };
    let sides = [Some(python), None].map(side);
    for side in &sides {
        runs.push(play(side, &mut capture)?);
    }
    if let Some(Err(reason)) = &capture {
        notes.push(format!("没有抓包 / no packet capture: {reason}"));
    }
    let report = report(&sides, &runs, notes, columns)?;
    out(&render::text(&report, columns));
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
    /// The data-carrying packet dropped (`--lose`).
    lose: Option<u32>,
}

impl Side {
    /// A side of `pairing` tracing into `dir` (with stacks, where strace
    /// has them, for Rust).
    fn new(python: Option<PathBuf>, dir: &Path, pairing: &'static Pairing, stack: bool) -> Side {
        let stack = stack && python.is_none();
        Side { python, dir: dir.to_path_buf(), pairing, stack, lose: None }
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

/// What one side's run left: its port, its packets, what its client said.
struct Run {
    python: bool,
    port: u16,
    packets: Option<Vec<packets::Packet>>,
    said: Option<String>,
}

/// Plays the first run of the pairing's session on one side; captures
/// its packets while `capture` is wanted and possible (else it holds why
/// not).
fn play(side: &Side, capture: &mut Option<Result<(), String>>) -> Result<Run, TaskError> {
    // A datagram lost, its reply may never come: the run ends once the line
    // is typed, each side stopped (the client given its time first).
    let (run, lossy) = (side.pairing.runs[0], side.lose.is_some() && side.pairing.udp());
    let typed = run.iter().position(|step| matches!(step, Step::Types(..))).filter(|_| lossy);
    let ends = [Step::Stopped(Role::Client), Step::Stopped(Role::Server)];
    let run = typed.map_or(run.to_vec(), |at| [&run[..=at], &ends].concat());
    let mut stage = Tracing { side, capture, capturing: None, port: 0, lossy, said: None };
    session::play(side.pairing, &run, &mut stage, "xtask-trace")?;
    let (port, packets) = (stage.port, stage.capturing.take().map(packets::Capture::finish));
    Ok(Run { python: side.python.is_some(), port, packets, said: stage.said })
}

/// The stage of one side's run: every program under strace, the packets
/// of the server's port captured from the moment it is ready.
struct Tracing<'a> {
    side: &'a Side,
    capture: &'a mut Option<Result<(), String>>,
    capturing: Option<packets::Capture>,
    port: u16,
    /// UDP with `--lose`, and what its client said.
    lossy: bool,
    said: Option<String>,
}

impl Stage for Tracing<'_> {
    fn start(&mut self, program: &'static Program, arg: &str) -> Result<Process, TaskError> {
        self.side.start(program, arg)
    }

    fn show(&mut self, event: Event) {
        if let (Event::Ready(_, addr), Some(Ok(()))) = (event, &self.capture) {
            self.port = addr.port();
            match packets::Capture::start(addr.port(), self.side.pairing.udp(), self.side.lose) {
                Ok(started) => self.capturing = Some(started),
                Err(reason) => *self.capture = Some(Err(reason)),
            }
        }
    }

    fn stop(&mut self, side: &mut session::Side) {
        // A UDP client waiting for a lost reply: ours says so after 3 s and
        // ends; the listing's waits for ever, and is ended after 3 s.
        if self.lossy && side.role == Role::Client {
            let wait = if self.side.python.is_some() { Duration::from_secs(3) } else { HANG_GUARD };
            let said = side.process.try_wait_exit(wait).map(|_| side.process.stderr_text());
            self.said = Some(said.unwrap_or_else(|| "udp_client.py（教程的程序）没有超时，一直在等回复：3 秒后由 trace 结束 / the listing's client has no timeout and waits for ever: trace ended it after 3 s".to_string()));
        }
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
    columns: usize,
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
    // The tables are the server's, then the client's (hello's is this xtask).
    let tables = [report.tables.get(1), report.tables.first()].map(|t| t.map_or(&[][..], |t| &t.1));
    for run in runs {
        if let Some(packets) = &run.packets {
            let lang = if run.python { "Python" } else { "Rust" };
            let title = format!("{lang}: tcpdump -i lo -n -tt -x, port {}", run.port);
            let (names, port, lose) = ([client, pairing.server.name], run.port, python.lose);
            let scene = packets::Scene { names, port, tables, rust: !run.python, lose };
            // What the client said, when no reply came, before what it shows.
            let text = run.said.iter().flat_map(|said| said.lines().map(str::to_string));
            let text = text.chain(packets::explain(packets, lose)).collect();
            report.diagrams.push((title, packets::diagram(packets, &scene, columns), text));
        }
    }
    Ok(report)
}
