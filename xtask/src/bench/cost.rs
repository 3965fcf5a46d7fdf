//! The first table: the cost of one hello-server request, against the
//! limit of the listing's design, the bare loop (`bare_loop.rs`: the
//! listing's loop in std Rust, blocking calls, nothing else), and against
//! the Python listing, in the same run, at 1, 8 and 64 clients that connect
//! and then write, as browsers and `ab` do.
//!
//! CPU per request comes from the OS (`/proc`). The threads started and the
//! system calls are counted by `perf stat` in runs of their own: counting
//! tracepoints costs the server little, where strace would slow it until
//! every request is there before its read, which hides what concurrency
//! does. Without perf those two columns show `—`, and a note says why.

use std::net::SocketAddr;
use std::process::Command;

use super::load::{Client, Load};
use super::setup::{in_order, line, median, number, progress, Settings, Side, Sides};
use crate::harness::{Process, HANG_GUARD};
use crate::linux;
use crate::TaskError;

/// How many clients send at once, in turn.
pub const CLIENTS: [usize; 3] = [1, 8, 64];

/// The three servers measured (side, program, name), the reference first:
/// the bare loop, then the two sides of the Rust/Python table.
const SUBJECTS: [(Side, &str, &str); 3] = [
    (Side::Rust, "bare-loop", "裸循环 bare loop"),
    (Side::Rust, "hello-server", "hello-server"),
    (Side::Python, "hello-server", "Python 教程程序"),
];

/// What one server measured at one number of clients.
#[derive(Default)]
struct Cell {
    /// Round by round; NaN where it could not be measured.
    cpu_us: Vec<f64>,
    per_second: Vec<f64>,
    /// From the `perf stat` run: threads started per 1,000 requests, and
    /// system calls per request.
    counted: Option<(f64, f64)>,
    /// Every run's requests, for the failures.
    loads: Vec<Load>,
}

/// Measures; returns the table, with its notes under it, and each side's
/// peak memory (KiB), run by run.
pub fn measure(settings: &Settings, sides: &Sides) -> Result<(String, [Vec<f64>; 2]), TaskError> {
    let mut peak_rss_kib = [Vec::new(), Vec::new()];
    let mut cells: Vec<[Cell; 3]> = CLIENTS.iter().map(|_| Default::default()).collect();
    let (client, budget) = (Client::find(), settings.budget());
    for round in 0..settings.rounds {
        for (at, &clients) in CLIENTS.iter().enumerate() {
            for index in in_order(round, [0, 1, 2]) {
                let (side, program, name) = SUBJECTS[index];
                let of = settings.rounds;
                progress(&format!("round {}/{of}: {name}, {clients} clients", round + 1));
                let (mut process, addr) = sides.start_server(side, program)?;
                let (pid, cell) = (process.pid(), &mut cells[at][index]);
                // Not measured: first connections cost more than the rest.
                cell.loads.push(client.run(addr, settings.warmup(), clients, budget));
                let before = linux::cpu_time(pid);
                let load = client.run(addr, settings.requests, clients, budget);
                let after = linux::cpu_time(pid);
                if let Some(status) = process.exited() {
                    return Err(TaskError::failed(process.fail(format!("exited ({status})"))));
                }
                if let Some(kib) = linux::peak_rss_kib(pid).filter(|_| index > 0) {
                    peak_rss_kib[side as usize].push(kib as f64);
                }
                // NaN where not measured, so that rounds stay paired.
                let cpu_us = match (before, after, load.completed) {
                    (Some(before), Some(after), 1..) => {
                        after.saturating_sub(before).as_secs_f64() * 1e6 / load.completed as f64
                    }
                    _ => f64::NAN,
                };
                cell.cpu_us.push(cpu_us);
                cell.per_second.push(load.requests_per_second);
                cell.loads.push(load);
            }
        }
    }
    let mut notes = Vec::new();
    'counting: for (at, &clients) in CLIENTS.iter().enumerate() {
        for (index, (side, program, name)) in SUBJECTS.into_iter().enumerate() {
            progress(&format!("perf stat: {name}, {clients} clients"));
            match count(sides.start_server(side, program), settings, client, clients) {
                Ok((load, threads, syscalls)) => {
                    // No request done (the client gave up): nothing to divide by.
                    let completed = load.completed as f64;
                    cells[at][index].counted = (load.completed > 0)
                        .then(|| (threads * 1000.0 / completed, syscalls / completed));
                    cells[at][index].loads.push(load);
                }
                Err(why) => {
                    notes.push(format!(
                        "线程和系统调用没有计数 / threads and system calls not counted: {why}"
                    ));
                    break 'counting;
                }
            }
        }
    }
    if cells[0][0].cpu_us.iter().all(|cpu| cpu.is_nan()) {
        notes.push(
            "CPU 没有测量：这个系统没有 /proc / CPU not measured: this OS has no /proc".into(),
        );
    }
    for (cells, clients) in cells.iter().zip(CLIENTS) {
        for (cell, (_, _, name)) in cells.iter().zip(SUBJECTS) {
            if let Some(first) = cell.loads.iter().find_map(|load| load.first_failure.as_ref()) {
                let failed = cell.loads.iter().map(|load| load.failures).sum::<usize>();
                let of = cell.loads.iter().map(|load| load.completed).sum::<usize>();
                notes.push(format!("{name}, {clients} clients: {failed} / {of} 个请求失败 requests failed: {first}"));
            }
        }
    }
    Ok((render(settings, client, &cells, &notes), peak_rss_kib))
}

