//! `cargo xtask bench`: the release programs against the tutorial's Python
//! listings (the peers in `tests/peers`), on this machine, in one run, as
//! two tables of medians: the cost of a hello-server request (`cost.rs`,
//! its clients in `load.rs`, what Linux says of a process in `src/linux.rs`),
//! then the rest (here). `setup.rs` holds what both use. What each row
//! measures, and how to read it, is in `xtask/README.md`.

mod cost;
mod load;
mod setup;

use std::time::Instant;

use crate::harness::{Process, Programs, HANG_GUARD};
use crate::pairings::{self, Role, CHAT_CLIENT_CONNECTED, CHAT_PROMPT, PROGRAMS, RECEIVED, UDP};
use crate::text::width;
use crate::{out, workspace, TaskError};
use setup::{in_order, line, median, number, progress, Settings, Side, Sides};

pub const HELP: &str = include_str!("../help/bench.txt");

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let Some(settings) = Settings::parse(args)? else {
        out(HELP);
        return Ok(());
    };
    let build = if settings.dev { "debug" } else { "release" };
    if settings.build {
        progress(&format!("building the programs and the bare loop ({build})"));
        workspace::cargo_build(|cargo| {
            for program in PROGRAMS {
                cargo.args(["--package", program.name, "--bin", program.name]);
            }
            cargo.args(["--package", "xtask", "--bin", "bare-loop"]);
            if !settings.dev {
                cargo.arg("--release");
            }
        })?;
    }
    let dir = workspace::programs_dir(!settings.dev)?;
    for program in PROGRAMS.map(|program| program.name).iter().chain(&["bare-loop"]) {
        workspace::built_program(&dir, program)?;
    }
    let (python, python_version) = workspace::python(&settings.python)?;
    let sides = Sides { programs: Programs { dir, runner: None }, python };
    let started = Instant::now();
    let (cost, [rust_rss, python_rss]) = cost::measure(&settings, &sides)?;
    let no_memory = rust_rss
        .is_empty()
        .then_some("\n* 没有测量内存：这个系统没有 /proc / memory not measured: no /proc\n");
    let mut rss = Row::new("hello-server 内存峰值 / peak RSS, KiB", 0);
    rss.values = [rust_rss, python_rss];
    let mut rows = vec![rss];
    let (starts, lines) = (settings.starts, settings.chat_lines);
    for program in ["hello-server", "chat-server", "udp-server"] {
        let measure = Row::new(format!("{program} 启动到就绪 / start-up, ms"), 2);
        // Spawn to readiness line; stopped only after: its ending is not
        // part of its start.
        rows.push(row(&settings, measure, starts, |side| {
            let started = Instant::now();
            let _ready = sides.start_server(side, program)?;
            Ok(started.elapsed().as_secs_f64() * 1e3)
        })?);
    }
    let measure = Row::new("一次 UDP 转换 / one UDP conversion, ms", 2);
    rows.push(row(&settings, measure, starts, |side| Ok(udp_run(&sides, side)? * 1e3))?);
    let measure = Row::new(format!("聊天每秒行数 / chat lines/s ({lines} lines)"), 0);
    rows.push(row(&settings, measure, 1, |side| {
        Ok(lines as f64 / chat_run(&sides, side, lines)?.max(1e-9))
    })?);
    for program in PROGRAMS.map(|program| program.name) {
        let mut row = Row::new(format!("{program} {build} 二进制 / binary, KiB"), 1);
        let size = std::fs::metadata(sides.programs.path(program)).ok();
        row.values[0].extend(size.map(|meta| meta.len() as f64 / 1024.0));
        rows.push(row);
    }
    progress(&format!("measured in {:.1} s", started.elapsed().as_secs_f64()));
    let rounds = settings.rounds;
    out(&format!(
        "cargo xtask bench: {build} 构建，{python_version}，每项取 {rounds} 轮的中位数\n\
         \x20                  {build} builds, {python_version}, median of {rounds} rounds\n\
         机器 / machine: {}\n\n{cost}\n{}{}",
        crate::linux::machine(),
        table(&rows),
        no_memory.unwrap_or_default()
    ));
    Ok(())
}

/// One line of the second table: a measure and what each side (Rust,
/// Python) measured, run by run (the table shows the medians).
struct Row {
    measure: String,
    values: [Vec<f64>; 2],
    decimals: usize,
}

impl Row {
    fn new(measure: impl Into<String>, decimals: usize) -> Row {
        Row { measure: measure.into(), values: Default::default(), decimals }
    }
}

