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

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::harness::{occurrences, Attached, Process, Programs};
use crate::pairings::{self, Program, Role, CHAT_SERVER, CHAT_SERVER_CONNECTED, RECEIVED};
use crate::session::{self, Event, Side, Stage};
use crate::text::Paint;
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
    let args = Args::parse(args, &["--live", "--no-build"], &["--programs", "--runner"])?;
    if args.help {
        out(HELP);
        return Ok(());
    }
    let usage = |why: &str| Err(TaskError::usage(why));
    let pairings = match args.words[..] {
        ["all"] => pairings::PAIRINGS.to_vec(),
        [name] => vec![pairings::pairing(name)?],
        _ => return usage("demo 需要一对程序 / demo needs a pairing: hello, tcp, chat, udp, all"),
    };
    let live = args.has("--live");
    if live && args.words != ["chat"] {
        return usage("--live 只用于 chat / --live goes with the chat pairing only");
    }
    let runner = args.value("--runner").map(PathBuf::from);
    let dir = match args.value("--programs") {
        Some(dir) => PathBuf::from(dir),
        None if runner.is_some() => {
            return usage("--runner 需要 --programs DIR / --runner goes with --programs DIR")
        }
        None if args.has("--no-build") => workspace::programs_dir(false)?,
        None => workspace::build_programs(|_| {}).and_then(|()| workspace::programs_dir(false))?,
    };
    let programs = Programs { dir, runner };
    for program in pairings::PROGRAMS {
        let path = programs.path(program.name);
        if !path.is_file() {
            let why = format!("{} is not built (run without --no-build)", path.display());
            return Err(TaskError::failed(why));
        }
    }
    let transcript = Transcript { style: Paint::detect(), programs: &programs };
    if live {
        return chat_live(transcript);
    }
    let started = Instant::now();
    for pairing in &pairings {
        let client = pairing.client.map_or("一个 HTTP GET 请求 / an HTTP GET", |c| c.name);
        let (name, server, section) = (pairing.name, pairing.server.name, pairing.section);
        transcript.header(&format!("== {name}: {server} ↔ {client} (教程 tutorial: {section}) =="));
        for run in pairing.runs {
            session::play(pairing, run, &mut { transcript }, "xtask-demo")?;
        }
        let gap = if pairings.len() > 1 { "\n" } else { "" };
        transcript.header(&format!("== {name}: {} ==\n{gap}", pairing.done));
    }
    if pairings.len() > 1 {
        let took = started.elapsed().as_secs_f64();
        transcript
            .header(&format!("== 四组程序都正常 / all four pairings behaved, in {took:.3} s =="));
    }
    Ok(())
}

/// The demo's stage: starts the programs (built here, or elsewhere with a
/// runner) and prints the transcript, as the module's comment says.
#[derive(Clone, Copy)]
struct Transcript<'a> {
    style: Paint,
    programs: &'a Programs,
}

impl Transcript<'_> {
    /// Shows a heading line, bold.
    fn header(&self, text: &str) {
        out(&format!("{}\n", self.style.paint("1", text)));
    }

    /// Shows a line of the transcript, as the side's (`None`: the GET's).
    fn line(&self, side: Option<&Side>, text: &str) {
        let colours = ["36", "32"];
        let (name, colour) =
            side.map_or(("http-get", "35"), |s| (s.program.name, colours[s.role as usize]));
        out(&format!("{} {text}\n", self.style.paint(colour, &format!("[{name}]"))));
    }

    /// Shows a line of the side's stderr, without its name in front.
    fn note(&self, side: &Side, text: &str) {
        let name = text.strip_prefix(side.program.name);
        let text = name.and_then(|t| t.strip_prefix(": ")).unwrap_or(text);
        self.line(Some(side), &self.style.paint("2;33", &format!("! {text}")));
    }

    /// Shows the lines of a side's stdout not shown yet: whole lines, or
    /// (once it has ended) all; a prompt waits for the line typed after it.
    fn printed(&self, side: &mut Side, all: bool) {
        let stdout = side.process.stdout();
        loop {
            let rest = &stdout[side.shown..];
            if let Some(prompt) = side.program.prompt.filter(|p| rest.starts_with(p.as_bytes())) {
                side.shown += prompt.len();
                continue;
            }
            let end = rest.iter().position(|&b| b == b'\n');
            let Some(end) = end.or((all && !rest.is_empty()).then_some(rest.len())) else {
                return;
            };
            side.shown += (end + 1).min(rest.len());
            self.line(Some(side), String::from_utf8_lossy(&rest[..end]).trim_end_matches('\r'));
        }
    }
}

