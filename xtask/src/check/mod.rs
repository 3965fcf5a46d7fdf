//! `cargo xtask check <program> [--strict] -- <command…>`: the reader's own
//! program plays one of the six against ours, on the listing's fixed
//! address, step by step: the tutorial's steps come from the table of the
//! pairings (`steps.rs`), and further steps from real use; each step one
//! line, 中文 first, and under a failed one what came instead, how the
//! program ended and a hint (`hints.rs`).

mod hints;
mod steps;

use std::net::{TcpListener, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{run_to_end, Printed, Process, Programs};
use crate::pairings::{self, Pairing, Program, Role};
use crate::{out, workspace, Args, TaskError};

pub const HELP: &str = include_str!("../help/check.txt");

/// How long one step may take; the whole check stays within a minute.
const STEP: Duration = Duration::from_secs(5);
/// More than this on stdout while a step waits is a flood.
const FLOOD: usize = 1 << 20;

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let split = args.iter().position(|arg| arg == "--").unwrap_or(args.len());
    let (ours, command) = (&args[..split], args.get(split + 1..).unwrap_or_default());
    // Each usage error names the six programs and the command's place.
    let usage = |said: &str| {
        let names = pairings::program_names();
        TaskError::usage(format!(
            "{said}\n用法 / usage: cargo xtask check <program> [--strict] -- <command…>\n\
             program: {names}"
        ))
    };
    let parsed =
        Args::parse(ours, &["--strict", "--no-build"], &[]).map_err(|e| usage(e.message()))?;
    if parsed.help {
        out(HELP);
        return Ok(());
    }
    let program = match parsed.words[..] {
        [name] => pairings::program(name)
            .ok_or_else(|| usage(&format!("没有叫 {name:?} 的程序 / no program {name:?}")))?,
        _ => return Err(usage("要检查哪个程序？/ which program?")),
    };
    if command.is_empty() {
        return Err(usage(
            "`--` 后面写运行你的程序的命令 / after `--`, the command that runs your program",
        ));
    }
    if !parsed.has("--no-build") {
        workspace::build_programs(|_| {})?;
    }
    let programs = Programs { dir: workspace::programs_dir(false)?, runner: None };
    let mut check = Check::new(program, command, programs, parsed.has("--strict"))?;
    steps::run(&mut check);
    check.summary()
}

/// Whether a step is the tutorial's own use, or goes further.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Tutorial,
    Further,
}

/// Why a step failed: what was expected and what came, as bytes to show
/// side by side, or in words.
pub enum Failed {
    Differs { expected: Vec<u8>, got: Vec<u8> },
    Said(String),
}

impl From<String> for Failed {
    fn from(said: String) -> Self {
        Failed::Said(said)
    }
}

/// A check in progress: the reader's program and ours, and the verdicts.
pub struct Check {
    pub program: &'static Program,
    pub pairing: &'static Pairing,
    pub role: Role,
    /// The listing's address: `127.0.0.1:8080`, this machine's name with
    /// port 12345, `127.0.0.1:8888`.
    pub addr: String,
    command: Vec<String>,
    programs: Programs,
    strict: bool,
    pub theirs: Option<Process>,
    pub ours: Option<Process>,
    /// Where the next expectation starts looking in ours' [0] and theirs'
    /// [1] stdout, and how many lines each has been typed.
    pub cursor: [usize; 2],
    pub typed: [usize; 2],
    /// What their earlier runs wrote on stderr.
    pub stderr: String,
    /// Step lines held back to be shown later, while this is `Some`.
    pub held: Option<String>,
    /// How their program ended, once a step saw it end or stopped it.
    ended: Option<String>,
    passed: [Vec<bool>; 2],
    started: Instant,
}

impl Check {
    fn new(
        program: &'static Program,
        command: &[String],
        programs: Programs,
        strict: bool,
    ) -> Result<Self, TaskError> {
        let pairing = pairings::PAIRINGS
            .into_iter()
            .find(|pairing| pairing.server == program || pairing.client == Some(program))
            .ok_or_else(|| TaskError::failed("no pairing"))?;
        let role = if pairing.server == program { Role::Server } else { Role::Client };
        let addr = match pairing.name {
            "udp" => "127.0.0.1:8888".to_string(),
            "chat" => format!(
                "{}:12345",
                listing_support::socket::gethostname().unwrap_or("localhost".into())
            ),
            _ => "127.0.0.1:8080".to_string(),
        };
        let ours = pairing
            .program(role.other())
            .map_or("像浏览器那样的请求 / browser-like requests", |ours| ours.name);
        out(&format!(
            "检查 / checking {}: {}\n对方 / partner: {ours}（本项目的 Rust 程序 / ours, in Rust），{addr}\n",
            program.name,
            command.join(" "),
        ));
        let command = command.to_vec();
        let (theirs, ours, ended, started) = (None, None, None, Instant::now());
        let (passed, cursor, typed, stderr) =
            ([Vec::new(), Vec::new()], [0, 0], [0, 0], String::new());
        Ok(Check {
            program,
            pairing,
            role,
            addr,
            command,
            programs,
            strict,
            theirs,
            ours,
            cursor,
            typed,
            stderr,
            held: None,
            ended,
            passed,
            started,
        })
    }

