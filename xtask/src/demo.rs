//! `cargo xtask demo <hello|tcp|chat|udp|all>`: builds the programs, runs a
//! pairing with a scripted session like the tutorial's own use, and prints
//! one transcript, every line labelled by the program that printed it.
//!
//! Pacing waits for each expected output (with a timeout), never for a
//! fixed time. Every child is killed and reaped when the demo ends, however
//! it ends; the children stay in the terminal's process group, so Ctrl-C
//! reaches them too.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::harness::{find, Attached, Event, Output, Process};
use crate::paint::Paint;
use crate::{out, TaskError};

pub const HELP: &str = "\
cargo xtask demo <hello|tcp|chat|udp|all> [--live] [--no-build]
                  [--programs DIR [--runner PROGRAM]]

把教程的一对程序从头到尾运行一遍（服务器用空闲端口），打印一份对话记录：每一行
标出是哪个程序打印的，脚本输入的内容在 › 后面，stderr 的行用 ! 标出。
hello、tcp、chat、udp 各是一对，all 是四对；--live（只用于 chat）让你在这个终端里
当 chat-client，输入 0 或结束输入（Ctrl-D；Windows 上 Ctrl-Z 再按回车）结束。

Runs one pairing of the tutorial end to end, each server on a free port,
and prints one transcript: every line labelled by the program that printed
it, what the script types shown after ›, stderr lines marked with !.

  hello   hello-server answering an HTTP GET          (tutorial: TCP编程)
  tcp     tcp-client sending a line to hello-server   (tutorial: 创建TCP客户端)
  chat    chat-server and chat-client, both ways, ended by 0
                                                      (tutorial: 执行TCP服务器和客户端)
  udp     udp-server and udp-client: three temperatures, then one bad input
                                                      (tutorial: UDP编程)
  all     the four, in the tutorial's order

  --live      (chat only) you are chat-client in this terminal; the server is
              scripted and answers each message. 0 or the end of input
              ends (Ctrl-D; on Windows Ctrl-Z, then Enter).
  --no-build  use the programs already built beside this xtask binary
  --programs DIR     use the programs in DIR, built elsewhere (no build):
                     DIR/<name> or DIR/<name>.exe
  --runner PROGRAM   start each of them as `PROGRAM DIR/<name>.exe`, e.g.
                     .ci/wine-run for the Windows build under Wine

Colour when stdout is a terminal, unless NO_COLOR is set.
Exit status 0 when every program behaved and exited as expected.
";

/// The keys that end typed input on this OS (the programs' help says the
/// same).
const END_OF_INPUT: &str = if cfg!(windows) {
    "Ctrl-Z, then Enter,"
} else {
    "Ctrl-D"
};
/// The same in Chinese.
const END_OF_INPUT_ZH: &str = if cfg!(windows) {
    "Ctrl-Z 再按回车"
} else {
    "Ctrl-D"
};

/// How long the script waits for any one expected thing.
const EXPECT_TIMEOUT: Duration = Duration::from_secs(10);

const PAIRINGS: [&str; 4] = ["hello", "tcp", "chat", "udp"];

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let mut pairing = None;
    let mut live = false;
    let mut build = true;
    let mut elsewhere = Elsewhere::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                out(HELP);
                return Ok(());
            }
            "--live" => live = true,
            "--no-build" => build = false,
            "--programs" | "--runner" => {
                let value = args
                    .next()
                    .ok_or_else(|| TaskError::usage(format!("{arg} needs a value")))?;
                if arg == "--programs" {
                    elsewhere.dir = Some(PathBuf::from(value));
                } else {
                    elsewhere.runner = Some(PathBuf::from(value));
                }
            }
            name if PAIRINGS.contains(&name) || name == "all" => {
                if pairing.replace(name.to_string()).is_some() {
                    return Err(TaskError::usage("demo takes one pairing"));
                }
            }
            other => {
                return Err(TaskError::usage(format!(
                    "unknown pairing or option {other:?} (hello, tcp, chat, udp, all; --live, --no-build, --programs, --runner)"
                )))
            }
        }
    }
    let pairing = pairing.ok_or_else(|| {
        TaskError::usage("demo 需要一对程序 / demo needs a pairing: hello, tcp, chat, udp, all")
    })?;
    if live && pairing != "chat" {
        return Err(TaskError::usage("--live goes with the chat pairing only"));
    }
    if elsewhere.runner.is_some() && elsewhere.dir.is_none() {
        return Err(TaskError::usage("--runner goes with --programs DIR"));
    }
    if build && elsewhere.dir.is_none() {
        crate::build_programs(false)?;
    }
    let _ = ELSEWHERE.set(elsewhere);
    let style = Paint::detect();
    match pairing.as_str() {
        "chat" if live => chat_live(style),
        "all" => {
            let started = Instant::now();
            for name in PAIRINGS {
                run_pairing(name, style)?;
                out("\n");
            }
            out(&style.header(&format!(
                "== 四组程序都正常 / all four pairings behaved, in {:.3} s ==",
                started.elapsed().as_secs_f64()
            )));
            Ok(())
        }
        name => run_pairing(name, style),
    }
}