/// One run under `perf stat` of a server just `started` (attached once it
/// is warm): the load, the threads the server started (`clone3` and
/// `clone`), its system calls.
fn count(
    started: Result<(Process, SocketAddr), TaskError>,
    settings: &Settings,
    client: Client,
    clients: usize,
) -> Result<(Load, f64, f64), String> {
    let (process, addr) = started.map_err(|error| error.message().to_string())?;
    client.run(addr, settings.warmup(), clients, settings.budget());
    // Counts printed every 100 ms: the first line says perf is attached.
    let events = "syscalls:sys_enter_clone3,syscalls:sys_enter_clone,raw_syscalls:sys_enter";
    let mut perf = Command::new("perf");
    perf.args(["stat", "-x,", "-I", "100", "-e", events, "-p", &process.pid().to_string()]);
    let no_perf = |_| "没有 perf / perf is not installed (Debian: apt-get install linux-perf)";
    let mut perf = Process::start(perf).map_err(no_perf)?;
    perf.wait_for("perf's first count", HANG_GUARD, |perf| !perf.stderr.is_empty())?;
    let load = client.run(addr, settings.requests, clients, settings.budget());
    // perf ends when the process it counts ends, and prints the last counts.
    drop(process);
    perf.wait_exit(HANG_GUARD)?;
    let said = perf.stderr_text();
    // time,count,unit,event,…; `<not counted>` while the server sleeps.
    let counts: Vec<(f64, bool)> = said
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Some((fields.get(1)?.parse().ok()?, *fields.get(3)? == "raw_syscalls:sys_enter"))
        })
        .collect();
    if counts.is_empty() {
        let first = said.lines().next().unwrap_or_default();
        return Err(format!("perf stat counted nothing ({first})"));
    }
    // The system calls, or the threads started (`clone3` and `clone`).
    let sum = |calls: bool| counts.iter().filter(|c| c.1 == calls).map(|c| c.0).sum::<f64>();
    Ok((load, sum(false), sum(true)))
}

/// The columns' widths after the name's (17), and their headings.
const WIDTHS: [usize; 6] = [8, 9, 10, 11, 10, 10];
const HEADINGS: [[&str; 6]; 2] = [
    ["客户端", "÷裸循环", "CPU µs", "线程/千次", "系统调用", "请求/秒"],
    ["clients", "÷ bare", "/request", "threads/1k", "calls/req", "req/s"],
];

/// The table: one row per server and number of clients, the ratio to the
/// bare loop first; within 80 columns.
fn render(settings: &Settings, client: Client, cells: &[[Cell; 3]], notes: &[String]) -> String {
    let (requests, rounds) = (number(Some(settings.requests as f64), 0), settings.rounds);
    let mut text = format!(
        "hello-server 一个请求的代价 / the cost of one request\n\
         每次 {requests} 个请求，{rounds} 轮的中位数；客户端先连接再发送\n\
         {requests} requests a run, median of {rounds} rounds; clients connect, then write\n{}\n\n",
        client.described(),
    );
    text += &line("程序", 17, &HEADINGS[0], &WIDTHS);
    text += &line("server", 17, &HEADINGS[1], &WIDTHS);
    for (cells, clients) in cells.iter().zip(CLIENTS) {
        for (cell, (_, _, name)) in cells.iter().zip(SUBJECTS) {
            // Round by round (the two ran one after the other), then the
            // median: a machine that drifts between rounds moves both.
            let ratios: Vec<f64> =
                cell.cpu_us.iter().zip(&cells[0].cpu_us).map(|(cpu, bare)| cpu / bare).collect();
            let columns = [
                clients.to_string(),
                number(median(&ratios), 2),
                number(median(&cell.cpu_us), 1),
                number(cell.counted.map(|(threads, _)| threads), 1),
                number(cell.counted.map(|(_, calls)| calls), 2),
                number(median(&cell.per_second), 0),
            ];
            text += &line(name, 17, &columns.each_ref().map(String::as_str), &WIDTHS);
        }
    }
    for note in notes {
        text += &format!("* {note}\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::width;

    #[test]
    fn the_table_fits_80_columns_and_lines_up() {
        let settings = Settings::parse(&[]).ok().flatten();
        let settings = settings.unwrap(); // test: the defaults parse
        let mut cells: Vec<[Cell; 3]> = CLIENTS.iter().map(|_| Default::default()).collect();
        for cell in cells.iter_mut().flatten() {
            cell.cpu_us = vec![123.4];
            cell.per_second = vec![123_456.0];
            cell.counted = Some((999.9, 99.99));
        }
        let text = render(&settings, Client::Ab, &cells, &[]);
        let rows: Vec<&str> = text.lines().skip(5).collect();
        for row in &rows {
            assert!(width(row) <= 80, "{} columns: {row}", width(row));
            assert_eq!(width(row), width(rows[0]), "{text}");
        }
        assert!(text.contains("hello-server            8     1.00"), "{text}");
    }
}
