//! `cargo xtask trace <hello|tcp|chat|udp> [--packets] [--html]`: the
//! system calls underneath each listing line, Python beside Rust.
//!
//! The pairing runs twice with the demo's script (the request, the typed
//! lines): once with the tutorial's Python programs (the peers in
//! `tests/peers/`), once with the Rust programs (debug build, with line
//! information), every program under `strace -f` (`-k` for Rust: the
//! stack of each call). [`rows`] names the listing line behind each call;
//! [`render`] prints one table per program. `--packets` also captures the
//! pairing's port on loopback with tcpdump and draws the packets.

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
use crate::workspace::root as workspace_root;
use crate::{out, TaskError};

pub const HELP: &str = "\
cargo xtask trace <hello|tcp|chat|udp> [--packets] [--html] [--no-build]

跟踪每一行代码下面的系统调用：同一段脚本（与 demo 相同）先用教程的 Python 程序
（tests/peers/）运行，再用 Rust 程序（debug 构建）运行，每个程序都在 strace 下。
每个程序一张表：每一行做了哪些系统调用，Python 一栏，Rust 一栏。

The system calls underneath each listing line: the pairing runs with the
demo's script, once with the tutorial's Python programs (tests/peers/) and
once with the Rust programs (debug build), each under `strace -f` (`-k` for
Rust, whose calls are traced back through their stack to a line of main.rs
and its `// py:` group). One table per program: each listing line that made
system calls, Python's calls and Rust's calls for it.

  --packets   also capture the pairing's port on loopback (tcpdump -S) and
              draw the packets as a sequence diagram; needs tcpdump and root
              or CAP_NET_RAW, and says so where they are missing
  --html      also write the tables and diagrams as a page,
              target/compare/trace-<pairing>.html, and print its path
  --no-build  use the programs already built beside this xtask binary

Needs strace (Debian: apt-get install strace) and addr2line (binutils), and
a system that allows ptrace (in a container: --cap-add SYS_PTRACE).
";

/// The start of the message when tracing is not possible here; the tests
/// skip on it.
pub const CANNOT_TRACE: &str = "无法跟踪 / cannot trace";

/// Marks each line of the Python program with a system call of its own:
/// a stat of `/@py-line/<n>` (which fails), then `/@py-line/exit`.
const LINE_TRACER: &str = r#"
import os, runpy, sys, threading
target = os.path.abspath(sys.argv[1])
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(target)
sys.stdout.reconfigure(line_buffering=True)
def mark(line):
    try:
        os.stat('/@py-line/' + line)
    except OSError:
        pass
def lines(frame, event, arg):
    if event == 'line':
        mark(str(frame.f_lineno))
    return lines
def calls(frame, event, arg):
    return lines if frame.f_code.co_filename == target else None
threading.settrace(calls)
sys.settrace(calls)
try:
    runpy.run_path(target, run_name='__main__')
finally:
    sys.settrace(None)
    mark('exit')
"#;

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let mut pairing = None;
    let mut options = Options::default();
    let mut build = true;
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => {
                out(HELP);
                return Ok(());
            }
            "--packets" => options.packets = true,
            "--html" => options.html = true,
            "--no-build" => build = false,
            name if pairings::pairing(name).is_some() => {
                if pairing.replace(pairings::pairing(name)).flatten().is_some() {
                    return Err(TaskError::usage("trace takes one pairing"));
                }
            }
            other => {
                return Err(TaskError::usage(format!(
                    "unknown pairing or option {other:?} (hello, tcp, chat, udp; --packets, --html, --no-build)"
                )))
            }
        }
    }
    let pairing = pairing.flatten().ok_or_else(|| {
        TaskError::usage("trace 需要一对程序 / trace needs a pairing: hello, tcp, chat, udp")
    })?;
    let stack = check_strace()?;
    if build {
        build_with_frame_pointers()?;
    }
    let python = python_interpreter()?;
    let dir = workspace_root().join("target/trace");
    std::fs::create_dir_all(&dir)
        .map_err(|error| TaskError::failed(format!("cannot create {}: {error}", dir.display())))?;
    let mut notes = Vec::new();
    if !stack {
        notes.push("这个 strace 不支持 -k，Rust 的调用无法归属到代码行 / this strace has no -k: Rust's calls cannot be attributed to lines".to_string());
    }
    let mut capture = options.packets.then_some(CaptureState::Wanted);
    let mut runs = Vec::new();
    for lang in [Lang::Python, Lang::Rust] {
        let side = Side {
            lang,
            python: python.clone(),
            dir: dir.clone(),
            pairing,
            stack: stack && lang == Lang::Rust,
        };
        runs.push(run_pairing(&side, &mut capture)?);
    }
    if let Some(CaptureState::Unavailable(reason)) = &capture {
        notes.push(format!("没有抓包 / no packet capture: {reason}"));
    }
    let report = build_report(pairing, &dir, stack, &runs, notes)?;
    out(&render::text(&report, render::columns()));
    if options.html {
        let page_dir = workspace_root().join("target/compare");
        let path = page_dir.join(format!("trace-{}.html", pairing.name));
        std::fs::create_dir_all(&page_dir)
            .and_then(|()| std::fs::write(&path, render::html(&report)))
            .map_err(|error| {
                TaskError::failed(format!("cannot write {}: {error}", path.display()))
            })?;
        out(&format!("{}\n", path.display()));
    }
    Ok(())
}