fn run_pairing(name: &str, style: Paint) -> Result<(), TaskError> {
    match name {
        "hello" => hello(style),
        "tcp" => tcp(style),
        "chat" => chat(style),
        _ => udp(style),
    }
}

/// Programs built elsewhere (`--programs DIR`), started through a runner
/// (`--runner PROGRAM`) if one is given.
#[derive(Default)]
struct Elsewhere {
    dir: Option<PathBuf>,
    runner: Option<PathBuf>,
}

static ELSEWHERE: OnceLock<Elsewhere> = OnceLock::new();

/// The command that starts program `name`: built beside this xtask binary,
/// or in the `--programs` folder, through the `--runner` if one is given.
fn program_command(name: &str) -> Result<Command, TaskError> {
    let Some(Elsewhere {
        dir: Some(dir),
        runner,
    }) = ELSEWHERE.get()
    else {
        return Ok(Command::new(crate::built_program(
            &crate::programs_dir(false)?,
            name,
        )?));
    };
    let windows = dir.join(format!("{name}.exe"));
    let path = if crate::program_file(dir, name).is_file() || !windows.is_file() {
        crate::built_program(dir, name)?
    } else {
        windows
    };
    Ok(match runner {
        Some(runner) => {
            let mut command = Command::new(runner);
            command.arg(path);
            command
        }
        None => Command::new(path),
    })
}

/// One running program of the demo.
struct Program {
    name: &'static str,
    colour: &'static str,
    /// The running program, with all it printed so far.
    process: Process,
    /// Stdout not yet shown in the transcript.
    unshown: Vec<u8>,
    /// The prompts it prints without a newline.
    prompts: &'static [&'static str],
    /// A prompt shown, waiting for the line the script will type.
    waiting_prompt: Option<&'static str>,
    /// Where in `stdout` the next expectation starts looking.
    cursor: usize,
    /// A server's stdout waits until its readiness line has been shown, so
    /// the transcript keeps the order in which the server wrote them.
    awaiting_readiness: bool,
    /// Other stderr lines wait until the program has ended and its stdout
    /// is shown: two pipes cannot tell which came first, and such notes
    /// (the peer closed, an error) come last.
    held_notes: Vec<String>,
    /// Stdout held back by the script until another program has shown
    /// what happened first (two processes' pipes race each other).
    held: bool,
}

/// One pairing's programs and its transcript. Dropping it kills and reaps
/// whatever still runs (each `Process` does on drop).
struct Session {
    style: Paint,
    programs: Vec<Program>,
    events: Receiver<Event>,
    sender: Sender<Event>,
}

impl Session {
    fn new(style: Paint, title: &str) -> Session {
        out(&style.header(title));
        let (sender, events) = mpsc::channel();
        Session {
            style,
            programs: Vec::new(),
            events,
            sender,
        }
    }

