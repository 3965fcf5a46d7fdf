//! `cargo xtask bench`: the release programs against the tutorial's Python
//! listings (the peers in `tests/peers`), on this machine, in one run, as
//! one table of medians. What each row measures, and how to read it, is in
//! `xtask/README.md`.

mod cost;
mod linux;
mod load;

use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{run_to_end, wrapped, Process, Programs, HANG_GUARD};
use crate::pairings::{self, Role, CHAT_CLIENT_CONNECTED, CHAT_PROMPT, PROGRAMS, RECEIVED, UDP};
use crate::text::{pad, width};
use crate::workspace::{self, root as workspace_root};
use crate::{out, TaskError};

pub const HELP: &str = "\
cargo xtask bench [--quick] [options]

用 release 构建六个程序，在这台机器上测量，打印两张中位数的表（每行测什么见 xtask/README.md）：
先是 hello-server 一个请求的代价，在 1、8、64 个并发客户端下与「裸循环」（只做教程那个循环的
Rust 程序，这种设计的下限）和教程的 Python 程序比较；再是其余程序与 Python 程序的比较，两边轮流
先跑。数字随机器和每次运行而变：看比值，不看绝对值。

Builds the six programs in release, measures them on this machine and
prints two tables of medians (xtask/README.md tells what each row
measures): first the cost of one hello-server request at 1, 8 and 64
concurrent clients, against the bare loop (the listing's loop in Rust and
nothing else: the least this design can cost) and the tutorial's Python
listing; then the other programs against the Python listings, the sides
taking turns going first. The figures vary with the machine and the run:
read the ratios, not the absolute values.

  --quick                少一些轮数和请求（编译之后不到一分钟）
                         fewer rounds and requests (under a minute after the build)
  --rounds N             轮数 rounds                              (7; quick 3)
  --requests N           每次测量的 hello-server 请求数
                         hello-server requests per measurement    (20000; quick 2000)
  --starts N             每轮启动和 UDP 转换的次数
                         start-ups and UDP runs per round         (5; quick 3)
  --chat-lines N         聊天的行数 lines through the chat pair   (10000; quick 2000)
  --python PATH          运行教程程序的 Python 3
                         the Python 3 to run the listings with    (python3)
  --dev                  测 debug 构建（检查 bench 本身，数字意义不大）
                         measure the debug builds (checks the bench itself)
  --no-build             用已经构建好的程序 / use the programs already built
";

/// How long a program may take to become ready, or a run to finish.
const WAIT: Duration = HANG_GUARD;

/// Runs a Python script as `python3 script.py` would, with stdout
/// line-buffered as in a terminal (the file says why).
const AS_IN_A_TERMINAL: &str = include_str!("as_in_a_terminal.py");

struct Settings {
    rounds: usize,
    requests: usize,
    starts: usize,
    chat_lines: usize,
    dev: bool,
    build: bool,
    python: OsString,
}

impl Settings {
    fn parse(args: &[String]) -> Result<Option<Settings>, TaskError> {
        let quick = args.iter().any(|arg| arg == "--quick");
        let pick = |full, fast| if quick { fast } else { full };
        let mut settings = Settings {
            rounds: pick(7, 3),
            requests: pick(20_000, 2_000),
            starts: pick(5, 3),
            chat_lines: pick(10_000, 2_000),
            dev: false,
            build: true,
            python: "python3".into(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| TaskError::usage(format!("{arg} needs a value")))
            };
            // A count: a whole number above 0.
            let count = |text: &String| match text.parse::<usize>() {
                Ok(number) if number > 0 => Ok(number),
                _ => Err(TaskError::usage(format!(
                    "{arg} needs a number above 0: {text:?}"
                ))),
            };
            match arg.as_str() {
                "-h" | "--help" => return Ok(None),
                "--quick" => {}
                "--dev" => settings.dev = true,
                "--no-build" => settings.build = false,
                "--python" => settings.python = value()?.into(),
                "--rounds" => settings.rounds = count(value()?)?,
                "--requests" => settings.requests = count(value()?)?,
                "--starts" => settings.starts = count(value()?)?,
                "--chat-lines" => settings.chat_lines = count(value()?)?,
                other => return Err(TaskError::usage(format!("unknown bench option {other:?}"))),
            }
        }
        Ok(Some(settings))
    }

    /// A warm-up before each measured hello-server run: a twentieth of it.
    fn warmup(&self) -> usize {
        (self.requests / 20).max(20)
    }

    /// How long one hello-server run may go on sending: a server whose
    /// clients wait out TCP's retransmissions (the listing's `listen(5)`
    /// under 64 clients) would otherwise take minutes.
    fn budget(&self) -> Duration {
        Duration::from_millis(self.requests as u64).max(Duration::from_secs(2))
    }
}