/// The rows as one table (`—` where there is no value).
fn table(rows: &[Row]) -> String {
    // Display columns, not chars: the labels hold Chinese.
    let first = rows.iter().map(|row| width(&row.measure)).max().unwrap_or(0);
    let widths = [11, 11, 13];
    let mut text = line("项目 / measure", first, &["Rust", "Python", "Rust/Python"], &widths);
    for row in rows {
        let [rust, python] = row.values.each_ref().map(|values| median(values));
        let ratio = rust.zip(python.filter(|&python| python > 0.0)).map(|(r, p)| r / p);
        let cells = [number(rust, row.decimals), number(python, row.decimals), number(ratio, 2)];
        text += &line(&row.measure, first, &cells.each_ref().map(String::as_str), &widths);
    }
    text
}

/// A row of `runs` measurements by `run` per side and round, the sides
/// taking turns going first.
fn row(
    settings: &Settings,
    mut row: Row,
    runs: usize,
    mut run: impl FnMut(Side) -> Result<f64, TaskError>,
) -> Result<Row, TaskError> {
    for round in 0..settings.rounds {
        progress(&format!("round {}/{}: {}", round + 1, settings.rounds, row.measure));
        for side in in_order(round, [Side::Rust, Side::Python]) {
            for _ in 0..runs {
                row.values[side as usize].push(run(side)?);
            }
        }
    }
    Ok(row)
}

/// udp-server and udp-client converting the table's first temperature,
/// until both have exited; seconds. The line is typed at once, not at the
/// prompt as a session would: the time is the programs', not the wait's.
fn udp_run(sides: &Sides, side: Side) -> Result<f64, TaskError> {
    let (typed, expected) = pairings::typed_and_printed(UDP.runs[0], Role::Client)
        .ok_or_else(|| TaskError::failed("the table's udp session types nothing"))?;
    let started = Instant::now();
    let (mut server, addr) = sides.start_server(side, "udp-server")?;
    let mut client = Process::start(sides.command(side, "udp-client", &addr.to_string()))?;
    client.type_in(format!("{typed}\n").as_bytes())?;
    let (client_status, server_status) =
        (client.wait_exit(HANG_GUARD)?, server.wait_exit(HANG_GUARD)?);
    let elapsed = started.elapsed().as_secs_f64();
    let printed = client.stdout_text();
    if !client_status.success() || !server_status.success() || !printed.contains(&expected) {
        let what = format!("printed {printed:?}, not {expected:?} (client {client_status}, server {server_status})");
        return Err(TaskError::failed(client.fail(what)));
    }
    Ok(elapsed)
}

/// Lines typed into chat-server as fast as its stdin takes them, until
/// chat-client has printed all of them; seconds.
fn chat_run(sides: &Sides, side: Side, count: usize) -> Result<f64, TaskError> {
    // ASCII lines: the listing's `recv(2014).decode()` dies when a read
    // splits a multi-byte character.
    let lines: Vec<String> = (0..count).map(|i| format!("message {i:05}")).collect();
    let typed: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let (mut server, addr) = sides.start_server(side, "chat-server")?;
    let client = Process::start(sides.command(side, "chat-client", &addr.to_string()))?;
    client.wait_text(false, CHAT_CLIENT_CONNECTED, 1)?;
    let started = Instant::now();
    // The pipe takes the lines as fast as the server reads them; it stays
    // open until the run ends (its end would end the chat).
    server.type_in(typed.as_bytes())?;
    // Done once the client has printed as many bytes of messages as were
    // typed: a read may split a line, so the last one can come in pieces.
    let expected = lines.concat();
    let (mut scanned, mut printed) = (0, String::new());
    client.wait_for("all the lines", HANG_GUARD * 2, |client| {
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
        return Err(TaskError::failed(client.fail("did not print the lines typed, in order")));
    }
    Ok(elapsed)
}

/// The message in a line chat-client printed: `接收到的数据为: <text>`,
/// perhaps after the client's own prompt, which has no newline.
fn message_in(line: &str) -> Option<&str> {
    line.trim_start_matches(CHAT_PROMPT).strip_prefix(RECEIVED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_lines_are_read_back_into_the_messages() {
        assert_eq!(message_in(&format!("{RECEIVED}message 00")), Some("message 00"));
        assert_eq!(message_in(&format!("{CHAT_PROMPT}{RECEIVED}0")), Some("0"));
        assert_eq!(message_in("已连接"), None);
    }
}