    /// Starts a program with `args`; returns its index.
    fn start(
        &mut self,
        name: &'static str,
        colour: &'static str,
        args: &[String],
        prompts: &'static [&'static str],
    ) -> Result<usize, TaskError> {
        let mut command = program_command(name)?;
        command.args(args);
        let index = self.programs.len();
        let process = Process::start_sharing(name, command, true, index, &self.sender)?;
        self.programs.push(Program {
            name,
            colour,
            process,
            unshown: Vec::new(),
            prompts,
            waiting_prompt: None,
            cursor: 0,
            awaiting_readiness: name.ends_with("-server"),
            held_notes: Vec::new(),
            held: false,
        });
        Ok(index)
    }

    /// Shows a line of the transcript.
    fn show(&self, index: usize, text: &str) {
        let program = &self.programs[index];
        out(&format!(
            "{} {text}\n",
            self.style.label(program.name, program.colour)
        ));
    }

    fn show_note(&self, index: usize, text: &str) {
        let program = &self.programs[index];
        let text = text
            .strip_prefix(program.name)
            .and_then(|t| t.strip_prefix(": "))
            .unwrap_or(text);
        let note = self.style.paint("2;33", &format!("! {text}"));
        out(&format!(
            "{} {note}\n",
            self.style.label(program.name, program.colour)
        ));
    }

    /// Takes in one event: records it and shows what is complete.
    fn absorb(&mut self, event: Event) {
        let index = event.from;
        match event.output {
            Output::Stdout(bytes) => {
                let program = &mut self.programs[index];
                program.unshown.extend_from_slice(&bytes);
                program.process.absorb(Output::Stdout(bytes));
                self.show_complete_lines(index);
            }
            Output::Stderr(line) => {
                let program = &mut self.programs[index];
                if program.awaiting_readiness && line.starts_with("listening on ") {
                    program.awaiting_readiness = false;
                    self.show_note(index, &line);
                    self.show_complete_lines(index);
                } else {
                    program.held_notes.push(line.clone());
                }
                self.programs[index].process.absorb(Output::Stderr(line));
            }
            Output::Closed => self.programs[index].process.absorb(Output::Closed),
        }
    }

    /// Shows the complete lines of a program's stdout; a prompt is held
    /// back until the script types its answer.
    fn show_complete_lines(&mut self, index: usize) {
        loop {
            let program = &mut self.programs[index];
            if (program.awaiting_readiness && program.process.exited().is_none()) || program.held {
                return;
            }
            if let Some(prompt) = program
                .prompts
                .iter()
                .find(|p| program.unshown.starts_with(p.as_bytes()))
            {
                program.unshown.drain(..prompt.len());
                program.waiting_prompt = Some(prompt);
                continue;
            }
            let Some(end) = program.unshown.iter().position(|&b| b == b'\n') else {
                return;
            };
            let line: Vec<u8> = program.unshown.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..end]);
            let text = text.trim_end_matches('\r').to_string();
            self.show(index, &text);
        }
    }

    /// Shows what is left of a program's stdout once it has ended.
    fn show_rest(&mut self, index: usize) {
        let program = &mut self.programs[index];
        let rest = std::mem::take(&mut program.unshown);
        if !rest.is_empty() {
            let text = String::from_utf8_lossy(&rest).into_owned();
            self.show(index, &text);
        }
    }

    /// Processes events until `done` holds, or fails after the timeout
    /// with `expected` in the message.
    fn wait_until(
        &mut self,
        index: usize,
        expected: &str,
        done: impl Fn(&Program) -> bool,
    ) -> Result<(), TaskError> {
        let deadline = Instant::now() + EXPECT_TIMEOUT;
        loop {
            if done(&self.programs[index]) {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.unexpected(index, expected));
            }
            match self
                .events
                .recv_timeout(left.min(Duration::from_millis(20)))
            {
                Ok(event) => self.absorb(event),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(self.unexpected(index, expected)),
            }
            self.reap();
        }
    }

    /// Notes which programs have exited.
    fn reap(&mut self) {
        for program in &mut self.programs {
            program.process.exited();
        }
    }

    fn unexpected(&mut self, index: usize, expected: &str) -> TaskError {
        let program = &mut self.programs[index];
        let status = match program.process.exited() {
            Some(status) => format!("it exited ({status})"),
            None => "it is still running".to_string(),
        };
        TaskError::failed(format!(
            "demo: {} was expected to {expected} within {} s; {status}.\n  its stdout: {:?}\n  its stderr: {:?}",
            program.name,
            EXPECT_TIMEOUT.as_secs(),
            String::from_utf8_lossy(&program.process.stdout),
            program.process.stderr.join("\n"),
        ))
    }

    /// Waits until `text` appears on a program's stdout after what earlier
    /// expectations matched.
    fn expect(&mut self, index: usize, text: &str) -> Result<(), TaskError> {
        let expected = format!("print {text:?}");
        let needle = text.as_bytes();
        self.wait_until(index, &expected, |p| {
            find(&p.process.stdout[p.cursor..], needle).is_some()
        })?;
        let program = &mut self.programs[index];
        if let Some(at) = find(&program.process.stdout[program.cursor..], needle) {
            program.cursor += at + needle.len();
        }
        Ok(())
    }

    /// Waits for a server's readiness line and returns its address.
    fn ready(&mut self, index: usize) -> Result<SocketAddr, TaskError> {
        self.wait_until(index, "write `listening on <addr>` on stderr", |p| {
            !p.process.stderr.is_empty() || p.process.output_closed()
        })?;
        match self.programs[index].process.ready_addr() {
            Some(addr) => Ok(addr),
            None => Err(self.unexpected(index, "write `listening on <addr>` first on stderr")),
        }
    }

    /// Waits for `prompt` to be shown, then types `line` as a person would.
    fn type_line(&mut self, index: usize, line: &str) -> Result<(), TaskError> {
        self.wait_until(index, "prompt for a line", |p| p.waiting_prompt.is_some())?;
        let program = &mut self.programs[index];
        let prompt = program.waiting_prompt.take().unwrap_or("");
        let typed = self.style.paint("1", &format!("› {line}"));
        let sent = program.process.type_in(format!("{line}\n").as_bytes());
        self.show(index, &format!("{prompt}{typed}"));
        match sent {
            Ok(()) => Ok(()),
            Err(_) => Err(self.unexpected(index, &format!("read the typed line {line:?}"))),
        }
    }

    /// Waits for a program to exit with `code`.
    fn expect_exit(&mut self, index: usize, code: i32) -> Result<(), TaskError> {
        self.wait_until(index, &format!("exit with status {code}"), |p| {
            p.process.output_closed()
        })?;
        // Both pipes are closed: the program is ending, so this is quick.
        let status = self.programs[index].process.reap().ok();
        self.show_ending(index);
        if status.and_then(|s| s.code()) == Some(code) {
            Ok(())
        } else {
            Err(self.unexpected(index, &format!("exit with status {code}")))
        }
    }

    /// Shows what an ended program still had to say: the rest of its
    /// stdout, then its held stderr notes.
    fn show_ending(&mut self, index: usize) {
        let program = &mut self.programs[index];
        program.awaiting_readiness = false;
        program.held = false;
        self.show_complete_lines(index);
        self.show_rest(index);
        for note in std::mem::take(&mut self.programs[index].held_notes) {
            self.show_note(index, &note);
        }
    }

    /// Stops a server that would serve forever, as the listing's does.
    fn stop(&mut self, index: usize) -> Result<(), TaskError> {
        self.programs[index].process.kill();
        self.wait_until(index, "close its output once stopped", |p| {
            p.process.output_closed()
        })?;
        self.show_ending(index);
        self.show_note(
            index,
            "（演示结束时停止它：它和教程程序一样一直服务 / stopped by the demo: it serves forever, as the listing does)",
        );
        Ok(())
    }

    /// Holds back a program's stdout: what it prints next is caused by
    /// another program's step, which the transcript must show first.
    fn hold(&mut self, index: usize) {
        self.programs[index].held = true;
    }

    /// Shows what was held back, and what comes after.
    fn release(&mut self, index: usize) {
        self.programs[index].held = false;
        self.show_complete_lines(index);
    }

    /// Starts a server on a free port and waits for its readiness line.
    fn start_server(
        &mut self,
        name: &'static str,
        prompts: &'static [&'static str],
    ) -> Result<(usize, SocketAddr), TaskError> {
        let server = self.start(name, SERVER, &[ANY_PORT.to_string()], prompts)?;
        let addr = self.ready(server)?;
        Ok((server, addr))
    }

    /// Starts hello-server on a free port and waits for its banner.
    fn start_hello_server(&mut self) -> Result<(usize, SocketAddr), TaskError> {
        let (server, addr) = self.start_server("hello-server", &[])?;
        self.expect(server, "服务器等待客户端连接...\n")?;
        Ok((server, addr))
    }

    /// Shows a line for a participant that is the demo itself.
    fn show_as(&self, label: &str, text: &str) {
        out(&format!("{} {text}\n", self.style.label(label, "35")));
    }
}