/// One line on stderr saying what the bench is doing.
fn progress(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "bench: {text}");
}

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let Some(settings) = Settings::parse(args)? else {
        out(HELP);
        return Ok(());
    };
    let build = if settings.dev { "debug" } else { "release" };
    if settings.build {
        progress(&format!(
            "building the programs and the bare loop ({build})"
        ));
        let names = PROGRAMS.map(|program| program.name);
        workspace::cargo_build(|cargo| {
            cargo.arg("--bins").args(workspace::packages(names));
            if !settings.dev {
                cargo.arg("--release");
            }
        })?;
        build_bare_loop(!settings.dev)?;
    }
    let bin_dir = workspace::programs_dir(!settings.dev)?;
    for program in PROGRAMS
        .map(|program| program.name)
        .iter()
        .chain(&["bare-loop"])
    {
        workspace::built_program(&bin_dir, program)?;
    }
    let peers = workspace_root().join("tests").join("peers");
    let (python, python_version) = resolve_python(&settings.python)?;
    let sides = Sides {
        bin_dir,
        python,
        peers,
    };
    let started = Instant::now();
    let cost = cost::measure(&settings, &sides)?;
    let mut rows = vec![peak_rss_row(cost.peak_rss_kib)];
    rows.extend(startup_rows(&settings, &sides)?);
    rows.push(udp_row(&settings, &sides)?);
    rows.push(chat_row(&settings, &sides)?);
    rows.extend(size_rows(&settings, &sides));
    progress(&format!(
        "measured in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    let mut text = format!(
        "cargo xtask bench: {build} 构建，{python_version}，每项取 {0} 轮的中位数\n\
         \x20                  {build} builds, {python_version}, median of {0} rounds\n\
         机器 / machine: {1}\n\n",
        settings.rounds,
        linux::machine(),
    );
    text.push_str(&cost.table);
    text.push('\n');
    text.push_str(&table(&rows));
    out(&text);
    Ok(())
}

/// `cargo build` of the bare loop, the bench's reference server.
fn build_bare_loop(release: bool) -> Result<(), TaskError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args([
        "build",
        "--quiet",
        "--package",
        "xtask",
        "--bin",
        "bare-loop",
    ]);
    if release {
        command.arg("--release");
    }
    command.current_dir(workspace_root());
    let build = run_to_end(command, Duration::from_secs(1800))?;
    if build.status.success() {
        Ok(())
    } else {
        Err(TaskError::failed(format!(
            "cargo build of the bare loop failed ({}):\n{}",
            build.status, build.stderr
        )))
    }
}

