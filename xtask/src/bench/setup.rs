//! What every measurement of the bench uses: its settings, the two sides
//! (the release programs, and the Python listings run as in a terminal),
//! the order they take turns in, the medians, and the tables' lines.

use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::harness::{Process, Programs};
use crate::pairings;
use crate::text::{pad, width};
use crate::{Args, TaskError};

/// The counts of one bench run.
pub struct Settings {
    pub rounds: usize,
    pub requests: usize,
    pub starts: usize,
    pub chat_lines: usize,
    pub dev: bool,
    pub build: bool,
    pub python: OsString,
}

impl Settings {
    /// The settings `args` ask for; `None` for `--help`.
    pub fn parse(args: &[String]) -> Result<Option<Settings>, TaskError> {
        let counts = ["--rounds", "--requests", "--starts", "--chat-lines", "--python"];
        let args = Args::parse(args, &["--quick", "--dev", "--no-build"], &counts)?;
        if let Some(word) = args.words.first() {
            return Err(TaskError::usage(format!("多余的参数 / extra argument {word:?}")));
        }
        let quick = args.has("--quick");
        // A count: a whole number above 0.
        let count = |option: &str, full: usize, fast: usize| match args.value(option) {
            None => Ok(if quick { fast } else { full }),
            Some(text) => text.parse().ok().filter(|&n: &usize| n > 0).ok_or_else(|| {
                TaskError::usage(format!(
                    "{option} 需要大于 0 的整数 / needs a number above 0: {text:?}"
                ))
            }),
        };
        Ok((!args.help).then_some(Settings {
            rounds: count("--rounds", 7, 3)?,
            requests: count("--requests", 20_000, 2_000)?,
            starts: count("--starts", 5, 3)?,
            chat_lines: count("--chat-lines", 10_000, 2_000)?,
            dev: args.has("--dev"),
            build: !args.has("--no-build"),
            python: args.value("--python").unwrap_or("python3").into(),
        }))
    }

    /// A warm-up before each measured hello-server run: a twentieth of it.
    pub fn warmup(&self) -> usize {
        (self.requests / 20).max(20)
    }

    /// How long one hello-server run may go on sending: a server whose
    /// clients wait out TCP's retransmissions (the listing's `listen(5)`
    /// under 64 clients) would otherwise take minutes.
    pub fn budget(&self) -> Duration {
        Duration::from_millis(self.requests as u64).max(Duration::from_secs(2))
    }
}

/// One line on stderr saying what the bench is doing.
pub fn progress(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "bench: {text}");
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Side {
    Rust,
    Python,
}

/// `items` in the order they run in `round`, turning one place a round:
/// none always goes first (or on a machine warmed by another).
pub fn in_order<T: Copy, const N: usize>(round: usize, mut items: [T; N]) -> [T; N] {
    items.rotate_left(round % N.max(1));
    items
}

/// Where each side's programs are.
pub struct Sides {
    pub programs: Programs,
    /// The interpreter itself (not a pyenv shim).
    pub python: PathBuf,
}

impl Sides {
    /// The command that runs `program` (a crate's name, or the bare loop)
    /// on `side`, with `arg` (an address) as its one argument. The Python
    /// side runs without `PYTHONUNBUFFERED`, stdout line-buffered as in a
    /// terminal (`as_in_a_terminal.py` says why).
    pub fn command(&self, side: Side, program: &str, arg: &str) -> Command {
        let mut command = match pairings::program(program).filter(|_| side == Side::Python) {
            None => self.programs.command(program),
            Some(listing) => {
                let mut python = Command::new(&self.python);
                python.args(["-c", include_str!("as_in_a_terminal.py")]);
                python.arg(crate::workspace::peer(listing)).env_remove("PYTHONUNBUFFERED");
                python
            }
        };
        command.arg(arg);
        command
    }

    /// Starts a server on a free port; returns it once it is ready.
    pub fn start_server(
        &self,
        side: Side,
        program: &str,
    ) -> Result<(Process, SocketAddr), TaskError> {
        let server = Process::start(self.command(side, program, "127.0.0.1:0"))?;
        let addr = server.wait_ready()?;
        Ok((server, addr))
    }
}

/// The middle value (the mean of the middle two for an even count), of
/// the values measured.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if !n.is_multiple_of(2) => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

/// `12345.6` as `12,346`, with `decimals` after the point; `—` for none.
pub fn number(value: Option<f64>, decimals: usize) -> String {
    let Some(value) = value else {
        return "—".into();
    };
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

/// A line of a table: `name` padded to `first` display columns, then each
/// cell right-aligned to its width (the headings hold Chinese).
pub fn line(name: &str, first: usize, cells: &[&str], widths: &[usize]) -> String {
    let mut text = pad(name, first);
    for (cell, columns) in cells.iter().zip(widths) {
        text.push_str(&" ".repeat(columns.saturating_sub(width(cell))));
        text.push_str(cell);
    }
    text.trim_end().to_string() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_numbers_and_turns() {
        assert_eq!(in_order(1, [Side::Rust, Side::Python]), [Side::Python, Side::Rust]);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0, f64::NAN]), Some(2.5));
        assert_eq!(number(Some(53361.6), 0), "53,362");
        assert_eq!(number(Some(1234.56), 1), "1,234.6");
        assert_eq!(number(Some(-1000.0), 0), "-1,000");
        assert_eq!(number(Some(10.74), 1), "10.7");
        assert_eq!(number(None, 1), "—");
    }
}