/// How often `needle` stands in `haystack`.
fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len().max(1))
        .filter(|w| *w == needle)
        .count()
}

const SERVER: &str = "36";
const CLIENT: &str = "32";
const ANY_PORT: &str = "127.0.0.1:0";
const CHAT_PROMPT: &str = "请输入要发送的数据:";
const TCP_PROMPT: &str = "请输入要发送的数据";
const UDP_PROMPT: &str = "请输入要转换的温度(单位:摄氏度):";

fn hello(style: Paint) -> Result<(), TaskError> {
    let mut session = Session::new(
        style,
        "== hello: hello-server ↔ 一个 HTTP GET 请求 / an HTTP GET (教程 tutorial: TCP编程) ==",
    );
    let (server, addr) = session.start_hello_server()?;
    let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: xtask-demo\r\n\r\n");
    let mut stream = TcpStream::connect(addr).map_err(|error| {
        TaskError::failed(format!(
            "demo: cannot connect to hello-server at {addr}: {error}"
        ))
    })?;
    for line in request.trim_end().lines() {
        session.show_as("http-get", &format!("→ {line}"));
    }
    stream
        .write_all(request.as_bytes())
        .map_err(|error| TaskError::failed(format!("demo: cannot send the GET: {error}")))?;
    session.expect(server, "b'GET / HTTP/1.1\\r\\n")?;
    let reply = read_reply(&mut stream)?;
    for line in String::from_utf8_lossy(&reply).split("\r\n") {
        session.show_as("http-get", &format!("← {line}"));
    }
    if reply != b"HTTP/1.1 200 OK\r\n\r\nhello world" {
        return Err(TaskError::failed(format!(
            "demo: hello-server replied {:?}, expected \"HTTP/1.1 200 OK\\r\\n\\r\\nhello world\"",
            String::from_utf8_lossy(&reply)
        )));
    }
    session.stop(server)?;
    out(&style
        .header("== hello: 回复与教程程序的逐字节相同 / the reply was exactly the listing's ==\n"));
    Ok(())
}