impl Stage for Transcript<'_> {
    fn start(&mut self, program: &'static Program, arg: &str) -> Result<Process, TaskError> {
        let mut command = self.programs.command(program.name);
        command.arg(arg);
        Ok(Process::start(command)?)
    }

    fn show(&mut self, event: Event) {
        match event {
            Event::Ready(side, addr) => self.note(side, &format!("listening on {addr}")),
            Event::Printed(side) => self.printed(side, false),
            Event::Types(side, line) => {
                self.printed(side, false);
                let (prompt, line) =
                    (side.program.prompt, self.style.paint("1", &format!("› {line}")));
                self.line(Some(side), &format!("{}{line}", prompt.unwrap_or_default()));
            }
            Event::Request(request) => {
                request.trim_end().lines().for_each(|l| self.line(None, &format!("→ {l}")))
            }
            Event::Reply(reply) => String::from_utf8_lossy(reply)
                .split("\r\n")
                .for_each(|l| self.line(None, &format!("← {l}"))),
            Event::Ended(side, stopped) => {
                self.printed(side, true);
                let stderr = side.process.stderr_text();
                for line in stderr.lines().filter(|line| !line.starts_with("listening on ")) {
                    self.note(side, line);
                }
                if stopped {
                    let why = "（演示结束时停止它：它和教程程序一样一直服务 / stopped by the demo: it serves forever, as the listing does)";
                    self.note(side, why);
                }
            }
        }
    }
}

/// `demo chat --live`: the reader is chat-client in this terminal; the
/// server is scripted and answers each message.
fn chat_live(mut stage: Transcript) -> Result<(), TaskError> {
    let [zh, en] = END_OF_INPUT;
    stage.header(&format!(
        "== chat --live: 你是 chat-client，chat-server 由脚本回答。输入一行按回车；输入 0 或按 {zh} 结束。\n   \
         you are chat-client; chat-server is scripted. Type and press Enter; 0 or {en} ends. =="
    ));
    let (mut server, addr) = session::start(&mut stage, &CHAT_SERVER, Role::Server, "127.0.0.1:0")?;
    let mut command = stage.programs.command(pairings::CHAT_CLIENT.name);
    command.arg(addr.map_or(String::new(), |addr| addr.to_string()));
    let mut you = Attached::start(command)?;
    session::expect(&mut stage, &mut server, CHAT_SERVER_CONNECTED)?;
    let hello = "你好！我是 chat-server。说点什么吧 (say something)";
    session::type_line(&mut stage, &mut server, hello)?;
    let mut answered = 0;
    while !you.has_exited() && server.process.exited().is_none() {
        let seen = server.process.printed(|p| p.stdout.len());
        let _ =
            server.process.wait_for("more", Duration::from_millis(50), |p| p.stdout.len() > seen);
        stage.printed(&mut server, false);
        let stdout = server.process.stdout();
        let received = occurrences(&stdout, RECEIVED.as_bytes());
        // `0` ends the chat: the client is leaving, nobody to answer.
        if received > answered && !stdout.ends_with(format!("{RECEIVED}0\n").as_bytes()) {
            answered = received;
            let reply = format!("收到你的第 {answered} 条消息 (message {answered} received)");
            let _ = session::type_line(&mut stage, &mut server, &reply);
        }
    }
    // The server ended: the client learns it and exits too.
    you.wait();
    session::end(&mut stage, &mut server, Some(0))?;
    stage.header("== chat --live: 聊天结束 / the chat is over ==\n");
    Ok(())
}
