//! The steps of a check. The tutorial's steps are the pairing's scripted
//! runs in the table (`pairings.rs`, the first `tutorial` of them) with the
//! reader's program in its part; the further steps are what real use
//! brings, written here: a slow typist and a browser's idle socket
//! (hello-server), the other side closing (the chats), input that is no
//! number (udp-server), no partner at all (the clients), no traceback.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use listing_support::builtins::bytes_repr;

use super::{Check, Failed, Kind, STEP};
use crate::harness::{find, Printed};
use crate::out;
use crate::pairings::{get_request, Role, Step, HELLO_REPLY, RECEIVED};

/// Runs every step of `check`'s program, each printing its line. A run
/// in which the reader's server closes a connection first comes last: its
/// port stays held for a minute (TIME_WAIT), which the listing's next
/// `bind` (no SO_REUSEADDR) would meet.
pub fn run(check: &mut Check) {
    let pairing = check.pairing;
    if check.program.name == "chat-server" {
        // Run first, shown after the tutorial's steps.
        check.held = Some(String::new());
        further(check);
    }
    let held = check.held.take();
    for (run, steps) in pairing.runs[..pairing.tutorial].iter().enumerate() {
        if pairing.tutorial > 1 {
            check.say(&format!("  第 {} 轮 / run {}\n", run + 1, run + 1));
        }
        tutorial_run(check, steps);
    }
    match held {
        Some(held) => out(&held),
        None => further(check),
    }
    check.restart();
    let stderr = check.stderr.clone();
    check.step(
        Kind::Further,
        "stderr 上没有错误和 traceback / no error or traceback on stderr",
        |_| {
            // Python's last line of a traceback (or of a syntax error)
            // names the error, `NameError: …`; Rust's says `panicked`.
            let error = |line: &&str| {
                let name = line.split(':').next().unwrap_or_default();
                let python = name.ends_with("Error") || name.ends_with("Exception");
                python && !name.contains(' ') || line.contains("panicked")
            };
            match stderr.lines().find(error) {
                Some(line) => Err(Failed::Said(format!("stderr: {line}"))),
                None => Ok(()),
            }
        },
    );
}

/// One run of the table's session, the reader's program in its part:
/// each step one line (ours getting ready before theirs starts is no
/// step of theirs: it shows only if it fails); after a failed step the
/// rest of the run is skipped.
fn tutorial_run(check: &mut Check, steps: &[Step]) {
    check.restart();
    let mut steps = steps.iter().peekable();
    while let Some(&step) = steps.next() {
        // A GET, what it prints and its reply are one step.
        if let Step::Get = step {
            while steps.next_if(|step| !matches!(step, Step::Reply)).is_some() {}
            steps.next();
        }
        let Some(name) = describe(check, step) else {
            if let Err(failed) = play(check, step) {
                check.step(Kind::Tutorial, "对方准备 / ours gets ready", |_| Err(failed));
                return;
            }
            continue;
        };
        if !check.step(Kind::Tutorial, &name, |check| play(check, step)) {
            check.say("      （这一轮后面的步骤跳过 / the rest of this run is skipped）\n");
            return;
        }
    }
}

/// A step's line (中文 / English); `None` for ours getting ready before
/// theirs starts, and for a server stopped.
fn describe(check: &Check, step: Step) -> Option<String> {
    let yours = |role: Role| role == check.role;
    let started = check.theirs.is_some();
    let shown = |text: &str| text.trim_end_matches('\n').escape_debug().to_string();
    Some(match step {
        Step::Start(role) if yours(role) => "你的程序启动 / your program starts".into(),
        Step::Start(_) if started => "对方启动 / ours starts".into(),
        Step::Prints(role, pieces) if yours(role) => {
            format!("你的程序打印 / yours prints「{}」", shown(&pieces.concat()))
        }
        Step::Prints(_, pieces) if started => {
            format!("对方打印 / ours prints「{}」", shown(&pieces.concat()))
        }
        Step::Types(role, line) if yours(role) => format!("你的程序读一行 / yours reads「{line}」"),
        Step::Types(_, line) => format!("对方读一行 / ours reads「{line}」"),
        Step::Says(role, line) if yours(role) => {
            format!("你的程序发送，对方打印 / yours sends「{line}」, ours prints it")
        }
        Step::Says(_, line) => {
            format!("对方发送，你的程序打印 / ours sends「{line}」, yours prints it")
        }
        Step::Get | Step::Reply => {
            "浏览器的请求：回复和打印 / a browser's GET: the reply, the print".into()
        }
        Step::Exits(role, code) | Step::ExitsUnlikeTheListing(role, code) if yours(role) => {
            format!("你的程序以 {code} 结束 / yours exits {code}")
        }
        Step::Exits(_, code) | Step::ExitsUnlikeTheListing(_, code) => {
            format!("对方以 {code} 结束 / ours exits {code}")
        }
        Step::Pause(ms) => format!("停 {ms} 毫秒 / a pause of {ms} ms"),
        _ => return None,
    })
}