fn read_reply(stream: &mut TcpStream) -> Result<Vec<u8>, TaskError> {
    let mut reply = Vec::new();
    stream
        .set_read_timeout(Some(EXPECT_TIMEOUT))
        .and_then(|()| stream.read_to_end(&mut reply))
        .map_err(|error| {
            TaskError::failed(format!(
                "demo: no complete reply from hello-server: {error}"
            ))
        })?;
    Ok(reply)
}

fn tcp(style: Paint) -> Result<(), TaskError> {
    let mut session = Session::new(
        style,
        "== tcp: hello-server ↔ tcp-client (教程 tutorial: 创建TCP客户端) ==",
    );
    let (server, addr) = session.start_hello_server()?;
    let client = session.start("tcp-client", CLIENT, &[addr.to_string()], &[TCP_PROMPT])?;
    session.type_line(client, "你好, hello-server")?;
    // The server prints the request before it replies.
    session.hold(client);
    session.expect(server, "b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd, hello-server'\n")?;
    session.release(client);
    session.expect(client, "hello world\n")?;
    session.expect_exit(client, 0)?;
    session.stop(server)?;
    out(&style.header("== tcp: tcp-client 以 0 退出 / tcp-client exited 0 ==\n"));
    Ok(())
}

fn chat(style: Paint) -> Result<(), TaskError> {
    let mut session = Session::new(
        style,
        "== chat: chat-server ↔ chat-client (教程 tutorial: 执行TCP服务器和客户端) ==",
    );
    let (server, addr) = session.start_server("chat-server", &[CHAT_PROMPT])?;
    let client = session.start("chat-client", CLIENT, &[addr.to_string()], &[CHAT_PROMPT])?;
    session.expect(server, "连接已经建立\n")?;
    session.expect(client, "已连接\n")?;
    let script = [
        (server, client, "你好，客户端"),
        (client, server, "hello, server"),
        (server, client, "0"),
    ];
    for (from, to, line) in script {
        session.type_line(from, line)?;
        session.expect(to, &format!("接收到的数据为: {line}\n"))?;
    }
    session.expect_exit(server, 0)?;
    session.expect_exit(client, 0)?;
    out(&style.header("== chat: 两边都以 0 退出 / both sides exited 0 ==\n"));
    Ok(())
}

