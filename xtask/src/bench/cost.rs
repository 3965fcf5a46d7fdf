//! The cost of one hello-server request, against the limit of the
//! listing's design: the bare loop (`bare_loop.rs`: the listing's loop in
//! std Rust, blocking calls, nothing else) and the Python listing, in the
//! same run, at 1, 8 and 64 clients that connect and then write, as
//! browsers and `ab` do.
//!
//! CPU per request comes from the OS (`/proc`). The threads started and the
//! system calls are counted by `perf stat` in runs of their own: counting
//! tracepoints costs the server little, where strace would slow it until
//! every request is there before its read, which hides what concurrency
//! does. Without perf those two columns show `—`, and a note says why.

use std::process::Command;

use super::{in_order, load, progress, Settings, Side, Sides, WAIT};
use crate::harness::{Process, Programs};
use crate::text::{pad, width};
use crate::TaskError;

/// How many clients send at once, in turn.
pub const CLIENTS: [usize; 3] = [1, 8, 64];

/// The three servers measured, the reference first.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Subject {
    BareLoop,
    HelloServer,
    Python,
}

const SUBJECTS: [Subject; 3] = [Subject::BareLoop, Subject::HelloServer, Subject::Python];

impl Subject {
    fn label(self) -> &'static str {
        match self {
            Subject::BareLoop => "裸循环 bare loop",
            Subject::HelloServer => "hello-server",
            Subject::Python => "Python 教程程序",
        }
    }

    /// The side of the Rust/Python table it stands for, if any.
    fn side(self) -> Option<Side> {
        match self {
            Subject::BareLoop => None,
            Subject::HelloServer => Some(Side::Rust),
            Subject::Python => Some(Side::Python),
        }
    }

    fn start(self, sides: &Sides) -> Result<Process, TaskError> {
        let command = match self {
            Subject::BareLoop => {
                let programs = Programs {
                    dir: sides.bin_dir.clone(),
                    runner: None,
                };
                let mut command = programs.command("bare-loop");
                command.arg("127.0.0.1:0");
                command
            }
            Subject::HelloServer => sides.command(Side::Rust, "hello-server", "127.0.0.1:0"),
            Subject::Python => sides.command(Side::Python, "hello-server", "127.0.0.1:0"),
        };
        Ok(Process::start(command)?)
    }
}

/// What the runs measured: the table, and each side's peak memory.
pub struct Measured {
    pub table: String,
    /// hello-server's and the Python listing's peak RSS (KiB), run by run.
    pub peak_rss_kib: [Vec<f64>; 2],
}

/// What one server measured at one number of clients.
#[derive(Default)]
struct Cell {
    /// Round by round; NaN where it could not be measured.
    cpu_us: Vec<f64>,
    per_second: Vec<f64>,
    /// From the `perf stat` run: threads started per 1,000 requests, and
    /// system calls per request.
    threads: Option<f64>,
    syscalls: Option<f64>,
    /// Requests that failed, over all runs, and the first one's message.
    failed: usize,
    completed: usize,
    first_failure: Option<String>,
}

impl Cell {
    fn count(&mut self, load: load::Load) {
        self.failed += load.failures;
        self.completed += load.completed;
        self.first_failure = self.first_failure.take().or(load.first_failure);
    }
}