/// Plays one step of the table's session.
fn play(check: &mut Check, step: Step) -> Result<(), Failed> {
    let ours_is = check.role;
    let theirs = move |role: Role| role == ours_is;
    match step {
        Step::Start(role) if theirs(role) => check.start_theirs(),
        Step::Start(_) => start_ours(check),
        Step::Prints(role, pieces) => expect(check, theirs(role), &pieces.concat()),
        Step::Types(role, line) => type_line(check, theirs(role), line),
        Step::Says(role, line) => {
            type_line(check, theirs(role), line)?;
            expect(check, !theirs(role), &format!("{RECEIVED}{line}\n"))
        }
        Step::Get | Step::Reply => browser_get(check),
        Step::Exits(role, code) | Step::ExitsUnlikeTheListing(role, code) => {
            exits(check, theirs(role), code)
        }
        Step::Pause(ms) => {
            // The pause is the input: a person taking their time.
            std::thread::sleep(Duration::from_millis(ms));
            Ok(())
        }
        Step::Stopped(_) => Ok(()),
    }
}

/// Starts our program of the pairing. Against a server of theirs, ours
/// (a client) is started again while it finds nothing listening yet.
fn start_ours(check: &mut Check) -> Result<(), Failed> {
    let ours =
        check.pairing.program(check.role.other()).ok_or(Failed::Said("no program".into()))?;
    let deadline = Instant::now() + STEP;
    loop {
        check.start_ours(ours)?;
        if check.role == Role::Client || ours.name != "chat-client" {
            return Ok(());
        }
        let ours_process = check.ours.as_mut().ok_or(Failed::Said("no program".into()))?;
        let connected =
            |printed: &Printed| !printed.stdout.is_empty() || !printed.stderr.is_empty();
        let _ = ours_process.wait_for("", STEP, connected);
        let refused = ours_process.stderr_text().contains("请先启动");
        if !refused || Instant::now() > deadline {
            return if refused { Err(Failed::Said(not_listening(check))) } else { Ok(()) };
        }
        std::thread::sleep(Duration::from_millis(100)); // a poll: is their server up yet?
    }
}

fn not_listening(check: &Check) -> String {
    format!(
        "你的服务器没有在 {} 上监听 / your server is not listening on {}",
        check.addr, check.addr
    )
}

/// Waits until `text` is printed (by their program or ours) after what
/// earlier expectations matched; shows what came instead on failure.
fn expect(check: &mut Check, theirs: bool, text: &str) -> Result<(), Failed> {
    let cursor = check.cursor[usize::from(theirs)];
    let needle = text.as_bytes().to_vec();
    let found =
        move |printed: &Printed| find(printed.stdout.get(cursor..).unwrap_or_default(), &needle);
    let waited = if theirs {
        check.wait_theirs(STEP, |printed| found(printed).is_some())
    } else {
        let ours = check.ours.as_ref().ok_or(Failed::Said("no program".into()))?;
        ours.wait_for("", STEP, |printed| found(printed).is_some())
            .map_err(|_| Failed::Said(String::new()))
    };
    let process = if theirs { check.theirs.as_ref() } else { check.ours.as_ref() };
    let printed = process.map(|process| process.stdout()).unwrap_or_default();
    match (waited, find(printed.get(cursor..).unwrap_or_default(), text.as_bytes())) {
        (Ok(()), Some(at)) => {
            check.cursor[usize::from(theirs)] = cursor + at + text.len();
            Ok(())
        }
        (waited, _) => {
            let got = printed.get(cursor..).unwrap_or_default().to_vec();
            let said = match waited {
                Err(Failed::Said(said)) if !said.is_empty() => Some(said),
                _ => None,
            };
            match said {
                Some(said) if got.is_empty() => Err(Failed::Said(said)),
                _ => Err(Failed::Differs { expected: text.as_bytes().to_vec(), got }),
            }
        }
    }
}