    /// Runs one step and prints its line: name (中文 / English), ✓ or ✗,
    /// its time; under ✗, why, how their program ended, and a hint.
    pub fn step(
        &mut self,
        kind: Kind,
        name: &str,
        run: impl FnOnce(&mut Check) -> Result<(), Failed>,
    ) -> bool {
        let label = if kind == Kind::Tutorial { "教程" } else { "进阶" };
        let started = Instant::now();
        let failed = if self.started.elapsed() > Duration::from_secs(55) {
            Some(Failed::Said("检查已用完 60 秒 / the check's minute is over".into()))
        } else {
            run(self).err()
        };
        let time = started.elapsed().as_secs_f64();
        let mark = if failed.is_some() { "✗" } else { "✓" };
        let mut text = format!("  {mark} {label} {name} ({time:.1} s)\n");
        if let Some(failed) = &failed {
            text.push_str(&self.explain(name, failed));
        }
        self.say(&text);
        self.passed[kind as usize].push(failed.is_none());
        failed.is_none()
    }

    /// Shows `text` now, or later if lines are held back.
    pub fn say(&mut self, text: &str) {
        match self.held.as_mut() {
            Some(held) => held.push_str(text),
            None => out(text),
        }
    }

    /// Under a failed step: what came instead, how their program ended,
    /// the end of its stderr, and the hint for a known mistake.
    fn explain(&mut self, name: &str, failed: &Failed) -> String {
        let mut text = match failed {
            Failed::Differs { expected, got } => hints::differs(expected, got),
            Failed::Said(said) => format!("      {said}\n"),
        };
        // The last lines of this run's stderr; the hint reads all runs'.
        let (stdout, stderr) =
            self.theirs.as_ref().map_or_else(Default::default, |p| (p.stdout(), p.stderr_text()));
        if let Some(theirs) = self.theirs.as_mut() {
            let ended = theirs.exited().map(|status| format!("退出 / exited: {status}"));
            let ended =
                ended.or(self.ended.clone()).unwrap_or_else(|| "还在运行 / still running".into());
            text.push_str(&format!("      你的程序 / your program: {ended}\n"));
        }
        let tail: Vec<&str> = stderr.lines().filter(|line| !line.trim().is_empty()).collect();
        for line in &tail[tail.len().saturating_sub(3)..] {
            text.push_str(&format!("      stderr: {line}\n"));
        }
        let stderr = self.stderr.clone() + &stderr;
        if let Some(hint) = hints::hint(self.program, name, failed, &stdout, &stderr) {
            text.push_str(&format!("      提示 / hint: {hint}\n"));
        }
        text
    }

    /// Ends what runs, keeping what theirs wrote on stderr: a fresh start.
    pub fn restart(&mut self) {
        self.stop_theirs();
        if let Some(theirs) = self.theirs.take() {
            self.stderr.push_str(&theirs.stderr_text());
        }
        self.ours = None;
        (self.cursor, self.typed, self.ended) = ([0, 0], [0, 0], None);
    }

    /// Starts their program, after making sure the listing's port is free
    /// for a server of theirs.
    pub fn start_theirs(&mut self) -> Result<(), Failed> {
        if self.role == Role::Server {
            self.port_is_free()?;
        }
        let mut command = Command::new(&self.command[0]);
        command.args(&self.command[1..]);
        // Python: each print at once (a pipe would hold it back), in UTF-8
        // (not the Windows code page).
        command
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONIOENCODING", "utf-8")
            .env("PYTHONUTF8", "1");
        let theirs = Process::start(command).map_err(|error| {
            Failed::Said(format!("无法运行你的程序 / cannot run your program: {error}"))
        })?;
        self.theirs = Some(theirs);
        Ok(())
    }

    /// Starts `program` of ours on the listing's address; a server is
    /// waited for until ready.
    pub fn start_ours(&mut self, program: &Program) -> Result<(), Failed> {
        (self.ours, self.cursor[0], self.typed[0]) = (None, 0, 0);
        let mut command = self.programs.command(program.name);
        command.arg(&self.addr);
        let ours = Process::start(command)?;
        if self.role == Role::Client {
            ours.wait_ready()?;
        }
        self.ours = Some(ours);
        Ok(())
    }