/// Measures and returns the table, with its notes under it.
pub fn measure(settings: &Settings, sides: &Sides) -> Result<Measured, TaskError> {
    let mut peak_rss_kib = [Vec::new(), Vec::new()];
    let mut cells: Vec<[Cell; 3]> = CLIENTS.iter().map(|_| Default::default()).collect();
    let budget = settings.budget();
    let client = load::Client::find();
    for round in 0..settings.rounds {
        for (at, &clients) in CLIENTS.iter().enumerate() {
            for subject in in_order(round, SUBJECTS) {
                let of = settings.rounds;
                progress(&format!(
                    "round {}/{of}: {subject:?}, {clients} clients",
                    round + 1
                ));
                let mut process = subject.start(sides)?;
                let addr = process.wait_ready()?;
                let pid = process.pid();
                let cell = &mut cells[at][subject as usize];
                // Not measured: first connections cost more than the rest.
                cell.count(client.run(addr, settings.warmup(), clients, budget));
                let before = super::linux::cpu_time(pid);
                let load = client.run(addr, settings.requests, clients, budget);
                let after = super::linux::cpu_time(pid);
                if let Some(status) = process.exited() {
                    return Err(TaskError::failed(
                        process.fail(format!("exited ({status})")),
                    ));
                }
                if let (Some(kib), Some(side)) = (super::linux::peak_rss_kib(pid), subject.side()) {
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
                cell.count(load);
            }
        }
    }
    let mut notes = Vec::new();
    'counting: for (at, &clients) in CLIENTS.iter().enumerate() {
        for subject in SUBJECTS {
            progress(&format!("perf stat: {subject:?}, {clients} clients"));
            let cell = &mut cells[at][subject as usize];
            match count(subject, sides, settings, client, clients) {
                Ok((load, threads, syscalls)) => {
                    let completed = load.completed.max(1) as f64;
                    cell.threads = Some(threads * 1000.0 / completed);
                    cell.syscalls = Some(syscalls / completed);
                    cell.count(load);
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
        for (cell, subject) in cells.iter().zip(SUBJECTS) {
            if let Some(first) = &cell.first_failure {
                let (failed, of) = (cell.failed, cell.completed);
                notes.push(format!(
                    "{}, {clients} clients: {failed} / {of} 个请求失败 requests failed: {first}",
                    subject.label()
                ));
            }
        }
    }
    let table = render(settings, client, &cells, &notes);
    Ok(Measured {
        table,
        peak_rss_kib,
    })
}

/// One run under `perf stat` (attached once the server is warm): the load,
/// the threads the server started (`clone3` and `clone`), its system calls.
fn count(
    subject: Subject,
    sides: &Sides,
    settings: &Settings,
    client: load::Client,
    clients: usize,
) -> Result<(load::Load, f64, f64), String> {
    let process = subject
        .start(sides)
        .map_err(|error| error.message().to_string())?;
    let addr = process.wait_ready()?;
    client.run(addr, settings.warmup(), clients, settings.budget());
    // Counts printed every 100 ms: the first line says perf is attached.
    let events = "syscalls:sys_enter_clone3,syscalls:sys_enter_clone,raw_syscalls:sys_enter";
    let pid = process.pid().to_string();
    let mut perf = Command::new("perf");
    perf.args(["stat", "-x,", "-I", "100", "-e", events, "-p", &pid]);
    let no_perf = |_| "没有 perf / perf is not installed (Debian: apt-get install linux-perf)";
    let mut perf = Process::start(perf).map_err(no_perf)?;
    perf.wait_for("perf's first count", WAIT, |perf| !perf.stderr.is_empty())?;
    let load = client.run(addr, settings.requests, clients, settings.budget());
    // perf ends when the process it counts ends, and prints the last counts.
    drop(process);
    perf.wait_exit(WAIT)?;
    let (mut threads, mut syscalls, mut counted) = (0.0, 0.0, false);
    let said = perf.stderr_text();
    for line in said.lines() {
        // time,count,unit,event,…; `<not counted>` while the server sleeps.
        let fields: Vec<&str> = line.split(',').collect();
        let (Some(count), Some(event)) = (fields.get(1), fields.get(3)) else {
            continue;
        };
        let Ok(count) = count.parse::<f64>() else {
            continue;
        };
        counted = true;
        match *event {
            "raw_syscalls:sys_enter" => syscalls += count,
            _ => threads += count,
        }
    }
    if !counted {
        let said = said.lines().next().unwrap_or_default();
        return Err(format!("perf stat counted nothing ({said})"));
    }
    Ok((load, threads, syscalls))
}

/// The name column's width, and the other columns'.
const NAME: usize = 17;
const COLUMNS: [usize; 6] = [8, 9, 10, 11, 10, 10];

/// One line of the table: `name`, then each column right-aligned to its
/// width in display columns (the headings hold Chinese).
fn line(name: &str, columns: [&str; 6]) -> String {
    let mut text = pad(name, NAME);
    for (column, columns) in columns.iter().zip(COLUMNS) {
        text.push_str(&" ".repeat(columns.saturating_sub(width(column))));
        text.push_str(column);
    }
    text.trim_end().to_string() + "\n"
}

/// The table: one row per server and number of clients, the ratio to the
/// bare loop first; within 80 columns.
fn render(
    settings: &Settings,
    client: load::Client,
    cells: &[[Cell; 3]],
    notes: &[String],
) -> String {
    let mut text = format!(
        "hello-server 一个请求的代价 / the cost of one request\n\
         每次 {} 个请求，{} 轮的中位数；客户端先连接再发送\n\
         {} requests a run, median of {} rounds; clients connect, then write\n\
         {}\n\n",
        super::number(settings.requests as f64, 0),
        settings.rounds,
        super::number(settings.requests as f64, 0),
        settings.rounds,
        client.described(),
    );
    text.push_str(&line(
        "程序",
        [
            "客户端",
            "÷裸循环",
            "CPU µs",
            "线程/千次",
            "系统调用",
            "请求/秒",
        ],
    ));
    text.push_str(&line(
        "server",
        [
            "clients",
            "÷ bare",
            "/request",
            "threads/1k",
            "calls/req",
            "req/s",
        ],
    ));
    for (cells, clients) in cells.iter().zip(CLIENTS) {
        let bare = &cells[0].cpu_us;
        for subject in SUBJECTS {
            let cell = &cells[subject as usize];
            let cpu = super::median(&cell.cpu_us);
            let shown = |value: Option<f64>, decimals| {
                value.map_or("—".into(), |v| super::number(v, decimals))
            };
            // Round by round (the two ran one after the other), then the
            // median: a machine that drifts between rounds moves both.
            let ratios: Vec<f64> = cell
                .cpu_us
                .iter()
                .zip(bare)
                .map(|(cpu, bare)| cpu / bare)
                .collect();
            let ratio = shown(super::median(&ratios), 2);
            let columns = [
                clients.to_string(),
                ratio,
                shown(cpu, 1),
                shown(cell.threads, 1),
                shown(cell.syscalls, 2),
                shown(super::median(&cell.per_second), 0),
            ];
            text.push_str(&line(
                subject.label(),
                columns.each_ref().map(String::as_str),
            ));
        }
    }
    for note in notes {
        text.push_str(&format!("* {note}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_fits_80_columns_and_lines_up() {
        let settings = Settings::parse(&[]).ok().flatten();
        let settings = settings.unwrap(); // test: the defaults parse
        let mut cells: Vec<[Cell; 3]> = CLIENTS.iter().map(|_| Default::default()).collect();
        for cell in cells.iter_mut().flatten() {
            cell.cpu_us = vec![123.4];
            cell.per_second = vec![123_456.0];
            cell.threads = Some(999.9);
            cell.syscalls = Some(99.99);
        }
        let text = render(&settings, load::Client::Ab, &cells, &[]);
        let rows: Vec<&str> = text.lines().skip(5).collect();
        for row in &rows {
            assert!(width(row) <= 80, "{} columns: {row}", width(row));
            assert_eq!(width(row), width(rows[0]), "{text}");
        }
        assert!(
            text.contains("hello-server            8     1.00"),
            "{text}"
        );
    }
}