/// Waits for the side's next prompt, then types `line`.
fn type_line(check: &mut Check, theirs: bool, line: &str) -> Result<(), Failed> {
    let program = if theirs {
        check.program
    } else {
        check.pairing.program(check.role.other()).unwrap_or(check.program)
    };
    check.typed[usize::from(theirs)] += 1;
    let (count, prompt) = (check.typed[usize::from(theirs)], program.prompt.unwrap_or_default());
    let prompted = move |printed: &Printed| {
        crate::harness::occurrences(&printed.stdout, prompt.as_bytes()) >= count
    };
    if theirs {
        check
            .wait_theirs(STEP, prompted)
            .map_err(|_| Failed::Said(format!("没有显示提示 / no prompt \"{prompt}\"")))?;
    }
    let process = if theirs { check.theirs.as_mut() } else { check.ours.as_mut() };
    let process = process.ok_or(Failed::Said("no program".into()))?;
    if !theirs {
        process.wait_for("the prompt", STEP, prompted)?;
    }
    Ok(process.type_in(format!("{line}\n").as_bytes())?)
}

/// A browser's GET (which then says it sends nothing more): the reply must
/// be the listing's, byte for byte, and their server must print the
/// request as `print(data)` shows it.
fn browser_get(check: &mut Check) -> Result<(), Failed> {
    let request = get_request(&check.addr, "xtask-check");
    let mut stream = connect(check)?;
    let sent = stream.write_all(request.as_bytes()).and_then(|()| stream.shutdown(Shutdown::Write));
    sent.map_err(|error| Failed::Said(format!("发送失败 / send failed: {error}")))?;
    let reply = read_reply(&mut stream)?;
    if reply != HELLO_REPLY.as_bytes() {
        return Err(Failed::Differs { expected: HELLO_REPLY.as_bytes().to_vec(), got: reply });
    }
    expect(check, true, &format!("{}\n", bytes_repr(request.as_bytes())))
}

/// Connects to their server, again while nothing listens yet and their
/// program still runs.
fn connect(check: &mut Check) -> Result<TcpStream, Failed> {
    let deadline = Instant::now() + STEP;
    loop {
        let running = check.theirs.as_mut().is_some_and(|theirs| theirs.exited().is_none());
        match TcpStream::connect(&check.addr) {
            Ok(stream) => return Ok(stream),
            Err(_) if running && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100))
            } // a poll
            Err(error) => return Err(Failed::Said(format!("{}: {error}", not_listening(check)))),
        }
    }
}

/// The whole reply, to the server's end of stream, within a step's time.
fn read_reply(stream: &mut TcpStream) -> Result<Vec<u8>, Failed> {
    let mut reply = Vec::new();
    let read = stream.set_read_timeout(Some(STEP)).and_then(|()| stream.read_to_end(&mut reply));
    match read {
        Ok(_) => Ok(reply),
        Err(_) if reply.is_empty() => Err(Failed::Said(format!(
            "{} 秒内没有回复 / no reply within {} s",
            STEP.as_secs(),
            STEP.as_secs()
        ))),
        Err(_) => Err(Failed::Differs { expected: HELLO_REPLY.as_bytes().to_vec(), got: reply }),
    }
}

/// Waits for the side to exit with `code`.
fn exits(check: &mut Check, theirs: bool, code: i32) -> Result<(), Failed> {
    if theirs {
        check.wait_theirs(STEP, |_| false).or_else(|failed| match failed {
            Failed::Said(said) if said.contains("已经结束") => Ok(()),
            Failed::Said(said) if said.contains("没有等到") => Err(Failed::Said(format!(
                "{} 秒后还在运行 / still running after {} s",
                STEP.as_secs(),
                STEP.as_secs()
            ))),
            other => Err(other),
        })?;
    }
    let process = if theirs { check.theirs.as_mut() } else { check.ours.as_mut() };
    let process = process.ok_or(Failed::Said("no program".into()))?;
    let status = process.try_wait_exit(STEP).ok_or(Failed::Said(format!(
        "{} 秒后还在运行 / still running after {} s",
        STEP.as_secs(),
        STEP.as_secs()
    )))?;
    match status.code() {
        Some(exited) if exited == code => Ok(()),
        _ => Err(Failed::Said(format!(
            "以 {status} 结束，不是 {code} / ended with {status}, not {code}"
        ))),
    }
}

