//! `cargo xtask demo <hello|tcp|chat|udp|all>`: builds the programs, plays
//! a pairing's scripted session from the table (`pairings.rs`) and prints
//! one transcript, every line labelled by the program that printed it.
//!
//! Each step waits for what the script expects (within the harness's hang
//! guard), never for a fixed time, and then shows what that program has
//! printed: the transcript keeps the script's order, where two programs'
//! pipes would race. What a program says on stderr (its readiness line
//! apart) is shown once it has ended. Every program is killed and reaped
//! when the demo ends, however it ends; they stay in the terminal's
//! process group, so Ctrl-C reaches them too.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::harness::{find, occurrences, Attached, Printed, Process, Programs, HANG_GUARD};
use crate::paint::Paint;
use crate::pairings::{self, Pairing, Role, Step, CHAT, CHAT_SERVER_CONNECTED, RECEIVED};
use crate::{out, workspace, Args, TaskError};

pub const HELP: &str = include_str!("help/demo.txt");

/// The keys that end typed input on this OS (中文 / English), as the
/// programs' help names them.
const END_OF_INPUT: [&str; 2] = if cfg!(windows) {
    ["Ctrl-Z 再按回车", "Ctrl-Z, then Enter,"]
} else {
    ["Ctrl-D", "Ctrl-D"]
};

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let flags = ["--live", "--no-build"];
    let args = Args::parse(args, &flags, &["--programs", "--runner"])?;
    if args.help {
        out(HELP);
        return Ok(());
    }
    let pairings = match args.words[..] {
        ["all"] => pairings::PAIRINGS.to_vec(),
        [name] => match pairings::pairing(name) {
            Some(pairing) => vec![pairing],
            None => {
                return Err(TaskError::usage(format!(
                    "未知的一对程序 / unknown pairing {name:?}"
                )))
            }
        },
        _ => {
            return Err(TaskError::usage(
                "demo 需要一对程序 / demo needs a pairing: hello, tcp, chat, udp, all",
            ))
        }
    };
    let live = args.has("--live");
    if live && args.words != ["chat"] {
        return Err(TaskError::usage(
            "--live 只用于 chat / --live goes with the chat pairing only",
        ));
    }
    let runner = args.value("--runner").map(PathBuf::from);
    let programs = match args.value("--programs") {
        Some(dir) => Programs {
            dir: dir.into(),
            runner,
        },
        None if runner.is_some() => {
            return Err(TaskError::usage(
                "--runner 需要 --programs DIR / --runner goes with --programs DIR",
            ))
        }
        None => {
            if !args.has("--no-build") {
                let names = pairings::PROGRAMS.map(|program| program.name);
                workspace::cargo_build(|cargo| {
                    cargo.arg("--bins").args(workspace::packages(names));
                })?;
            }
            let dir = workspace::programs_dir(false)?;
            Programs { dir, runner }
        }
    };
    for program in pairings::PROGRAMS {
        let path = programs.path(program.name);
        if !path.is_file() {
            let why = format!("{} is not built (run without --no-build)", path.display());
            return Err(TaskError::failed(why));
        }
    }
    let style = Paint::detect();
    if live {
        return chat_live(&programs, style);
    }
    let started = Instant::now();
    for pairing in &pairings {
        let client = pairing
            .client
            .map_or("一个 HTTP GET 请求 / an HTTP GET", |c| c.name);
        let title = format!(
            "== {}: {} ↔ {client} (教程 tutorial: {}) ==",
            pairing.name, pairing.server.name, pairing.section
        );
        Session::new(style, &programs, pairing, &title).play()?;
        if pairings.len() > 1 {
            out("\n");
        }
    }
    if pairings.len() > 1 {
        out(&style.header(&format!(
            "== 四组程序都正常 / all four pairings behaved, in {:.3} s ==",
            started.elapsed().as_secs_f64()
        )));
    }
    Ok(())
}

/// One running program of the demo.
struct Shown {
    name: &'static str,
    colour: &'static str,
    process: Process,
    prompt: Option<&'static str>,
    /// How much of its stdout the transcript shows, and where the next
    /// expectation starts looking.
    shown: usize,
    cursor: usize,
    /// The lines typed so far.
    typed: usize,
}

/// One pairing's programs and its transcript. Dropping it kills and reaps
/// whatever still runs (each `Process` does on drop).
struct Session<'a> {
    style: Paint,
    programs: &'a Programs,
    pairing: &'a Pairing,
    shown: Vec<Shown>,
}

impl<'a> Session<'a> {
    fn new(style: Paint, programs: &'a Programs, pairing: &'a Pairing, title: &str) -> Self {
        out(&style.header(title));
        Session {
            style,
            programs,
            pairing,
            shown: Vec::new(),
        }
    }