#[derive(Default)]
struct Options {
    packets: bool,
    html: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lang {
    Python,
    Rust,
}

impl Lang {
    fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Rust => "rust",
        }
    }
}

enum CaptureState {
    Wanted,
    Unavailable(String),
}

/// Where the traced build goes: beside the usual one, so neither
/// invalidates the other.
fn build_dir() -> PathBuf {
    workspace_root().join("target/trace-build")
}

/// A Rust program of the traced build, which must exist.
fn traced_program(name: &str) -> Result<PathBuf, TaskError> {
    crate::workspace::built_program(&build_dir().join("debug"), name)
}

/// Builds the programs in debug with frame pointers: strace's unwinder
/// (libunwind) loses the frames of code without them and jumps to
/// `std::rt::lang_start`, so a `write` made inside `print` would not
/// reach the line of `main.rs` that printed.
fn build_with_frame_pointers() -> Result<(), TaskError> {
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    flags.push_str(" -C force-frame-pointers=yes");
    let names = pairings::PROGRAMS.map(|program| program.name);
    crate::workspace::cargo_build(|command| {
        command
            .arg("--bins")
            .args(crate::workspace::packages(names))
            .arg("--target-dir")
            .arg(build_dir())
            .env("RUSTFLAGS", flags.trim());
    })
}

/// The Python interpreter itself, found through `sys.executable`.
fn python_interpreter() -> Result<PathBuf, TaskError> {
    let mut command = Command::new("python3");
    command.args(["-c", "import sys; print(sys.executable)"]);
    let found = harness::run_to_end(command, HANG_GUARD)
        .map_err(|error| TaskError::failed(format!("python3 is needed: {error}")))?;
    let path = found.stdout.trim();
    if found.status.success() && !path.is_empty() {
        Ok(PathBuf::from(path))
    } else {
        Err(TaskError::failed(format!(
            "python3 did not say where it is: {}",
            found.stderr
        )))
    }
}

/// Whether strace can trace here, and whether it has `-k`.
fn check_strace() -> Result<bool, TaskError> {
    // The program traced for the check: this one, showing its help.
    let own = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("true"));
    let mut command = Command::new("strace");
    command
        .args(["-f", "-o", "/dev/null"])
        .arg(&own)
        .arg("--help");
    let plain = harness::run_to_end(command, HANG_GUARD).map_err(|_| {
        TaskError::failed(format!(
            "{CANNOT_TRACE}: 没有 strace / strace is not installed (Debian: apt-get install strace)"
        ))
    })?;
    if !plain.status.success() {
        return Err(TaskError::failed(format!(
            "{CANNOT_TRACE}: strace 不能运行 / strace cannot run here ({}); in a container, allow ptrace (docker run --cap-add SYS_PTRACE)",
            plain.stderr.trim()
        )));
    }
    let mut command = Command::new("strace");
    command
        .args(["-f", "-k", "-o", "/dev/null"])
        .arg(&own)
        .arg("--help");
    let with_stack = harness::run_to_end(command, HANG_GUARD)?;
    let mut command = Command::new("addr2line");
    command.arg("--version");
    let addr2line =
        harness::run_to_end(command, HANG_GUARD).is_ok_and(|done| done.status.success());
    if with_stack.status.success() && !addr2line {
        return Err(TaskError::failed(format!(
            "{CANNOT_TRACE}: 没有 addr2line / addr2line is not installed (Debian: apt-get install binutils)"
        )));
    }
    Ok(with_stack.status.success())
}

/// One run of the pairing: Python's or Rust's.
struct Side {
    lang: Lang,
    /// The interpreter itself (not a pyenv shim, whose own start-up
    /// would fill the trace).
    python: PathBuf,
    dir: PathBuf,
    pairing: &'static Pairing,
    stack: bool,
}