/// The further steps of `check`'s program.
fn further(check: &mut Check) {
    let step = |check: &mut Check, name: &str, run: fn(&mut Check) -> Result<(), Failed>| {
        check.restart();
        check.step(Kind::Further, name, run);
    };
    match check.program.name {
        "hello-server" => {
            check.restart();
            let _ = check.start_theirs();
            check.step(
                Kind::Further,
                "打字慢的人不耽误别人 / a slow typist delays nobody",
                slow_typist,
            );
            check.step(
                Kind::Further,
                "浏览器的空闲连接不挡住请求 / a browser's idle socket blocks no one",
                idle_socket,
            );
        }
        "tcp-client" => {
            step(check, "空行也得到回复 / an empty line still gets its reply", empty_line);
            step(check, "没有服务器时说明并结束 / no server: it says so and ends", no_partner);
        }
        "chat-server" | "chat-client" => {
            step(
                check,
                "对方关闭后结束，不空转 / it ends when the other side has gone",
                other_side_closes,
            );
            if check.role == Role::Client {
                step(check, "没有服务器时说明并结束 / no server: it says so and ends", no_partner);
            }
        }
        "udp-server" => step(
            check,
            "不是数字时回复错误，不崩溃 / input that is no number gets an answer",
            not_a_number,
        ),
        _ => step(
            check,
            "没有服务器时说明并结束，不卡住 / no server: it says so, no hang",
            no_partner,
        ),
    }
}

/// While one client is silent (a person typing), another is served; the
/// typist's line, 3 s later, is answered too.
fn slow_typist(check: &mut Check) -> Result<(), Failed> {
    let mut typist = connect(check)?;
    let started = Instant::now();
    browser_get(check).map_err(|_| {
        Failed::Said("有人在打字时，别的请求没有得到回复 / no reply while someone typed".into())
    })?;
    // The pause is the input: a person typing for 3 s after connecting.
    std::thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));
    let _ = typist.write_all(b"typed after 3 s\n").and_then(|()| typist.shutdown(Shutdown::Write));
    let reply = read_reply(&mut typist)?;
    match reply == HELLO_REPLY.as_bytes() {
        true => Ok(()),
        false => Err(Failed::Differs { expected: HELLO_REPLY.as_bytes().to_vec(), got: reply }),
    }
}

/// A connection that never speaks (a browser opens one ahead): the next
/// request is served all the same.
fn idle_socket(check: &mut Check) -> Result<(), Failed> {
    let idle = connect(check)?;
    let served = browser_get(check);
    drop(idle);
    served.map_err(|_| {
        Failed::Said("一个空闲连接挡住了请求 / an idle connection held up the request".into())
    })
}

/// An empty line sends nothing: the client must still end its request.
fn empty_line(check: &mut Check) -> Result<(), Failed> {
    start_ours(check)?;
    check.start_theirs()?;
    type_line(check, true, "")?;
    expect(check, true, &format!("{RECEIVED}{HELLO_REPLY}\n"))
}

/// No server at all: the client says so and ends, within a step's time.
fn no_partner(check: &mut Check) -> Result<(), Failed> {
    check.start_theirs()?;
    let theirs = check.theirs.as_mut().ok_or(Failed::Said("no program".into()))?;
    let _ = theirs.type_in(b"37\n");
    match theirs.try_wait_exit(STEP) {
        Some(_) => Ok(()),
        None => Err(Failed::Said(format!(
            "没有服务器时，{} 秒后还在等 / still waiting after {} s",
            STEP.as_secs(),
            STEP.as_secs()
        ))),
    }
}

/// Ours ends the chat (`0`): theirs must end too, not print empty
/// messages for ever.
fn other_side_closes(check: &mut Check) -> Result<(), Failed> {
    if check.role == Role::Server {
        check.start_theirs()?;
        start_ours(check)?;
    } else {
        start_ours(check)?;
        check.start_theirs()?;
    }
    expect(check, false, if check.role == Role::Server { "已连接" } else { "连接已经建立" })?;
    type_line(check, false, "0")?;
    exits(check, true, 0).or_else(|failed| match failed {
        Failed::Said(said) if said.contains("不是 0") => Ok(()),
        other => Err(other),
    })
}

/// `abc` is no temperature: their server must answer (ours then prints
/// the answer and ends) rather than die and leave the client waiting.
fn not_a_number(check: &mut Check) -> Result<(), Failed> {
    check.start_theirs()?;
    check.wait_theirs(STEP, |printed| !printed.stdout.is_empty())?;
    let ours = check.pairing.program(Role::Client).ok_or(Failed::Said("no program".into()))?;
    check.start_ours(ours)?;
    let process = check.ours.as_mut().ok_or(Failed::Said("no program".into()))?;
    process.type_in(b"abc\n")?;
    let status = process.try_wait_exit(STEP + STEP);
    match status.and_then(|status| status.code()) {
        Some(0) => Ok(()),
        _ => Err(Failed::Said(
            "对方的 udp-client 没有收到回复 / our udp-client got no answer".into(),
        )),
    }
}