fn udp(style: Paint) -> Result<(), TaskError> {
    let mut session = Session::new(
        style,
        "== udp: udp-server ↔ udp-client (教程 tutorial: UDP编程) ==",
    );
    // Each conversion is a whole run: the listing's server answers once.
    let runs = [
        ("37", "98.60000000000001", 0),
        ("-40", "-40.0", 0),
        ("３６．６", "97.88000000000001", 0),
        (
            "abc",
            "无法把输入转换为温度: b'abc'。请输入一个数字，例如 37 (type a number, such as 37)",
            1,
        ),
    ];
    for (typed, shown, server_code) in runs {
        let (server, addr) = session.start_server("udp-server", &[])?;
        session.expect(server, "绑定UDP到8888端口\n")?;
        let client = session.start("udp-client", CLIENT, &[addr.to_string()], &[UDP_PROMPT])?;
        session.type_line(client, typed)?;
        if server_code == 0 {
            // The server prints where the datagram came from, then replies.
            session.hold(client);
            session.expect(server, "Recrived from ")?;
            session.release(client);
        }
        session.expect(client, &format!("{shown}\n"))?;
        session.expect_exit(client, 0)?;
        session.expect_exit(server, server_code)?;
    }
    out(&style.header(
        "== udp: 运行四次；客户端都以 0 退出，服务器 0、0、0 和 1（abc 不是温度）\n   four runs; the clients exited 0, the servers 0, 0, 0 and 1 (abc is no temperature) ==\n",
    ));
    Ok(())
}

/// `demo chat --live`: the reader is chat-client in this terminal; the
/// server is scripted and answers each message.
fn chat_live(style: Paint) -> Result<(), TaskError> {
    let mut session = Session::new(
        style,
        &format!("== chat --live: 你是 chat-client，chat-server 由脚本回答。输入一行按回车；输入 0 或按 {END_OF_INPUT_ZH} 结束。\n   you are chat-client; chat-server is scripted. Type and press Enter; 0 or {END_OF_INPUT} ends. =="),
    );
    let (server, addr) = session.start_server("chat-server", &[CHAT_PROMPT])?;
    let mut command = program_command("chat-client")?;
    command.arg(addr.to_string());
    let mut you = Attached::start("chat-client", command)?;
    session.expect(server, "连接已经建立\n")?;
    session.type_line(server, "你好！我是 chat-server。说点什么吧 (say something)")?;
    let mut answered = 0;
    loop {
        let received = count(
            &session.programs[server].process.stdout,
            "接收到的数据为: ".as_bytes(),
        );
        if received > answered {
            answered = received;
            // `0` ends the chat: the client is leaving, nobody to answer.
            let stdout = &session.programs[server].process.stdout;
            let ended = stdout.ends_with("接收到的数据为: 0\n".as_bytes());
            let reply = format!("收到你的第 {answered} 条消息 (message {answered} received)");
            if !ended && session.programs[server].process.exited().is_none() {
                let _ = session.type_line(server, &reply);
            }
        }
        if you.has_exited() {
            break;
        }
        match session.events.recv_timeout(Duration::from_millis(50)) {
            Ok(event) => session.absorb(event),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        session.reap();
        if session.programs[server].process.exited().is_some() {
            // The server ended: the client learns it and exits too.
            you.wait();
            break;
        }
    }
    session.expect_exit(server, 0)?;
    out(&style.header("== chat --live: 聊天结束 / the chat is over ==\n"));
    Ok(())
}
