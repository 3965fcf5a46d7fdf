//! `cargo xtask check`: the reader's program plays its part against ours, a line a step.

mod hints;
mod steps;

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{run_to_end, Printed, Process, Programs};
use crate::pairings::{self, Pairing, Program, Role};
use crate::{out, workspace, Args, TaskError};

pub const HELP: &str = include_str!("../help/check.txt");

/// How long one step may take; the whole check stays within a minute.
const STEP: Duration = Duration::from_secs(5);
/// How long a program that has said nothing yet may take to start (Python on a busy machine).
const START: Duration = Duration::from_secs(15);
/// More than this on stdout while a step waits is a flood.
const FLOOD: usize = 1 << 20;
/// How often a wait looks whether the program spins.
const LOOK: Duration = Duration::from_millis(500);
/// The two sides in [`Check::sides`].
const OURS: usize = 0;
const THEIRS: usize = 1;

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let split = args.iter().position(|arg| arg == "--").unwrap_or(args.len());
    let (ours, command) = (&args[..split], args.get(split + 1..).unwrap_or_default());
    // Each usage error names the six programs and where the command goes.
    let usage = |said: &str| {
        let names = pairings::program_names();
        let form = "cargo xtask check <program> [--strict] -- <command…>";
        TaskError::usage(format!("{said}\n用法 / usage: {form}\nprogram: {names}"))
    };
    let parsed = Args::parse(ours, &["--strict", "--no-build"], &[]);
    let parsed = parsed.map_err(|error| usage(error.message()))?;
    if parsed.help {
        out(HELP);
        return Ok(());
    }
    let program = match &parsed.words[..] {
        [name] => pairings::program(name).ok_or_else(|| usage(&did_you_mean(name)))?,
        [] => return Err(usage("要检查哪个程序？/ which program?")),
        [name, rest @ ..] => {
            let name = if let [program] = like(name)[..] { program } else { "<program>" };
            let form = format!("cargo xtask check {name} -- {}", rest.join(" "));
            let said = format!("命令前面要写 `--` / put `--` before the command:\n  {form}");
            return Err(usage(&said));
        }
    };
    if command.is_empty() {
        return Err(usage("`--` 后面写运行你的程序的命令 / after `--`, the command to run"));
    }
    if !parsed.has("--no-build") {
        workspace::build_programs(|_| {})?;
    }
    // hello-server's own pairing comes before tcp's, where it serves too.
    let plays = |pairing: &&Pairing| pairing.server == program || pairing.client == Some(program);
    let pairing = pairings::PAIRINGS.into_iter().find(plays).ok_or_else(|| usage("?"))?;
    let role = if pairing.server == program { Role::Server } else { Role::Client };
    let host = listing_support::socket::gethostname().unwrap_or("localhost".into());
    let addr = match pairing.name {
        "udp" => "127.0.0.1:8888".to_string(),
        "chat" => format!("{host}:12345"),
        _ => "127.0.0.1:8080".to_string(),
    };
    let partner = pairing.program(role.other()).map(|p| format!("本项目的 {0} / our {0}", p.name));
    let partner = partner.unwrap_or("check 像浏览器那样发出请求 / browser-like requests".into());
    let shown = command.join(" ");
    out(&format!("检查 / checking {}: {shown}\n对方 / partner: {partner}，{addr}\n", program.name));
    let mut check = Check {
        program,
        pairing,
        role,
        addr,
        command: command.to_vec(),
        programs: Programs { dir: workspace::programs_dir(false)?, runner: None },
        sides: Default::default(),
        silent_client: None,
        stderr: String::new(),
        held_back: None,
        ended: None,
        halted: None,
        passed: Default::default(),
        hints_shown: Vec::new(),
        started: Instant::now(),
    };
    steps::run(&mut check);
    check.restart();
    if let Some(why) = check.halted {
        out(&format!("检查停止了 / the check stopped: {why}\n"));
        return Err(TaskError::failed("检查没有做完 / the check did not finish"));
    }
    let strict = parsed.has("--strict");
    let [(tutorial, of), (further, of_further)] = check.passed;
    let counted =
        if strict { "计入 / counted" } else { "加 --strict 才计入 / counted with --strict" };
    let time = check.started.elapsed().as_secs_f64();
    out(&format!(
        "结果 / result: 教程 / tutorial {tutorial}/{of}，{time:.1} s\n\
         \x20             进阶 / further {further}/{of_further}（{counted}）\n"
    ));
    let passed = tutorial == of && (!strict || further == of_further);
    passed.then_some(()).ok_or_else(|| TaskError::failed("有步骤没有通过 / a step failed"))
}

