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

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{self, wrapped, Process, HANG_GUARD};
use crate::pairings::{self, Pairing, Role, Step, RECEIVED};
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
        [name] => pairings::pairing(name).ok_or_else(|| {
            TaskError::usage(format!("未知的一对程序 / unknown pairing {name:?}"))
        })?,
        [] => {
            return Err(TaskError::usage(
                "trace 需要一对程序 / trace needs a pairing: hello, tcp, chat, udp",
            ))
        }
        _ => {
            return Err(TaskError::usage(
                "trace 只跟踪一对程序 / trace takes one pairing",
            ))
        }
    };
    let stack = check_strace()?;
    if !args.has("--no-build") {
        build_with_frame_pointers()?;
    }
    let (python, _) = workspace::python("python3".as_ref())?;
    let dir = workspace::root().join("target/trace");
    std::fs::create_dir_all(&dir)
        .map_err(|error| TaskError::failed(format!("cannot create {}: {error}", dir.display())))?;
    let mut notes = Vec::new();
    if !stack {
        notes.push("这个 strace 不支持 -k，Rust 的调用无法归属到代码行 / this strace has no -k: Rust's calls cannot be attributed to lines".to_string());
    }
    let mut capture = args.has("--packets").then_some(Ok(()));
    let mut runs = Vec::new();
    for python in [Some(python), None] {
        let stack = stack && python.is_none();
        let side = Side {
            python,
            dir: dir.clone(),
            pairing,
            stack,
        };
        runs.push(play(&side, &mut capture)?);
    }
    if let Some(Err(reason)) = &capture {
        notes.push(format!("没有抓包 / no packet capture: {reason}"));
    }
    let report = report(pairing, &dir, stack, &runs, notes)?;
    out(&render::text(&report, compare::terminal::columns()));
    if args.has("--html") {
        let page_dir = workspace::root().join("target/compare");
        let path = page_dir.join(format!("trace-{}.html", pairing.name));
        std::fs::create_dir_all(&page_dir).map_err(|error| {
            TaskError::failed(format!("cannot create {}: {error}", page_dir.display()))
        })?;
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
    let names = pairings::PROGRAMS.map(|program| program.name);
    workspace::cargo_build(|cargo| {
        cargo.arg("--bins").args(workspace::packages(names));
        cargo
            .arg("--target-dir")
            .arg(build_dir())
            .env("RUSTFLAGS", flags.trim());
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
        let id = if running {
            format!(".{}", std::process::id())
        } else {
            String::new()
        };
        let name = format!("{}-{}-{program}{id}.strace", self.pairing.name, self.lang());
        self.dir.join(name)
    }

    /// Starts the program playing `role`, with `arg`, under strace.
    fn start(&self, role: Role, arg: &str) -> Result<Traced, TaskError> {
        let program = self
            .pairing
            .program(role)
            .ok_or_else(|| TaskError::failed("no such side"))?;
        let mut inner = match &self.python {
            None => Command::new(traced_program(program.name)?),
            Some(python) => {
                // The code alone: its comment lines would add to Python's start-up.
                let tracer = include_str!("line_tracer.py")
                    .lines()
                    .filter(|l| !l.starts_with('#'));
                let tracer: String = tracer.map(|line| format!("{line}\n")).collect();
                let mut command = Command::new(python);
                command.args(["-c", &tracer]).arg(program.peer());
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
        let command = wrapped(&prefix, &inner);
        Ok(Traced {
            process: Process::start(command)?,
            prompt: program.prompt,
            typed: 0,
        })
    }

    /// Reads a finished trace and keeps it under its lasting name.
    fn take_trace(&self, program: &str) -> Result<(String, PathBuf), TaskError> {
        let (running, kept) = (
            self.trace_file(program, true),
            self.trace_file(program, false),
        );
        let text = workspace::read(&running)?;
        // A rename replaces the file whole; should it fail, the running name stays.
        Ok((
            text,
            if std::fs::rename(&running, &kept).is_ok() {
                kept
            } else {
                running
            },
        ))
    }
}

/// A program under strace. Dropping it ends the program, then strace.
struct Traced {
    process: Process,
    prompt: Option<&'static str>,
    /// The lines typed so far.
    typed: usize,
}

impl Traced {
    /// Ends the programs strace started (its children) with SIGTERM, so
    /// that strace writes their end: killing strace alone would leave them
    /// running untraced.
    fn end_tracees(&self) {
        let pid = self.process.pid();
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"));
        for pid in children
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
        {
            harness::terminate(pid);
        }
    }

    /// Ends a program that would run forever, as the listing's does.
    fn stop(&mut self) -> Result<(), TaskError> {
        self.end_tracees();
        self.exit()
    }

    fn exit(&mut self) -> Result<(), TaskError> {
        self.process.wait_exit(HANG_GUARD)?;
        Ok(())
    }

    fn expect(&mut self, text: &str) -> Result<(), TaskError> {
        Ok(self.process.wait_stdout(text, 1)?)
    }

    /// Waits for its prompt, then types `line`.
    fn type_line(&mut self, line: &str) -> Result<(), TaskError> {
        self.typed += 1;
        self.process
            .wait_stdout(self.prompt.unwrap_or(""), self.typed)?;
        Ok(self.process.type_in(format!("{line}\n").as_bytes())?)
    }
}

impl Drop for Traced {
    fn drop(&mut self) {
        if self.process.exited().is_none() {
            self.end_tracees();
        }
    }
}

/// What one run left: its port, and its packets if captured.
struct Run {
    python: bool,
    port: u16,
    packets: Option<Vec<packets::Packet>>,
}

/// Plays the first run of the pairing's session on one side; captures
/// its packets while `capture` is wanted and possible (else it holds why
/// not).
fn play(side: &Side, capture: &mut Option<Result<(), String>>) -> Result<Run, TaskError> {
    let mut sides: [Option<Traced>; 2] = [None, None];
    let (mut addr, mut capturing, mut get) = (None::<SocketAddr>, None, None);
    let missing = || TaskError::failed("trace: a step before its program started");
    for &step in side.pairing.runs[0] {
        let role = match step {
            Step::Start(role) => {
                let arg = addr.map_or("127.0.0.1:0".to_string(), |addr| addr.to_string());
                let traced = side.start(role, &arg)?;
                if role == Role::Server {
                    let ready = traced.process.wait_ready()?;
                    addr = Some(ready);
                    if let Some(Ok(())) = capture {
                        match packets::Capture::start(ready.port(), side.pairing.name == "udp") {
                            Ok(started) => capturing = Some(started),
                            Err(reason) => *capture = Some(Err(reason)),
                        }
                    }
                }
                sides[role as usize] = Some(traced);
                continue;
            }
            Step::Get => {
                let addr = addr.ok_or_else(missing)?;
                let request = pairings::get_request(&addr.to_string(), "xtask-trace");
                let failed =
                    |error| TaskError::failed(format!("cannot send a GET to {addr}: {error}"));
                let mut stream = TcpStream::connect(addr).map_err(failed)?;
                stream.write_all(request.as_bytes()).map_err(failed)?;
                get = Some(stream);
                continue;
            }
            Step::Reply => {
                if let Some(mut stream) = get.take() {
                    let _ = stream.set_read_timeout(Some(HANG_GUARD));
                    let _ = stream.read_to_end(&mut Vec::new());
                }
                continue;
            }
            Step::Prints(role, _)
            | Step::Types(role, _)
            | Step::Says(role, _)
            | Step::Exits(role, _)
            | Step::ExitsUnlikeTheListing(role, _)
            | Step::Stopped(role) => role,
        };
        let program = sides[role as usize].as_mut().ok_or_else(missing)?;
        match step {
            Step::Prints(_, pieces) => program.expect(&pieces.concat())?,
            Step::Types(_, line) => program.type_line(line)?,
            Step::Says(_, line) => {
                program.type_line(line)?;
                let other = sides[1 - role as usize].as_mut().ok_or_else(missing)?;
                other.expect(&format!("{RECEIVED}{line}\n"))?;
            }
            // Ours ends on `0`; the listing's chat-server never does.
            Step::ExitsUnlikeTheListing(..) if side.python.is_some() => program.stop()?,
            Step::Exits(..) | Step::ExitsUnlikeTheListing(..) => program.exit()?,
            _ => program.stop()?,
        }
    }
    Ok(Run {
        python: side.python.is_some(),
        port: addr.map_or(0, |addr| addr.port()),
        packets: capturing.map(packets::Capture::finish),
    })
}

/// The tables of both programs, from both runs' traces, and the packets.
fn report(
    pairing: &'static Pairing,
    dir: &Path,
    stack: bool,
    runs: &[Run],
    notes: Vec<String>,
) -> Result<Report, TaskError> {
    let mut report = Report {
        pairing: pairing.name,
        tables: Vec::new(),
        diagrams: Vec::new(),
        notes,
        files: Vec::new(),
    };
    let [python, rust] = [true, false].map(|python| Side {
        python: python.then(PathBuf::new),
        dir: dir.to_path_buf(),
        pairing,
        stack,
    });
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
            &workspace::read(&program.peer())?,
            &groups,
        );
        let (rust_trace, rust_file) = rust.take_trace(name)?;
        let rust_calls = strace::parse(&rust_trace);
        let calls = if stack { &rust_calls[..] } else { &[] };
        let lines = rows::Lines::resolve(calls, &traced_program(name)?, name)?;
        rows::add_rust(&mut rows, &rust_calls, &lines, &source, &groups);
        rows.sort_by_key(|row| row.place);
        let title = format!(
            "{name}: tests/peers/{} (Python) ↔ {} (Rust)",
            program.listing, lines.main_rs
        );
        report.tables.push((title, rows));
        report.files.extend([python_file, rust_file]);
    }
    let client = pairing
        .client
        .map_or("http-get (xtask)", |client| client.name);
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