    /// Plays every run of the pairing's session.
    fn play(mut self) -> Result<(), TaskError> {
        for run in self.pairing.runs {
            // Where each side runs in this run, the server's address, the GET.
            let (mut at, mut addr, mut get) = ([usize::MAX; 2], None, None);
            for &step in *run {
                match step {
                    Step::Start(role) => {
                        at[role as usize] = self.start(role, addr)?;
                        if role == Role::Server {
                            let ready = self.shown[at[0]].process.wait_ready()?;
                            self.note(at[0], &format!("listening on {ready}"));
                            addr = Some(ready);
                        }
                    }
                    Step::Prints(role, pieces) => {
                        self.expect(at[role as usize], &pieces.concat())?
                    }
                    Step::Types(role, line) => self.type_line(at[role as usize], line)?,
                    Step::Says(role, line) => {
                        self.type_line(at[role as usize], line)?;
                        self.expect(at[1 - role as usize], &format!("{RECEIVED}{line}\n"))?;
                    }
                    Step::Get => get = Some(self.get(addr)?),
                    Step::Reply => self.reply(get.take())?,
                    Step::Exits(role, code) | Step::ExitsUnlikeTheListing(role, code) => {
                        self.exits(at[role as usize], Some(code))?
                    }
                    Step::Stopped(role) => self.exits(at[role as usize], None)?,
                }
            }
        }
        out(&self.style.header(&format!(
            "== {}: {} ==\n",
            self.pairing.name, self.pairing.done
        )));
        Ok(())
    }

    /// Starts the program playing `role`; a client is aimed at `addr`.
    fn start(&mut self, role: Role, addr: Option<SocketAddr>) -> Result<usize, TaskError> {
        let program = self
            .pairing
            .program(role)
            .ok_or_else(|| TaskError::failed("no such side"))?;
        let mut command = self.programs.command(program.name);
        command.arg(addr.map_or("127.0.0.1:0".to_string(), |addr| addr.to_string()));
        self.shown.push(Shown {
            name: program.name,
            colour: if role == Role::Server { "36" } else { "32" },
            process: Process::start(command)?,
            prompt: program.prompt,
            shown: 0,
            cursor: 0,
            typed: 0,
        });
        Ok(self.shown.len() - 1)
    }

    /// Shows a line of the transcript, as the program `index`'s.
    fn show(&self, index: usize, text: &str) {
        let program = &self.shown[index];
        out(&format!(
            "{} {text}\n",
            self.style.label(program.name, program.colour)
        ));
    }

    /// Shows a line of its stderr, without its name in front.
    fn note(&self, index: usize, text: &str) {
        let name = text.strip_prefix(self.shown[index].name);
        let text = name.and_then(|t| t.strip_prefix(": ")).unwrap_or(text);
        self.show(index, &self.style.paint("2;33", &format!("! {text}")));
    }

    /// Shows a line for a participant that is the demo itself.
    fn show_as(&self, label: &str, text: &str) {
        out(&format!("{} {text}\n", self.style.label(label, "35")));
    }

    /// Shows the lines of a program's stdout not shown yet: whole lines,
    /// or (once it has ended) all; a prompt waits for the line typed after
    /// it.
    fn show_printed(&mut self, index: usize, all: bool) {
        let stdout = self.shown[index].process.stdout();
        loop {
            let program = &mut self.shown[index];
            let rest = &stdout[program.shown..];
            if let Some(prompt) = program.prompt.filter(|p| rest.starts_with(p.as_bytes())) {
                program.shown += prompt.len();
                continue;
            }
            let end = rest.iter().position(|&b| b == b'\n');
            let Some(end) = end.or((all && !rest.is_empty()).then_some(rest.len())) else {
                return;
            };
            program.shown += (end + 1).min(rest.len());
            let line = String::from_utf8_lossy(&rest[..end])
                .trim_end_matches('\r')
                .to_string();
            self.show(index, &line);
        }
    }

    /// A failure of the demo, with the program's report.
    fn failed(&self, index: usize, what: &str) -> TaskError {
        let program = &self.shown[index];
        TaskError::failed(
            program
                .process
                .fail(format!("demo: {} was expected to {what}", program.name)),
        )
    }

    /// Waits until `text` is on a program's stdout after what earlier
    /// expectations matched, then shows what it printed.
    fn expect(&mut self, index: usize, text: &str) -> Result<(), TaskError> {
        let (needle, cursor) = (text.as_bytes(), self.shown[index].cursor);
        let found = |printed: &Printed| find(&printed.stdout[cursor..], needle);
        let what = format!("print {text:?} within {HANG_GUARD:?}");
        let waited = self.shown[index]
            .process
            .wait_for(&what, HANG_GUARD, |p| found(p).is_some());
        waited.map_err(|_| self.failed(index, &what))?;
        let at = self.shown[index].process.printed(found).unwrap_or(0);
        self.shown[index].cursor += at + needle.len();
        self.show_printed(index, false);
        Ok(())
    }

    /// Waits for the program's prompt, then types `line` as a person would.
    fn type_line(&mut self, index: usize, line: &str) -> Result<(), TaskError> {
        let program = &mut self.shown[index];
        let prompt = program.prompt.unwrap_or_default();
        program.typed += 1;
        let what = format!("prompt for a line within {HANG_GUARD:?}");
        let waited = program.process.wait_stdout(prompt, program.typed);
        waited.map_err(|_| self.failed(index, &what))?;
        self.show_printed(index, false);
        let typed = self.style.paint("1", &format!("› {line}"));
        self.show(index, &format!("{prompt}{typed}"));
        let sent = self.shown[index]
            .process
            .type_in(format!("{line}\n").as_bytes());
        sent.map_err(|_| self.failed(index, &format!("read the typed line {line:?}")))
    }

