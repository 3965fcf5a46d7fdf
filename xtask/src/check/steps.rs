//! The steps of a check: the pairing's tutorial runs, then the further ones, then no traceback.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use listing_support::builtins::bytes_repr;

use super::{Check, Failed, OURS, STEP, THEIRS};
use crate::harness::{occurrences, Printed};
use crate::out;
use crate::pairings::{get_request, Role, Step, HELLO_REPLY, RECEIVED};
use crate::text::cut;

/// Runs every step; chat-server's further ones first (its tutorial run leaves the port held).
pub fn run(check: &mut Check) {
    let pairing = check.pairing;
    check.held_back = (check.program.name == "chat-server").then(String::new);
    if check.held_back.is_some() {
        further(check);
    }
    let held = check.held_back.take();
    for (run, steps) in pairing.runs[..pairing.tutorial].iter().enumerate() {
        if pairing.tutorial > 1 {
            check.say(&format!("  第 {0} 轮 / run {0}\n", run + 1));
        }
        tutorial(check, steps);
    }
    held.map_or_else(|| further(check), |held| out(&held));
    check.restart();
    let stderr = check.stderr.clone();
    let name = "stderr 上没有错误和 traceback / no error or traceback on stderr";
    check.step(true, name, |_| {
        // Python's traceback ends naming the error, `NameError: …`; Rust's says `panicked`.
        let error = |line: &&str| {
            let name = line.split(':').next().unwrap_or_default();
            (name.ends_with("Error") || name.ends_with("Exception")) && !name.contains(' ')
                || line.contains("panicked")
        };
        stderr.lines().find(error).map_or(Ok(()), |line| Err(format!("stderr: {line}").into()))
    });
}

/// One tutorial run, a line a step (ours getting ready only if it fails), up to a failed one.
fn tutorial(check: &mut Check, steps: &[Step]) {
    check.restart();
    let mut steps = steps.iter().peekable();
    while let Some(&step) = steps.next() {
        // A GET, what it prints and its reply are one step.
        if let Step::Get = step {
            while steps.next_if(|step| !matches!(step, Step::Reply)).is_some() {}
        }
        let passed = match describe(check, step) {
            Some(name) => check.step(false, &name, |check| play(check, step)),
            None => match play(check, step) {
                Err(failed) => check.step(false, "对方准备 / ours gets ready", |_| Err(failed)),
                Ok(()) => true,
            },
        };
        if !passed {
            // Why a halted check cannot go on is said once, at the end.
            let skipped = "      （这一轮后面的步骤跳过 / the rest of this run is skipped）\n";
            return check.say(if check.halted.is_some() { "" } else { skipped });
        }
    }
}

/// A step's name; `None` for ours getting ready before theirs starts, and the unnamed steps.
fn describe(check: &Check, step: Step) -> Option<String> {
    // What is printed, cut to keep the step's line within 80 columns.
    let shown = |pieces: &[&str]| cut(&visible(pieces.concat().trim_end_matches('\n')), 27);
    let (role, zh, en) = match step {
        Step::Start(role) => (role, "启动".to_string(), "starts".to_string()),
        Step::Prints(role, text) => (role, format!("打印「{}」", shown(text)), "prints it".into()),
        Step::Types(role, line) => {
            (role, format!("读一行「{}」", cut(line, 27)), "reads it".into())
        }
        Step::Says(role, line) => {
            (role, format!("发送「{}」，另一方打印", cut(line, 20)), "sends it".into())
        }
        Step::Exits(role, code) | Step::ExitsUnlikeTheListing(role, code) => {
            (role, format!("以 {code} 结束"), format!("exits {code}"))
        }
        Step::Get => {
            return Some("浏览器的请求：回复和打印 / a browser's GET: reply, print".into())
        }
        _ => return None,
    };
    let (yours, started) = (role == check.role, check.sides[THEIRS].process.is_some());
    let ready = matches!(step, Step::Start(_) | Step::Prints(..)) && !yours && !started;
    let (who, whose) = if yours { ("你的程序", "yours") } else { ("对方", "ours") };
    (!ready).then(|| format!("{who}{zh} / {whose} {en}"))
}