/// A program under strace. Dropping it ends the program, then strace.
struct Traced {
    process: Process,
    prompt: Option<&'static str>,
    /// The lines typed so far.
    typed: usize,
}

impl Side {
    fn trace_file(&self, program: &str) -> PathBuf {
        running_file(&self.dir, self.pairing.name, self.lang, program)
    }

    /// Starts the program playing `role`, with `arg`, under strace.
    fn start(&self, role: Role, arg: &str) -> Result<Traced, TaskError> {
        let program = self
            .pairing
            .program(role)
            .ok_or_else(|| TaskError::failed("no such side"))?;
        let mut inner = match self.lang {
            Lang::Rust => Command::new(traced_program(program.name)?),
            Lang::Python => {
                let mut command = Command::new(&self.python);
                command
                    .args(["-c", LINE_TRACER])
                    .arg(program.peer())
                    .env_remove("PYTHONUNBUFFERED");
                command
            }
        };
        inner.arg(arg);
        let file = self.trace_file(program.name);
        let mut prefix: Vec<String> = ["strace", "-f", "-q", "-yy", "-s", "64"]
            .map(String::from)
            .to_vec();
        if self.stack {
            prefix.push("-k".into());
        }
        prefix.push("-o".into());
        prefix.push(file.display().to_string());
        let process = Process::start(wrapped(&prefix, &inner))?;
        Ok(Traced {
            process,
            prompt: program.prompt,
            typed: 0,
        })
    }
}

/// Where strace writes while the trace runs: named by this process, so
/// that traces run at the same time (the tests, twice) do not mix.
fn running_file(dir: &Path, pairing: &str, lang: Lang, program: &str) -> PathBuf {
    dir.join(format!(
        "{pairing}-{}-{program}.{}.strace",
        lang.name(),
        std::process::id()
    ))
}

/// Where a finished trace is kept: the last run's, whole.
fn kept_file(dir: &Path, pairing: &str, lang: Lang, program: &str) -> PathBuf {
    dir.join(format!("{pairing}-{}-{program}.strace", lang.name()))
}

/// Reads a run's trace and keeps it under its lasting name.
fn take_trace(
    dir: &Path,
    pairing: &str,
    lang: Lang,
    program: &str,
) -> Result<(String, PathBuf), TaskError> {
    let running = running_file(dir, pairing, lang, program);
    let text = read(&running)?;
    let kept = kept_file(dir, pairing, lang, program);
    // A rename replaces the file whole; should it fail, the running name stays.
    let kept = match std::fs::rename(&running, &kept) {
        Ok(()) => kept,
        Err(_) => running,
    };
    Ok((text, kept))
}

impl Traced {
    /// The programs strace started (its children).
    fn tracees(&self) -> Vec<u32> {
        let pid = self.process.pid();
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .collect()
    }