/// The interpreter itself behind `python` (a pyenv or similar shim is a
/// shell script that would add its own start-up to every Python figure),
/// and its version.
fn resolve_python(python: &OsString) -> Result<(OsString, String), TaskError> {
    let shown = python.to_string_lossy();
    let mut command = Command::new(python);
    command.args([
        "-c",
        "import sys, platform; print(sys.version_info[0]); print(platform.python_version()); print(sys.executable)",
    ]);
    let done = run_to_end(command, WAIT)?;
    match done.stdout.lines().collect::<Vec<_>>()[..] {
        ["3", version, executable] if !executable.is_empty() => {
            Ok((executable.into(), format!("Python {version}")))
        }
        _ => Err(TaskError::failed(format!(
            "{shown} is not a working Python 3: the bench needs one (--python PATH)"
        ))),
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Side {
    Rust,
    Python,
}

/// `items` in the order they run in `round`, turning one place a round:
/// none always goes first (or on a machine warmed by another).
fn in_order<T: Copy, const N: usize>(round: usize, mut items: [T; N]) -> [T; N] {
    items.rotate_left(round % N.max(1));
    items
}

/// Both sides, in the order they run in `round`.
fn in_turn(round: usize) -> [Side; 2] {
    in_order(round, [Side::Rust, Side::Python])
}

/// Where each side's programs are.
struct Sides {
    bin_dir: PathBuf,
    python: OsString,
    peers: PathBuf,
}

impl Sides {
    /// The command that runs `program` (a crate's name) on `side`, with
    /// `arg` (an address) as its one argument.
    fn command(&self, side: Side, program: &str, arg: &str) -> Command {
        match side {
            Side::Rust => {
                let programs = Programs {
                    dir: self.bin_dir.clone(),
                    runner: None,
                };
                let mut command = programs.command(program);
                command.arg(arg);
                command
            }
            Side::Python => {
                let mut script = Command::new(self.peers.join(program.replace('-', "_") + ".py"));
                script.arg(arg).env_remove("PYTHONUNBUFFERED");
                let interpreter = [
                    self.python.as_os_str(),
                    "-c".as_ref(),
                    AS_IN_A_TERMINAL.as_ref(),
                ];
                wrapped(&interpreter, &script)
            }
        }
    }

    fn start(&self, side: Side, program: &str, arg: &str) -> Result<Process, TaskError> {
        Ok(Process::start(self.command(side, program, arg))?)
    }

    /// Starts a server on a free port; returns it once it is ready.
    fn start_server(&self, side: Side, program: &str) -> Result<(Process, SocketAddr), TaskError> {
        let server = self.start(side, program, "127.0.0.1:0")?;
        let addr = server.wait_ready()?;
        Ok((server, addr))
    }
}

/// One line of the table: a measure and what each side measured, run by
/// run (the table shows the medians), with notes printed under the table.
struct Row {
    measure: String,
    rust: Vec<f64>,
    python: Vec<f64>,
    decimals: usize,
    notes: Vec<String>,
}

impl Row {
    fn new(measure: impl Into<String>, decimals: usize) -> Row {
        let (measure, notes) = (measure.into(), Vec::new());
        let (rust, python) = (Vec::new(), Vec::new());
        Row {
            measure,
            rust,
            python,
            decimals,
            notes,
        }
    }

    fn push(&mut self, side: Side, value: Option<f64>) {
        match side {
            Side::Rust => self.rust.extend(value),
            Side::Python => self.python.extend(value),
        }
    }
}

/// The middle value (the mean of the middle two for an even count).
fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if !n.is_multiple_of(2) => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

/// `12345.6` as `12,346`, with `decimals` after the point.
fn number(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let (whole, fraction) = text.split_at(text.find('.').unwrap_or(text.len()));
    let digits = whole.trim_start_matches('-');
    let mut grouped = String::from(&whole[..whole.len() - digits.len()]);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped + fraction
}

/// The rows as one table, columns two spaces or more apart (`—` where
/// there is no value), then the rows' notes.
fn table(rows: &[Row]) -> String {
    // Display columns, not chars: the labels hold Chinese.
    let width = rows.iter().map(|row| width(&row.measure)).max();
    let line = |measure: &str, [a, b, c]: [String; 3]| {
        let measure = pad(measure, width.unwrap_or(0));
        format!("{measure}  {a:>9}  {b:>9}  {c:>11}\n")
    };
    let mut text = line(
        "项目 / measure",
        ["Rust", "Python", "Rust/Python"].map(String::from),
    );
    for row in rows {
        let shown = |value: Option<f64>| value.map_or("—".into(), |v| number(v, row.decimals));
        let (rust, python) = (median(&row.rust), median(&row.python));
        let ratio = match (rust, python) {
            (Some(rust), Some(python)) if python > 0.0 => format!("{:.2}", rust / python),
            _ => "—".into(),
        };
        text.push_str(&line(&row.measure, [shown(rust), shown(python), ratio]));
    }
    for (index, note) in rows.iter().flat_map(|row| &row.notes).enumerate() {
        text.push_str(&format!("{}* {note}\n", if index == 0 { "\n" } else { "" }));
    }
    text
}

/// hello-server's peak memory, over the cost runs at every concurrency.
fn peak_rss_row(peak_rss_kib: [Vec<f64>; 2]) -> Row {
    let mut row = Row::new("hello-server 内存峰值 / peak RSS, KiB", 0);
    let [rust, python] = peak_rss_kib;
    (row.rust, row.python) = (rust, python);
    if row.rust.is_empty() {
        row.notes
            .push("没有测量内存：这个系统没有 /proc / memory not measured: no /proc".into());
    }
    row
}

/// A row of `settings.starts` runs of `measure` (seconds) per side and
/// round, shown in milliseconds.
fn timed(
    settings: &Settings,
    measure: &str,
    mut run: impl FnMut(Side) -> Result<f64, TaskError>,
) -> Result<Row, TaskError> {
    let mut row = Row::new(format!("{measure}, ms"), 2);
    for round in 0..settings.rounds {
        progress(&format!(
            "round {}/{}: {measure}",
            round + 1,
            settings.rounds
        ));
        for side in in_turn(round) {
            for _ in 0..settings.starts {
                row.push(side, Some(run(side)? * 1e3));
            }
        }
    }
    Ok(row)
}

/// Spawn to readiness line, for each server.
fn startup_rows(settings: &Settings, sides: &Sides) -> Result<Vec<Row>, TaskError> {
    let servers = ["hello-server", "chat-server", "udp-server"];
    let measure = |program: &str| format!("{program} 启动到就绪 / start-up");
    let rows = servers.map(|program| {
        timed(settings, &measure(program), |side| {
            let started = Instant::now();
            let ready = sides.start_server(side, program)?;
            let elapsed = started.elapsed().as_secs_f64();
            // Stopped only now: its ending is not part of its start.
            drop(ready);
            Ok(elapsed)
        })
    });
    rows.into_iter().collect()
}

/// udp-server and udp-client converting the table's first temperature,
/// until both have exited.
fn udp_row(settings: &Settings, sides: &Sides) -> Result<Row, TaskError> {
    let (typed, expected) = pairings::typed_and_printed(UDP.runs[0], Role::Client)
        .ok_or_else(|| TaskError::failed("the table's udp session types nothing"))?;
    let measure = "一次 UDP 转换 / one UDP conversion";
    timed(settings, measure, |side| {
        let started = Instant::now();
        let (mut server, addr) = sides.start_server(side, "udp-server")?;
        let mut client = sides.start(side, "udp-client", &addr.to_string())?;
        client.type_in(format!("{typed}\n").as_bytes())?;
        let client_status = client.wait_exit(WAIT)?;
        let server_status = server.wait_exit(WAIT)?;
        let elapsed = started.elapsed().as_secs_f64();
        let printed = client.stdout_text();
        if !client_status.success() || !server_status.success() || !printed.contains(&expected) {
            return Err(TaskError::failed(client.fail(format!(
                "printed {printed:?}, not {expected:?} (client {client_status}, server {server_status})"
            ))));
        }
        Ok(elapsed)
    })
}

/// Lines typed into chat-server as fast as its stdin takes them, until
/// chat-client has printed all of them.
fn chat_row(settings: &Settings, sides: &Sides) -> Result<Row, TaskError> {
    let lines = settings.chat_lines;
    let measure = format!("聊天每秒行数 / chat lines/s ({lines} lines)");
    let mut row = Row::new(measure, 0);
    for round in 0..settings.rounds {
        for side in in_turn(round) {
            let of = settings.rounds;
            progress(&format!(
                "round {}/{of}: chat, {side:?}, {lines} lines",
                round + 1
            ));
            let elapsed = chat_run(sides, side, lines)?;
            row.push(side, Some(lines as f64 / elapsed.max(1e-9)));
        }
    }
    Ok(row)
}

fn chat_run(sides: &Sides, side: Side, count: usize) -> Result<f64, TaskError> {
    // ASCII lines: the listing's `recv(2014).decode()` dies when a read
    // splits a multi-byte character.
    let lines: Vec<String> = (0..count).map(|i| format!("message {i:05}")).collect();
    let typed: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let (mut server, addr) = sides.start_server(side, "chat-server")?;
    let client = sides.start(side, "chat-client", &addr.to_string())?;
    client.wait_stdout(CHAT_CLIENT_CONNECTED, 1)?;
    let started = Instant::now();
    // The pipe takes the lines as fast as the server reads them; it stays
    // open until the run ends (its end would end the chat).
    server.type_in(typed.as_bytes())?;
    // Done once the client has printed as many bytes of messages as were
    // typed: a read may split a line, so the last one can come in pieces.
    let expected = lines.concat();
    let (mut scanned, mut printed) = (0, String::new());
    client.wait_for("all the lines", WAIT * 3, |client| {
        while let Some(end) = client.stdout[scanned..].iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&client.stdout[scanned..scanned + end]);
            printed.push_str(message_in(&line).unwrap_or(""));
            scanned += end + 1;
        }
        printed.len() >= expected.len()
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(status) = server.exited() {
        return Err(TaskError::failed(server.fail(format!("exited ({status})"))));
    }
    if printed != expected {
        return Err(TaskError::failed(
            client.fail("did not print the lines typed, in order"),
        ));
    }
    Ok(elapsed)
}

/// The message in a line chat-client printed: `接收到的数据为: <text>`,
/// perhaps after the client's own prompt, which has no newline.
fn message_in(line: &str) -> Option<&str> {
    let line = line.trim_start_matches(CHAT_PROMPT);
    line.strip_prefix(RECEIVED)
}

/// The size of each binary, in KiB (Rust's column only).
fn size_rows(settings: &Settings, sides: &Sides) -> Vec<Row> {
    let build = if settings.dev { "debug" } else { "release" };
    let programs = Programs {
        dir: sides.bin_dir.clone(),
        runner: None,
    };
    let size = |program| std::fs::metadata(programs.path(program)).ok();
    let row = |program| {
        let mut row = Row::new(format!("{program} {build} 二进制 / binary, KiB"), 1);
        row.push(
            Side::Rust,
            size(program).map(|meta| meta.len() as f64 / 1024.0),
        );
        row
    };
    PROGRAMS.map(|program| row(program.name)).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_lines_are_read_back_into_the_messages() {
        assert_eq!(message_in("接收到的数据为: message 00"), Some("message 00"));
        assert_eq!(
            message_in("请输入要发送的数据:接收到的数据为: 0"),
            Some("0")
        );
        assert_eq!(message_in("已连接"), None);
    }

    #[test]
    fn medians_and_numbers() {
        assert_eq!(in_turn(1), [Side::Python, Side::Rust]);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0, f64::NAN]), Some(2.5));
        assert_eq!(number(53361.6, 0), "53,362");
        assert_eq!(number(1234.56, 1), "1,234.6");
        assert_eq!(number(-1000.0, 0), "-1,000");
        assert_eq!(number(10.74, 1), "10.7");
    }
}