/// Plays one step of the table's session: theirs where the step's part is the reader's.
fn play(check: &mut Check, step: Step) -> Result<(), Failed> {
    let role = check.role;
    let side = move |part: Role| if part == role { THEIRS } else { OURS };
    match step {
        // Our client, started again while their server does not listen yet.
        Step::Start(part) if side(part) == OURS && role == Role::Server => {
            until_listening(check, |check| {
                check.start(OURS)?;
                let said =
                    |printed: &Printed| !printed.stdout.is_empty() || !printed.stderr.is_empty();
                let _ = check.wait(OURS, said);
                let ours = check.sides[OURS].process.as_ref().map(|ours| ours.stderr_text());
                Ok((!ours.unwrap_or_default().contains("请先启动")).then_some(()))
            })
        }
        Step::Start(part) => check.start(side(part)),
        Step::Prints(part, pieces) => expect(check, side(part), &pieces.concat()),
        Step::Types(part, line) => type_line(check, side(part), line),
        Step::Says(part, line) => {
            type_line(check, side(part), line)?;
            expect(check, 1 - side(part), &format!("{RECEIVED}{line}\n"))
        }
        Step::Get | Step::Reply => browser_get(check),
        Step::Exits(part, code) | Step::ExitsUnlikeTheListing(part, code) => {
            exits(check, side(part), Some(code))
        }
        Step::Pause(ms) => {
            // The pause is the input: a person taking their time.
            std::thread::sleep(Duration::from_millis(ms));
            Ok(())
        }
        Step::Connects => {
            until_listening(check, connect).map(|client| check.silent_client = Some(client))
        }
        Step::SendsLate(line) => {
            let mut client = check.silent_client.take().ok_or("?".to_string())?;
            let sent = client.write_all(format!("{line}\n").as_bytes());
            sent.and_then(|()| client.shutdown(Shutdown::Write)).map_err(|e| e.to_string())?;
            read_reply(&mut client, false)
        }
        Step::Ends(part) => exits(check, side(part), None),
        Step::Stopped(_) => Ok(()),
    }
}