    /// Waits for a program to exit with `code`, or stops a server that
    /// would serve forever (`None`), as the listing's does; shows what it
    /// still had to say: the rest of its stdout, then its stderr.
    fn exits(&mut self, index: usize, code: Option<i32>) -> Result<(), TaskError> {
        let expected = format!("exit with status {}", code.unwrap_or_default());
        if code.is_none() {
            self.shown[index].process.kill();
        }
        let status = self.shown[index].process.wait_exit(HANG_GUARD);
        let status =
            status.map_err(|_| self.failed(index, &format!("{expected} within {HANG_GUARD:?}")))?;
        self.show_printed(index, true);
        let stderr = self.shown[index].process.stderr_text();
        for line in stderr
            .lines()
            .filter(|line| !line.starts_with("listening on "))
        {
            self.note(index, line);
        }
        match code {
            None => self.note(
                index,
                "（演示结束时停止它：它和教程程序一样一直服务 / stopped by the demo: it serves forever, as the listing does)",
            ),
            Some(code) if status.code() != Some(code) => return Err(self.failed(index, &expected)),
            Some(_) => {}
        }
        Ok(())
    }

    /// Sends the GET, shown line by line, as a browser would.
    fn get(&mut self, addr: Option<SocketAddr>) -> Result<TcpStream, TaskError> {
        let addr = addr.ok_or_else(|| TaskError::failed("demo: a GET before the server"))?;
        let request = pairings::get_request(&addr.to_string(), "xtask-demo");
        let failed =
            |error| TaskError::failed(format!("demo: cannot send a GET to {addr}: {error}"));
        let mut stream = TcpStream::connect(addr).map_err(failed)?;
        for line in request.trim_end().lines() {
            self.show_as("http-get", &format!("→ {line}"));
        }
        stream.write_all(request.as_bytes()).map_err(failed)?;
        Ok(stream)
    }

    /// Reads the reply to the GET, shows it and checks it.
    fn reply(&mut self, stream: Option<TcpStream>) -> Result<(), TaskError> {
        let mut reply = Vec::new();
        let read = stream.map(|mut stream| {
            stream
                .set_read_timeout(Some(HANG_GUARD))
                .and_then(|()| stream.read_to_end(&mut reply))
        });
        if let Some(Err(error)) = read {
            return Err(TaskError::failed(format!(
                "demo: no complete reply: {error}"
            )));
        }
        for line in String::from_utf8_lossy(&reply).split("\r\n") {
            self.show_as("http-get", &format!("← {line}"));
        }
        if reply == pairings::HELLO_REPLY.as_bytes() {
            return Ok(());
        }
        let (reply, listing) = (String::from_utf8_lossy(&reply), pairings::HELLO_REPLY);
        Err(TaskError::failed(format!(
            "demo: the reply was {reply:?}, not the listing's {listing:?}"
        )))
    }
}

/// `demo chat --live`: the reader is chat-client in this terminal; the
/// server is scripted and answers each message.
fn chat_live(programs: &Programs, style: Paint) -> Result<(), TaskError> {
    let [zh, en] = END_OF_INPUT;
    let title = format!(
        "== chat --live: 你是 chat-client，chat-server 由脚本回答。输入一行按回车；输入 0 或按 {zh} 结束。\n   \
         you are chat-client; chat-server is scripted. Type and press Enter; 0 or {en} ends. =="
    );
    let mut session = Session::new(style, programs, &CHAT, &title);
    let server = session.start(Role::Server, None)?;
    let addr = session.shown[server].process.wait_ready()?;
    session.note(server, &format!("listening on {addr}"));
    let mut command = programs.command(pairings::CHAT_CLIENT.name);
    command.arg(addr.to_string());
    let mut you = Attached::start(command)?;
    session.expect(server, CHAT_SERVER_CONNECTED)?;
    session.type_line(server, "你好！我是 chat-server。说点什么吧 (say something)")?;
    let mut answered = 0;
    while !you.has_exited() && session.shown[server].process.exited().is_none() {
        let seen = session.shown[server].process.printed(|p| p.stdout.len());
        let _ = session.shown[server]
            .process
            .wait_for("more", Duration::from_millis(50), |p| p.stdout.len() > seen);
        session.show_printed(server, false);
        let stdout = session.shown[server].process.stdout();
        let received = occurrences(&stdout, RECEIVED.as_bytes());
        // `0` ends the chat: the client is leaving, nobody to answer.
        if received > answered && !stdout.ends_with(format!("{RECEIVED}0\n").as_bytes()) {
            answered = received;
            let reply = format!("收到你的第 {answered} 条消息 (message {answered} received)");
            let _ = session.type_line(server, &reply);
        }
    }
    // The server ended: the client learns it and exits too.
    you.wait();
    session.exits(server, Some(0))?;
    out(&style.header("== chat --live: 聊天结束 / the chat is over ==\n"));
    Ok(())
}