    /// A server of theirs needs the listing's port: one held by another
    /// program (their server still running in another terminal, most
    /// often) is named, with what to do.
    fn port_is_free(&self) -> Result<(), Failed> {
        let bound = match self.pairing.name {
            "udp" => UdpSocket::bind(&self.addr).map(drop),
            _ => TcpListener::bind(&self.addr).map(drop),
        };
        bound.map_err(|error| {
            Failed::Said(format!(
                "{} 已被占用 / is taken: {error}\n      \
                 先停掉占着它的程序（多半是另一个终端里的服务器，按 Ctrl-C）/ stop what holds it first",
                self.addr
            ))
        })
    }

    /// Waits until `done` holds for what their program printed, within
    /// `timeout`; stops it if it ends first, floods its output or spins.
    pub fn wait_theirs(
        &mut self,
        timeout: Duration,
        done: impl Fn(&Printed) -> bool,
    ) -> Result<(), Failed> {
        let Some(theirs) = self.theirs.as_mut() else {
            return Err(Failed::Said("你的程序没有在运行 / not running".into()));
        };
        let deadline = Instant::now() + timeout;
        let mut cpu = (Instant::now(), crate::bench::linux::cpu_time(theirs.pid()));
        loop {
            let slice =
                deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(500));
            let _ =
                theirs.wait_for("", slice, |printed| done(printed) || printed.stdout.len() > FLOOD);
            if theirs.printed(&done) {
                return Ok(());
            }
            let stopped = if theirs.printed(|printed| printed.stdout.len() > FLOOD) {
                "不停地输出，已被 check 停止 / flooded its output: stopped by check"
            } else if spinning(&mut cpu, theirs.pid()) {
                "空转（一直占着 CPU），已被 check 停止 / spinning at full CPU: stopped by check"
            } else if theirs.exited().is_some() {
                return Err(Failed::Said("你的程序已经结束 / your program has ended".into()));
            } else if Instant::now() >= deadline {
                return Err(Failed::Said(format!(
                    "{} 秒内没有等到 / not within {} s",
                    timeout.as_secs(),
                    timeout.as_secs()
                )));
            } else {
                continue;
            };
            self.stop_theirs();
            self.ended = Some(stopped.to_string());
            return Err(Failed::Said(stopped.to_string()));
        }
    }

    /// Ends their program and all it started (`py -3` starts python).
    pub fn stop_theirs(&mut self) {
        if let Some(mut theirs) = self.theirs.take() {
            if theirs.exited().is_none() {
                end_tree(theirs.pid());
                self.ended.get_or_insert_with(|| "被 check 停止 / stopped by check".into());
            }
            theirs.kill();
            self.theirs = Some(theirs);
        }
    }

    /// The verdict: exit 0 when every counted step passed.
    fn summary(&mut self) -> Result<(), TaskError> {
        self.restart();
        let count = |kind: Kind| {
            let passed = &self.passed[kind as usize];
            (passed.iter().filter(|p| **p).count(), passed.len())
        };
        let ((tutorial, of), (further, of_further)) = (count(Kind::Tutorial), count(Kind::Further));
        let counted = if self.strict {
            "计入 / counted"
        } else {
            "不计入，除非 --strict / counted with --strict"
        };
        out(&format!(
            "结果 / result: 教程 / tutorial {tutorial}/{of}，进阶 / further {further}/{of_further}（{counted}），{:.1} s\n",
            self.started.elapsed().as_secs_f64()
        ));
        let failed = tutorial < of || (self.strict && further < of_further);
        if failed {
            Err(TaskError::failed("有步骤没有通过 / a step failed"))
        } else {
            Ok(())
        }
    }
}

/// Whether a process has used nearly all of a CPU since the last look
/// (at least half a second ago); where the OS does not say, never.
fn spinning(last: &mut (Instant, Option<Duration>), pid: u32) -> bool {
    let (now, cpu) = (Instant::now(), crate::bench::linux::cpu_time(pid));
    let wall = now - last.0;
    if wall < Duration::from_millis(500) {
        return false;
    }
    let used = cpu.zip(last.1).map(|(cpu, before)| cpu.saturating_sub(before));
    *last = (now, cpu);
    used.is_some_and(|used| used.as_secs_f64() > wall.as_secs_f64() * 0.8)
}

/// Kills `pid` and what it started: on Windows `taskkill /T`; on Linux its
/// children, found in `/proc`, first.
fn end_tree(pid: u32) {
    let command = if cfg!(windows) {
        let mut taskkill = Command::new("taskkill");
        taskkill.args(["/T", "/F", "/PID", &pid.to_string()]);
        taskkill
    } else {
        let mut kill = Command::new("kill");
        kill.arg("-KILL").args(children(pid)).arg(pid.to_string());
        kill
    };
    let _ = run_to_end(command, STEP);
}

/// The processes `pid` started, and theirs (Linux; elsewhere none).
fn children(pid: u32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let parent = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1));
        if parent == Some(&pid.to_string()) {
            let child = entry.file_name().to_string_lossy().into_owned();
            found.extend(child.parse().map(children).unwrap_or_default());
            found.push(child);
        }
    }
    found
}