    /// Ends a program that would run forever, as the listing's does.
    fn stop(&mut self) -> Result<(), TaskError> {
        for pid in self.tracees() {
            harness::terminate(pid);
        }
        self.expect_exit()
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

    fn expect_exit(&mut self) -> Result<(), TaskError> {
        self.process.wait_exit(HANG_GUARD).map(drop)?;
        Ok(())
    }
}

impl Drop for Traced {
    fn drop(&mut self) {
        // Killing strace alone would leave its program running untraced.
        if self.process.exited().is_none() {
            for pid in self.tracees() {
                harness::terminate(pid);
            }
        }
    }
}

/// What one run left: its packets, if captured.
pub struct Run {
    pub lang: Lang,
    pub port: u16,
    pub packets: Option<Vec<packets::Packet>>,
}

/// Runs the first run of the pairing's session (the table's, the demo's
/// first) on one side.
fn run_pairing(side: &Side, capture: &mut Option<CaptureState>) -> Result<Run, TaskError> {
    let mut sides: [Option<Traced>; 2] = [None, None];
    let mut addr: Option<SocketAddr> = None;
    let mut capturing = None;
    let mut get = None;
    let missing = || TaskError::failed("trace: a step before its program started");
    for &step in side.pairing.runs[0] {
        let (role, program) = match step {
            Step::Start(role) => {
                let arg = addr.map_or("127.0.0.1:0".to_string(), |addr| addr.to_string());
                let traced = side.start(role, &arg)?;
                if role == Role::Server {
                    let ready = traced.process.wait_ready()?;
                    addr = Some(ready);
                    if let Some(CaptureState::Wanted) = capture {
                        let udp = side.pairing.name == "udp";
                        match packets::Capture::start(ready.port(), udp) {
                            Ok(started) => capturing = Some(started),
                            Err(reason) => *capture = Some(CaptureState::Unavailable(reason)),
                        }
                    }
                }
                sides[role as usize] = Some(traced);
                continue;
            }
            Step::Get => {
                get = Some(http_get(addr.ok_or_else(missing)?)?);
                continue;
            }
            Step::Reply => {
                let mut reply = Vec::new();
                if let Some(mut stream) = get.take() {
                    let _ = stream.read_to_end(&mut reply);
                }
                continue;
            }
            Step::Prints(role, _)
            | Step::Types(role, _)
            | Step::Says(role, _)
            | Step::Exits(role, _)
            | Step::ExitsUnlikeTheListing(role, _)
            | Step::Stopped(role) => (role, sides[role as usize].as_mut().ok_or_else(missing)?),
        };
        match step {
            Step::Prints(_, pieces) => program.expect(&pieces.concat())?,
            Step::Types(_, line) => program.type_line(line)?,
            Step::Says(_, line) => {
                program.type_line(line)?;
                let other = sides[1 - role as usize].as_mut().ok_or_else(missing)?;
                other.expect(&format!("{RECEIVED}{line}\n"))?;
            }
            // Ours ends on `0`; the listing's chat-server never does.
            Step::ExitsUnlikeTheListing(..) if side.lang == Lang::Python => program.stop()?,
            Step::Exits(..) | Step::ExitsUnlikeTheListing(..) => program.expect_exit()?,
            _ => program.stop()?,
        }
    }
    Ok(Run {
        lang: side.lang,
        port: addr.map_or(0, |addr| addr.port()),
        packets: capturing.map(packets::Capture::finish),
    })
}

/// Sends the GET of the table's hello session, from xtask itself.
fn http_get(addr: SocketAddr) -> Result<TcpStream, TaskError> {
    let request = pairings::get_request(&addr.to_string(), "xtask-trace");
    let mut stream = TcpStream::connect(addr)
        .map_err(|error| TaskError::failed(format!("cannot connect to {addr}: {error}")))?;
    stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.set_read_timeout(Some(HANG_GUARD)))
        .map_err(|error| TaskError::failed(format!("cannot send to {addr}: {error}")))?;
    Ok(stream)
}

/// Everything the page and the terminal show.
pub struct Report {
    pub pairing: &'static str,
    pub tables: Vec<(String, rows::Table)>,
    pub diagrams: Vec<(String, String)>,
    pub notes: Vec<String>,
    pub files: Vec<PathBuf>,
}

fn read(path: &Path) -> Result<String, TaskError> {
    std::fs::read_to_string(path)
        .map_err(|error| TaskError::failed(format!("cannot read {}: {error}", path.display())))
}

fn build_report(
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
    for program in [Some(pairing.server), pairing.client].into_iter().flatten() {
        let name = program.name;
        let source = read(&workspace_root().join(format!("crates/{name}/src/main.rs")))?;
        let groups = crate::compare::groups::parse(&source);
        let peer = read(&program.peer())?;
        let mut table = rows::Table::new();
        let (python_text, python_file) = take_trace(dir, pairing.name, Lang::Python, name)?;
        let (rust_text, rust_file) = take_trace(dir, pairing.name, Lang::Rust, name)?;
        let python_calls = strace::parse(&python_text);
        rows::add_python(&mut table, &python_calls, &peer, &groups);
        let rust_calls = strace::parse(&rust_text);
        let binary = traced_program(name)?;
        let lines = if stack {
            rows::Lines::resolve(&rust_calls, &binary, name)?
        } else {
            rows::Lines::resolve(&[], &binary, name)?
        };
        rows::add_rust(&mut table, &rust_calls, &lines, &source, &groups);
        table.sort();
        let title = format!(
            "{name}: tests/peers/{} (Python) ↔ {} (Rust)",
            program.listing,
            lines.main_rs()
        );
        report.tables.push((title, table));
        report.files.push(python_file);
        report.files.push(rust_file);
    }
    let client = pairing
        .client
        .map_or("http-get (xtask)", |client| client.name);
    for run in runs {
        if let Some(packets) = &run.packets {
            let side = match run.lang {
                Lang::Python => "Python",
                Lang::Rust => "Rust",
            };
            report.diagrams.push((
                format!("{side}: tcpdump -i lo -n -S, port {}", run.port),
                packets::diagram(packets, client, pairing.server.name, run.port),
            ));
        }
    }
    Ok(report)
}