/// Why a step failed: expected and got, to show one above the other; or in words.
pub enum Failed {
    Differs { expected: Vec<u8>, got: Vec<u8> },
    Said(String),
}

impl From<String> for Failed {
    fn from(said: String) -> Self {
        Failed::Said(said)
    }
}

/// A side's program, where expectations look on in its output, and how many lines it was typed.
#[derive(Default)]
pub struct Side {
    pub process: Option<Process>,
    pub cursor: usize,
    pub typed: usize,
    /// The soonest a wait on it ends while it has said nothing: its start + [`START`].
    pub young: Option<Instant>,
    /// What it shows before each line it reads.
    pub prompt: &'static str,
}

/// A check in progress: the reader's program and ours, and the verdicts.
pub struct Check {
    pub program: &'static Program,
    pub pairing: &'static Pairing,
    /// The reader's part, and the listing's address.
    pub role: Role,
    pub addr: String,
    command: Vec<String>,
    programs: Programs,
    pub sides: [Side; 2],
    pub silent_client: Option<TcpStream>,
    /// What their earlier runs wrote on stderr.
    pub stderr: String,
    pub held_back: Option<String>,
    /// How their program ended, where check saw it end or stopped it.
    ended: Option<String>,
    /// Why the check cannot go on, said at the end: the steps after are not run.
    pub halted: Option<String>,
    /// The tutorial's steps and the further ones: how many passed, of how many.
    passed: [(usize, usize); 2],
    /// The hints shown, and in which part (further or not).
    hints_shown: Vec<(bool, String)>,
    started: Instant,
}

