//! The programs on a terminal, typed into at a person's pace: the Python
//! driver `tests/peers/pty_session.py` runs each on a pseudo-terminal and
//! reports what the terminal showed. What the Rust adds on stderr must
//! never share a line with a prompt, and a terminal the program leaves must
//! end with a newline (so the shell's prompt starts on a line of its own).
#![cfg(unix)]

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use crate::support::{
    bin, python, rust, Proc, CHAT_PROMPT as PROMPT, PEER_CLOSED, RECEIVED, TCP_PROMPT,
};
/// The driver's own hang guard, and ours around it (a little longer).
const DRIVER_GUARD: &str = "15";
const SESSION_GUARD: Duration = Duration::from_secs(20);

/// What one terminal showed, as the driver reports it.
struct Session {
    proc: Proc,
    exit: i32,
    timed_out: String,
    raw: Vec<u8>,
    screen: Vec<String>,
}

impl Session {
    fn report(&self) -> String {
        format!(
            "exit: {}\ntimed out at: {:?}\n--- screen ---\n{}\n--- driver ---\n{}",
            self.exit,
            self.timed_out,
            self.screen.join("\n"),
            self.proc.report()
        )
    }

    /// Every line on which a program's own note appears starts with it:
    /// no note glued to a prompt. The terminal ends with a newline.
    fn assert_tidy(&self) {
        for line in &self.screen {
            for program in ["chat-server: ", "chat-client: ", "tcp-client: "] {
                if let Some(at) = line.find(program) {
                    assert_eq!(at, 0, "a note shares a line: {line:?}\n{}", self.report());
                }
            }
        }
        assert_eq!(
            self.raw.last(),
            Some(&b'\n'),
            "the terminal's last line does not end\n{}",
            self.report()
        );
    }

    fn assert_done(&self) {
        assert!(
            self.timed_out.is_empty() && self.exit == 0,
            "the session did not end well\n{}",
            self.report()
        );
    }
}

/// The driver running `program` on a terminal with these `steps`
/// (`wait=…`, `pause=…`, `type=…`, `eof`; see the driver).
fn on_terminal(steps: &[&str], program: &str, args: &[String]) -> Command {
    let mut command = python("pty_session.py");
    command.args(["--relay-ready", "--guard", DRIVER_GUARD]);
    command.args(steps);
    command.arg("--").arg(bin(program)).args(args);
    command
}

/// Waits for the driver to end and reads its report.
fn finish(mut proc: Proc) -> Session {
    if proc.try_wait_exit(SESSION_GUARD).is_none() {
        panic!("the driver is still running\n{}", proc.report());
    }
    let out = proc.stdout();
    let parsed = parse_report(&out);
    let Some((exit, timed_out, raw, screen)) = parsed else {
        panic!("no report from the driver\n{}", proc.report());
    };
    Session {
        proc,
        exit,
        timed_out,
        raw,
        screen,
    }
}

/// `exit: N\ntimed-out: …\nraw: LEN\n<LEN bytes>\nscreen:\n<lines>`.
fn parse_report(out: &[u8]) -> Option<(i32, String, Vec<u8>, Vec<String>)> {
    fn line(rest: &mut &[u8], prefix: &str) -> Option<String> {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let text = std::str::from_utf8(&rest[..end]).ok()?;
        *rest = &rest[end + 1..];
        text.strip_prefix(prefix).map(str::to_string)
    }
    let mut rest = out;
    let exit = line(&mut rest, "exit: ")?.parse().ok()?;
    let timed_out = line(&mut rest, "timed-out: ")?;
    let length: usize = line(&mut rest, "raw: ")?.parse().ok()?;
    let raw = rest.get(..length)?.to_vec();
    rest = rest.get(length + 1..)?;
    line(&mut rest, "screen:")?;
    let screen = String::from_utf8_lossy(rest)
        .lines()
        .map(str::to_string)
        .collect();
    Some((exit, timed_out, raw, screen))
}