/// `attempt` again every 0.1 s while their server does not listen yet, runs, and time is left.
fn until_listening<T>(
    check: &mut Check,
    mut attempt: impl FnMut(&mut Check) -> Result<Option<T>, Failed>,
) -> Result<T, Failed> {
    let young = check.sides[THEIRS].young;
    let deadline = young.into_iter().fold(Instant::now() + STEP, Instant::max);
    loop {
        if let Some(done) = attempt(check)? {
            return Ok(done);
        }
        let running = check.sides[THEIRS].process.as_mut().is_some_and(|p| p.exited().is_none());
        if !running || Instant::now() > deadline {
            let addr = &check.addr;
            let said =
                format!("你的服务器没有在 {addr} 上监听 / your server is not listening on {addr}");
            return Err(said.into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A connection to their server, if it listens.
fn connect(check: &mut Check) -> Result<Option<TcpStream>, Failed> {
    Ok(TcpStream::connect(&check.addr).ok())
}

/// Waits until the side prints `text` after what it printed before; else, what came instead.
fn expect(check: &mut Check, side: usize, text: &str) -> Result<(), Failed> {
    let (cursor, expected) = (check.sides[side].cursor, text.as_bytes());
    let prompt = check.sides[side].prompt.as_bytes();
    let end =
        move |out: &[u8]| find_around(out.get(cursor..).unwrap_or_default(), expected, prompt);
    let wrong =
        move |out: &[u8]| printed_wrong(out.get(cursor..).unwrap_or_default(), expected, prompt);
    let done = check.wait(side, |p| end(&p.stdout).is_some() || wrong(&p.stdout))?;
    let process = check.sides[side].process.as_mut();
    let printed = process.as_ref().map(|process| process.stdout()).unwrap_or_default();
    let ended = process.is_none_or(|process| process.exited().is_some());
    let got = printed.get(cursor..).unwrap_or_default().to_vec();
    match end(&printed) {
        Some(end) if done => {
            check.sides[side].cursor = cursor + end;
            Ok(())
        }
        _ if got.is_empty() && ended => {
            Err("程序已经结束 / the program has ended".to_string().into())
        }
        _ => Err(Failed::Differs { expected: text.into(), got }),
    }
}

/// Whether a whole line (prompts taken out) starts as expected, then differs: no need to wait on.
fn printed_wrong(printed: &[u8], expected: &[u8], prompt: &[u8]) -> bool {
    let prompt = String::from_utf8_lossy(prompt);
    let lines = printed.split_inclusive(|&byte| byte == b'\n').filter(|line| line.ends_with(b"\n"));
    lines.map(|line| String::from_utf8_lossy(line).replace(&*prompt, "")).any(|line| {
        let same = line.bytes().zip(expected).take_while(|(a, b)| a == *b).count();
        same >= 3.min(expected.len()) && same < line.len() && same < expected.len()
    })
}

/// Where `needle` ends in `haystack`, maybe with a prompt between pieces of an unbuffered print.
fn find_around(haystack: &[u8], needle: &[u8], prompt: &[u8]) -> Option<usize> {
    (0..haystack.len()).find_map(|start| {
        let (mut at, mut matched) = (start, 0);
        while matched < needle.len() {
            if matched > 0 && !prompt.is_empty() && haystack[at..].starts_with(prompt) {
                at += prompt.len();
            } else if haystack.get(at) == Some(&needle[matched]) {
                (at, matched) = (at + 1, matched + 1);
            } else {
                return None;
            }
        }
        Some(at)
    })
}

/// Waits for the side's next prompt, then types `line`.
fn type_line(check: &mut Check, side: usize, line: &str) -> Result<(), Failed> {
    let (prompt, count) = (check.sides[side].prompt, check.sides[side].typed + 1);
    let prompted =
        move |printed: &Printed| occurrences(&printed.stdout, prompt.as_bytes()) >= count;
    if check.wait(side, prompted).ok() != Some(true) {
        return Err(format!("没有显示提示 / no prompt「{prompt}」").into());
    }
    check.sides[side].typed = count;
    let process = check.sides[side].process.as_mut().ok_or("?".to_string())?;
    Ok(process.type_in(format!("{line}\n").as_bytes())?)
}

/// A browser's GET: the reply must be the listing's, and the request printed as `print(data)`.
fn browser_get(check: &mut Check) -> Result<(), Failed> {
    let request = get_request(&check.addr, "xtask-check");
    let mut stream = until_listening(check, connect)?;
    let sent = stream.write_all(request.as_bytes()).and_then(|()| stream.shutdown(Shutdown::Write));
    sent.map_err(|error| format!("发送失败 / send failed: {error}"))?;
    read_reply(&mut stream, check.silent_client.is_some())?;
    expect(check, THEIRS, &format!("{}\n", bytes_repr(request.as_bytes())))
}

/// The reply to its end, within a step's time: the listing's, or a failure.
fn read_reply(stream: &mut TcpStream, silent: bool) -> Result<(), Failed> {
    let mut reply = Vec::new();
    let read = stream.set_read_timeout(Some(STEP)).and_then(|()| stream.read_to_end(&mut reply));
    let secs = STEP.as_secs();
    let no_reply = match silent {
        true => {
            format!("有客户端不说话，别的请求 {secs} 秒内没有得到回复 / held up by a silent client")
        }
        false => format!("{secs} 秒内没有回复 / no reply in {secs} s"),
    };
    match (read, reply == HELLO_REPLY.as_bytes()) {
        (Ok(_), true) => Ok(()),
        (Err(_), _) if reply.is_empty() => Err(no_reply.into()),
        _ => Err(Failed::Differs { expected: HELLO_REPLY.into(), got: reply }),
    }
}

/// Waits for the side to exit with `code` (any code, `None`).
fn exits(check: &mut Check, side: usize, code: Option<i32>) -> Result<(), Failed> {
    check.wait(side, |_| false)?;
    let process = check.sides[side].process.as_mut();
    let still = format!("{0} 秒后还在运行 / still running after {0} s", STEP.as_secs());
    let status = process.and_then(|process| process.try_wait_exit(Duration::ZERO)).ok_or(still)?;
    let Some(code) = code.filter(|&code| status.code() != Some(code)) else { return Ok(()) };
    Err(format!("以 {status} 结束，不是 {code} / ended with {status}, not {code}").into())
}

/// The further runs for the reader's part, a step each, fresh where it starts their program.
fn further(check: &mut Check) {
    let (role, further) = (check.role, check.pairing.further);
    for &(_, name, steps) in further.iter().filter(|run| run.0 == role) {
        if steps.iter().any(|step| matches!(step, Step::Start(part) if *part == role)) {
            check.restart();
        }
        let (kept, no_server) = (check.stderr.len(), name.contains("没有服务器"));
        check.step(true, name, |check| {
            steps.iter().try_for_each(|&step| play(check, step))?;
            // With no server, a client must say so (a traceback will do), not die of another thing.
            let theirs = check.sides[THEIRS].process.as_ref();
            let said = theirs.map(|p| p.stderr_text() + &p.stdout_text()).unwrap_or_default();
            let words = ["refused", "拒绝", "timed out", "超时", "没有", "10061"];
            let unsaid =
                "结束了，但没有说明连接失败 / it ended without saying the connection failed";
            let refused = !no_server || words.iter().any(|word| said.contains(word));
            refused.then_some(()).ok_or_else(|| Failed::Said(unsaid.into()))
        });
        // The refusal it was meant to meet is no error of the program's.
        if no_server {
            check.restart();
            check.stderr.truncate(kept);
        }
    }
}

/// `text` with control characters as escapes (`\r\n`), the rest as Python printed it.
pub fn visible(text: &str) -> String {
    let escaped = |ch: char| match ch {
        '\n' | '\r' | '\t' => ch.escape_default().to_string(),
        ch if ch.is_control() => format!("\\x{:02x}", u32::from(ch)),
        ch => ch.to_string(),
    };
    text.chars().map(escaped).collect()
}

#[cfg(test)]
mod tests {
    use super::{find_around, printed_wrong};

    #[test]
    fn a_printed_line_is_found_across_a_prompt_between_its_pieces() {
        let prompt = "请输入要发送的数据:".as_bytes();
        let found = |haystack: &str, needle: &str| {
            find_around(haystack.as_bytes(), needle.as_bytes(), prompt)
        };
        assert_eq!(
            found("接收到的数据为: 0\n", "接收到的数据为: 0\n"),
            Some("接收到的数据为: 0\n".len())
        );
        let split = "请输入要发送的数据:接收到的数据为:请输入要发送的数据: 0\n";
        assert_eq!(found(split, "接收到的数据为: 0\n"), Some(split.len()));
        assert_eq!(found("接收到的数据为: 1\n", "接收到的数据为: 0\n"), None);
        assert_eq!(find_around(b"b'GET'\n", b"GET", b""), Some(5));
    }

    #[test]
    fn a_whole_line_that_starts_right_and_then_differs_is_wrong_at_once() {
        let prompt = "请输入要发送的数据".as_bytes();
        let wrong = |printed: &str, expected: &str| {
            printed_wrong(printed.as_bytes(), expected.as_bytes(), prompt)
        };
        assert!(wrong("绑定UDP到8889端口\n", "绑定UDP到8888端口\n"));
        assert!(wrong("绑定UDP到8888端口：\n", "绑定UDP到8888端口\n"));
        assert!(wrong("请输入要发送的数据接收到的数据为： x\n", "接收到的数据为: x\n"));
        assert!(wrong("Received from 127.0.0.1:5.\n", "Recrived from "));
        // Not yet whole, a prompt between the pieces, or another line.
        assert!(!wrong("绑定UDP到8889端口", "绑定UDP到8888端口\n"));
        assert!(!wrong("接收到的数据为:请输入要发送的数据 x\n", "接收到的数据为: x\n"));
        assert!(!wrong("hello\n", "接收到的数据为: x\n"));
        assert!(!wrong(
            "接收到的数据为: HTTP/1.1 200 OK\r\n",
            "接收到的数据为: HTTP/1.1 200 OK\r\n\r\nhello\n"
        ));
    }
}