impl Check {
    /// Runs a step and shows its line; under ✗, why, how theirs ended, its stderr, a hint.
    pub fn step(
        &mut self,
        further: bool,
        name: &str,
        run: impl FnOnce(&mut Check) -> Result<(), Failed>,
    ) -> bool {
        if self.halted.is_some() {
            return false;
        }
        let (started, over) = (Instant::now(), self.started.elapsed() > Duration::from_secs(55));
        let minute = || Failed::Said("检查已用完 60 秒 / the check's minute is over".into());
        let failed = if over { Some(minute()) } else { run(self).err() };
        let mark = if failed.is_some() { "✗" } else { "✓" };
        let kind = if further { "进阶" } else { "教程" };
        let mut text =
            format!("  {mark} {kind} {name} ({:.1} s)\n", started.elapsed().as_secs_f64());
        if let Some(failed) = &failed {
            text += &match failed {
                Failed::Differs { expected, got } => hints::differs(expected, got),
                Failed::Said(said) => format!("      {said}\n"),
            };
            let (mut stdout, mut stderr) = Default::default();
            if let Some(theirs) = self.sides[THEIRS].process.as_mut() {
                (stdout, stderr) = (theirs.stdout(), theirs.stderr_text());
                let exited = theirs.exited().map(|status| format!("退出 / exited: {status}"));
                let ended =
                    exited.or(self.ended.clone()).unwrap_or("还在运行 / still running".into());
                text += &format!("      你的程序 / your program: {ended}\n");
            }
            // The last lines of this run's stderr; the hint reads every run's.
            let tail: Vec<&str> = stderr.lines().filter(|line| !line.trim().is_empty()).collect();
            for line in &tail[tail.len().saturating_sub(3)..] {
                text += &format!("      stderr: {}\n", crate::text::expand_tabs(line));
            }
            // Python could not find the file: nothing else will go better.
            if stderr.contains("can't open file") {
                let file = self.program.name.replace('-', "_");
                let folder = if cfg!(windows) { r"D:\python\" } else { "~/python/" };
                self.halted = Some(format!(
                    "找不到你的程序文件：请写它的完整路径，例如 {folder}{file}.py\n  \
                     (the file is not found: give its full path)"
                ));
            }
            let stderr = self.stderr.clone() + &stderr;
            let hint = hints::hint(self.program, name, failed, &stdout, &stderr);
            if let Some(hint) = hint.filter(|_| self.halted.is_none()) {
                // Said once in each part (tutorial, further), then pointed to.
                let again = self.hints_shown.contains(&(further, hint.clone()));
                text += &hints::shown(if again { "同上 / as above" } else { &hint });
                self.hints_shown.push((further, hint));
            }
        }
        self.say(&text);
        let passed = &mut self.passed[usize::from(further)];
        *passed = (passed.0 + usize::from(failed.is_none()), passed.1 + 1);
        failed.is_none()
    }

    /// Shows `text` now, or later if lines are held back.
    pub fn say(&mut self, text: &str) {
        self.held_back.as_mut().map_or_else(|| out(text), |held| held.push_str(text));
    }

    /// Ends what runs, keeping what theirs wrote on stderr: a fresh start.
    pub fn restart(&mut self) {
        self.stop_theirs();
        let theirs = self.sides[THEIRS].process.take();
        self.stderr.push_str(&theirs.map(|theirs| theirs.stderr_text()).unwrap_or_default());
        (self.sides, self.ended, self.silent_client) = (Default::default(), None, None);
    }

    /// Starts their program, or ours on the listing's address; the server's port must be free.
    pub fn start(&mut self, side: usize) -> Result<(), Failed> {
        if (side == THEIRS) == (self.role == Role::Server) {
            let udp = self.pairing.udp();
            let bound = match udp {
                true => UdpSocket::bind(&self.addr).map(drop),
                false => TcpListener::bind(&self.addr).map(drop),
            };
            if let Err(error) = bound {
                // A program listens there, or a stopped server's connections hold it (TIME_WAIT).
                let why = match udp || TcpStream::connect(&self.addr).is_ok() {
                    true => {
                        "有程序正在用它：多半是另一个终端里的服务器，先按 Ctrl-C 停掉它\n  \
                         (a program uses it, most likely a server in another terminal: stop it)"
                    }
                    false => {
                        "刚停止的服务器（或上一次检查）的连接还占着它，约一分钟后释放（TIME_WAIT）。\n  \
                         等一分钟再检查；或者在 bind 之前加上这一行：\n    \
                         s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n  \
                         (held for a minute by a stopped server's connections: wait, or reuse it)"
                    }
                };
                let taken = format!("{} 已被占用 / is taken", self.addr);
                self.halted = Some(format!("{taken} ({error})\n  {why}"));
                return Err(taken.into());
            }
        }
        let ours = self.pairing.program(self.role.other()).unwrap_or(self.program);
        let (mut command, program) = match side {
            THEIRS => (Command::new(&self.command[0]), self.program),
            _ => (self.programs.command(ours.name), ours),
        };
        // Python: each print at once (a pipe would hold it back), in UTF-8 (not the code page).
        let python =
            [("PYTHONUNBUFFERED", "1"), ("PYTHONIOENCODING", "utf-8"), ("PYTHONUTF8", "1")];
        match side {
            THEIRS => command.args(&self.command[1..]).envs(python),
            _ => command.arg(&self.addr),
        };
        let process = match Process::start(command) {
            Ok(process) => process,
            Err(error) if side == THEIRS => {
                // The harness's message ends with the OS's reason.
                let (shown, why) =
                    (&self.command[0], error.rsplit(": ").next().unwrap_or_default());
                let said = format!("无法运行 {shown}：找不到这个程序？/ cannot run {shown}: {why}");
                self.halted = Some(said);
                return Err(format!("无法运行 / cannot run {shown}").into());
            }
            Err(error) => return Err(error.into()),
        };
        if side == OURS && self.role == Role::Client {
            process.wait_ready()?;
        }
        let (young, prompt) = (Some(Instant::now() + START), program.prompt.unwrap_or_default());
        self.sides[side] = Side { process: Some(process), young, prompt, ..Side::default() };
        Ok(())
    }

    /// Whether `done` held before the side ended or a step's time passed; stops floods and spins.
    pub fn wait(&mut self, side: usize, done: impl Fn(&Printed) -> bool) -> Result<bool, Failed> {
        let young = self.sides[side].young;
        let Some(process) = self.sides[side].process.as_mut() else { return Ok(false) };
        let silent = process.printed(|p| p.stdout.is_empty() && p.stderr.is_empty());
        let deadline =
            young.filter(|_| silent).into_iter().fold(Instant::now() + STEP, Instant::max);
        let mut cpu = (Instant::now(), crate::linux::cpu_time(process.pid()));
        let flood = |printed: &Printed| printed.stdout.len() > FLOOD;
        let stopped = loop {
            let slice = deadline.saturating_duration_since(Instant::now()).min(LOOK);
            let _ = process.wait_for("", slice, |printed| done(printed) || flood(printed));
            if process.printed(&done) {
                return Ok(true);
            } else if process.printed(flood) {
                break "不停地输出，已被 check 停止 / flooded its output: stopped by check";
            } else if spinning(&mut cpu, process.pid()) {
                break "空转（一直占着 CPU），已被 check 停止 / spinning: stopped by check";
            } else if process.exited().is_some() || Instant::now() >= deadline {
                return Ok(false);
            }
        };
        self.stop_theirs();
        self.ended = Some(stopped.to_string());
        Err(stopped.to_string().into())
    }

    /// Ends their program, on Windows with all it started (`py -3` starts python.exe).
    pub fn stop_theirs(&mut self) {
        let Some(theirs) = self.sides[THEIRS].process.as_mut() else { return };
        if theirs.exited().is_none() {
            if cfg!(windows) {
                let mut taskkill = Command::new("taskkill");
                taskkill.args(["/T", "/F", "/PID", &theirs.pid().to_string()]);
                let _ = run_to_end(taskkill, STEP);
            }
            self.ended.get_or_insert_with(|| "被 check 停止 / stopped by check".into());
        }
        theirs.kill();
    }
}

/// The usage error for a name that is none of the six.
fn did_you_mean(name: &str) -> String {
    match &like(name)[..] {
        [] => format!("没有叫 {name:?} 的程序 / no program {name:?}"),
        like => format!("没有这个程序，是说 {0} 吗？/ did you mean {0}?", like.join(" / ")),
    }
}

/// The programs a name most likely means: `tcp_client.py` and `tcp` mean tcp-client.
fn like(name: &str) -> Vec<&'static str> {
    let name = name.trim_end_matches(".py").replace('_', "-").to_lowercase();
    let programs = pairings::PROGRAMS.iter().map(|program| program.name);
    programs.filter(|program| !name.is_empty() && program.starts_with(&name)).collect()
}

/// Whether a process used nearly all of a CPU since the last look, [`LOOK`] ago or more.
fn spinning(last: &mut (Instant, Option<Duration>), pid: u32) -> bool {
    let (now, cpu) = (Instant::now(), crate::linux::cpu_time(pid));
    let wall = now - last.0;
    let used = cpu.zip(last.1).map(|(cpu, before)| cpu.saturating_sub(before));
    if wall >= LOOK {
        *last = (now, cpu);
    }
    wall >= LOOK && used.is_some_and(|used| used > wall.mul_f64(0.8))
}