/// chat-server on one terminal, chat-client on another, each following its
/// script; the scripts wait on what the other side says.
fn chat(server_steps: &[&str], client_steps: &[&str]) -> (Session, Session) {
    let server = Proc::start(on_terminal(
        server_steps,
        "chat-server",
        &["127.0.0.1:0".to_string()],
    ));
    let addr: SocketAddr = server.wait_ready();
    let client = Proc::start(on_terminal(
        client_steps,
        "chat-client",
        &[addr.to_string()],
    ));
    (finish(server), finish(client))
}

fn waits(text: &str) -> String {
    format!("wait={text}")
}

/// The server says 你好 once it has heard hi, then waits for the client to
/// leave; the client says hi, hears 你好, then ends as `ending` says. Both
/// sessions end well and leave their terminals tidy.
fn hi_then_hello(ending: &[&str]) -> (Session, Session) {
    let (prompt, closed) = (waits(PROMPT), waits(PEER_CLOSED));
    let (heard_hi, heard_hello) = (
        waits(&format!("{RECEIVED}hi")),
        waits(&format!("{RECEIVED}你好")),
    );
    let server = [
        prompt.as_str(),
        &heard_hi,
        "pause=0.3",
        "type=你好",
        &closed,
    ];
    let client = [
        prompt.as_str(),
        "pause=0.3",
        "type=hi",
        &heard_hello,
        "pause=0.3",
    ];
    let (server, client) = chat(&server, &[&client[..], ending].concat());
    for session in [&server, &client] {
        session.assert_done();
        session.assert_tidy();
    }
    (server, client)
}

#[test]
fn a_chat_ended_by_0_leaves_both_terminals_tidy() {
    hi_then_hello(&["type=0"]);
}

#[test]
fn a_chat_ended_by_ctrl_d_leaves_both_terminals_tidy() {
    let prompt_again = waits(&format!("bye\r\n{PROMPT}"));
    let (_, client) = hi_then_hello(&["type=bye", &prompt_again, "pause=0.3", "eof"]);
    // Ctrl-D at the prompt: the prompt stays alone on its line.
    assert_eq!(
        client.screen.last().map(String::as_str),
        Some(PROMPT),
        "{}",
        client.report()
    );
}

#[test]
fn a_notice_that_arrives_at_a_prompt_starts_a_new_line() {
    // The client has typed a line and shows its prompt again when the
    // server's person presses Ctrl-D: the client's notice comes then.
    let heard_bye = waits(&format!("{RECEIVED}bye"));
    let heard_hello = waits(&format!("{RECEIVED}你好"));
    let prompt_again = format!("bye\r\n{PROMPT}");
    let (server, client) = chat(
        &[
            &waits(PROMPT),
            "pause=0.3",
            "type=你好",
            &heard_bye,
            "pause=0.3",
            "eof",
        ],
        &[
            &heard_hello,
            "pause=0.3",
            "type=bye",
            &waits(&prompt_again),
            &waits(PEER_CLOSED),
        ],
    );
    for session in [&server, &client] {
        session.assert_done();
        session.assert_tidy();
    }
    let notice = client
        .screen
        .iter()
        .position(|line| line.contains(PEER_CLOSED))
        .unwrap_or_else(|| panic!("no notice\n{}", client.report()));
    assert_eq!(
        client.screen[notice - 1],
        PROMPT,
        "the notice is not on the line after the prompt\n{}",
        client.report()
    );
}

/// A person who types their line 3 s after tcp-client connected.
fn a_slow_line_to(server: Command) {
    let (_server, addr) = Proc::server(server);
    let session = finish(Proc::start(on_terminal(
        // The 3 s pause is the input: a person typing slowly.
        &[&waits(TCP_PROMPT), "pause=3", "type=hello"],
        "tcp-client",
        &[addr.to_string()],
    )));
    session.assert_done();
    session.assert_tidy();
    assert!(
        session.screen.iter().any(|line| line == "hello world"),
        "{}",
        session.report()
    );
}

#[test]
fn a_line_typed_3_s_after_connecting_gets_the_python_servers_reply() {
    a_slow_line_to(python("hello_server.py"));
}

#[test]
fn a_line_typed_3_s_after_connecting_gets_the_rust_servers_reply() {
    a_slow_line_to(rust("hello-server"));
}
