//! The programs under measurement: who they are (Rust, Python, an extra
//! hello server), how to start one, and what Linux's `/proc` says of it.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::TaskError;

/// How long a program may take to become ready, or a run to finish.
pub const WAIT: Duration = Duration::from_secs(20);

/// Runs the Python script named by the first argument as `python3
/// script.py` would, but with stdout line-buffered as in the terminal a
/// reader runs it in (to a pipe Python holds prints back in 8 KiB blocks,
/// so the chat would never show its lines; PYTHONUNBUFFERED would write
/// each `print` in two pieces, which no terminal does). Rust's stdout is
/// line-buffered everywhere, so both sides write each line once.
const AS_IN_A_TERMINAL: &str = "\
import os, sys
sys.stdout.reconfigure(line_buffering=True)
del sys.argv[0]
path = sys.argv[0]
sys.path[0] = os.path.dirname(path)
with open(path, encoding='utf-8') as script:
    code = compile(script.read(), path, 'exec')
exec(code, {'__name__': '__main__', '__file__': path, '__builtins__': __builtins__})
";

/// One side of a comparison.
#[derive(Clone)]
pub struct Contender {
    pub label: String,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    /// The workspace's programs, built in this folder.
    Rust(PathBuf),
    /// The tutorial's listings as the test peers in `tests/peers`.
    Python { python: OsString, peers: PathBuf },
    /// A hello server given on the command line (`--also-hello`).
    ExtraHello(PathBuf),
}

impl Contender {
    pub fn rust(bin_dir: PathBuf) -> Contender {
        Contender {
            label: "Rust".into(),
            kind: Kind::Rust(bin_dir),
        }
    }

    pub fn python(python: OsString, peers: PathBuf) -> Contender {
        Contender {
            label: "Python".into(),
            kind: Kind::Python { python, peers },
        }
    }

    pub fn extra_hello(path: PathBuf) -> Contender {
        let label = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "extra".into());
        Contender {
            label,
            kind: Kind::ExtraHello(path),
        }
    }

    /// Starts `program` with `arg`, named after this side.
    pub fn start(&self, program: &str, arg: &str, keep_stdout: bool) -> Result<Running, TaskError> {
        let label = format!("{} {program}", self.label);
        Running::spawn(&label, self.command(program, arg), keep_stdout)
    }

    /// Starts the server `program` on a free port and waits until it is
    /// ready; returns it and its address.
    pub fn start_server(&self, program: &str) -> Result<(Running, SocketAddr), TaskError> {
        let mut server = self.start(program, "127.0.0.1:0", false)?;
        let addr = server.wait_ready(WAIT)?;
        Ok((server, addr))
    }

    /// The command that runs `program` (a crate's name) for this side,
    /// with `arg` (an address) as its one argument.
    pub fn command(&self, program: &str, arg: &str) -> Command {
        let mut command = match &self.kind {
            Kind::Rust(dir) => Command::new(crate::program_file(dir, program)),
            Kind::Python { python, peers } => {
                let mut command = Command::new(python);
                command
                    .args(["-c", AS_IN_A_TERMINAL])
                    .arg(peers.join(format!("{}.py", program.replace('-', "_"))))
                    .env_remove("PYTHONUNBUFFERED");
                command
            }
            Kind::ExtraHello(path) => Command::new(path),
        };
        command.arg(arg);
        command
    }
}

/// What the reader threads pass on.
enum Output {
    Stdout(Vec<u8>),
    Stderr(String),
    /// stdout or stderr reached its end (closed, or the program exited).
    Closed,
}

/// A started program. Dropping it kills and reaps it.
pub struct Running {
    pub label: String,
    child: Child,
    pub stdin: Option<ChildStdin>,
    events: Receiver<Output>,
    open_streams: usize,
    /// What it printed on stdout, when asked to keep it.
    pub stdout: Vec<u8>,
    stderr: Vec<String>,
    status: Option<ExitStatus>,
}

impl Running {
    /// Starts `command` with all three streams piped. stdout is kept only
    /// when `keep_stdout` (a server's log is read and dropped).
    pub fn spawn(
        label: &str,
        mut command: Command,
        keep_stdout: bool,
    ) -> Result<Running, TaskError> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| {
                TaskError::failed(format!("cannot start {label} ({command:?}): {error}"))
            })?;
        let (sender, events) = mpsc::channel();
        if let Some(mut stdout) = child.stdout.take() {
            let sender = sender.clone();
            thread::spawn(move || {
                let mut chunk = vec![0u8; 64 * 1024];
                while let Ok(read @ 1..) = stdout.read(&mut chunk) {
                    if keep_stdout && sender.send(Output::Stdout(chunk[..read].to_vec())).is_err() {
                        return;
                    }
                }
                let _ = sender.send(Output::Closed);
            });
        }
        if let Some(stderr) = child.stderr.take() {
            thread::spawn(move || {
                for line in BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
                    let line = String::from_utf8_lossy(&line).into_owned();
                    if sender.send(Output::Stderr(line)).is_err() {
                        return;
                    }
                }
                let _ = sender.send(Output::Closed);
            });
        }
        Ok(Running {
            label: label.to_string(),
            stdin: child.stdin.take(),
            child,
            events,
            open_streams: 2,
            stdout: Vec::new(),
            stderr: Vec::new(),
            status: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Takes in what the readers passed on until `done` holds; fails after
    /// `timeout`, naming `what` was awaited and what the program said.
    pub fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&Running) -> bool,
    ) -> Result<(), TaskError> {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Output::Stdout(bytes)) => self.stdout.extend_from_slice(&bytes),
                Ok(Output::Stderr(line)) => self.stderr.push(line),
                Ok(Output::Closed) => self.open_streams = self.open_streams.saturating_sub(1),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(self.failure(&format!("no {what} within {timeout:?}")))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.failure(&format!("ended before {what}")))
                }
            }
        }
        Ok(())
    }

    /// Waits for the readiness line, `listening on <addr>`, and returns
    /// the address.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<SocketAddr, TaskError> {
        self.wait_for("readiness line", timeout, |running| {
            running.readiness().is_some()
        })?;
        let line = self.readiness().unwrap_or_default();
        line.parse()
            .map_err(|_| self.failure(&format!("gave an address that does not parse: {line:?}")))
    }

    /// Whether a line of its stderr so far satisfies `test`.
    pub fn said(&self, test: impl Fn(&str) -> bool) -> bool {
        self.stderr.iter().any(|line| test(line))
    }

    fn readiness(&self) -> Option<&str> {
        self.stderr
            .iter()
            .find_map(|line| line.strip_prefix("listening on "))
    }

    /// Waits until the program has closed its output and exited.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, TaskError> {
        self.wait_for("exit", timeout, |running| running.open_streams == 0)?;
        // Both pipes are closed: the process is ending, so this returns soon.
        let status = self
            .child
            .wait()
            .map_err(|error| self.failure(&format!("cannot be waited for: {error}")))?;
        self.status = Some(status);
        Ok(status)
    }

    /// Fails unless the program is still running.
    pub fn check_running(&mut self) -> Result<(), TaskError> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                self.status = Some(status);
                // Collect what it said before it went.
                let _ = self.wait_for("end of output", Duration::from_secs(1), |running| {
                    running.open_streams == 0
                });
                Err(self.failure(&format!("exited ({status})")))
            }
            Err(error) => Err(self.failure(&format!("cannot be checked on: {error}"))),
        }
    }

    /// An error naming the program and the last lines of its stderr.
    pub fn failure(&self, what: &str) -> TaskError {
        let tail: Vec<&str> = self
            .stderr
            .iter()
            .rev()
            .take(5)
            .rev()
            .map(String::as_str)
            .collect();
        let said = if tail.is_empty() {
            String::new()
        } else {
            format!("; its stderr ended with:\n  {}", tail.join("\n  "))
        };
        TaskError::failed(format!("{}: {what}{said}", self.label))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// CPU time (user + system) the process has used so far, summed over its
/// threads: nanoseconds from `/proc/<pid>/task/*/schedstat`, else clock
/// ticks from `/proc/<pid>/stat`. `None` where there is no `/proc`.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    schedstat_cpu(pid).or_else(|| stat_cpu(pid))
}

fn schedstat_cpu(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0u64;
    for task in tasks {
        let text = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

fn stat_cpu(pid: u32) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ticks = stat_user_plus_system_ticks(&text)?;
    // USER_HZ is 100 on every Linux architecture.
    Some(Duration::from_millis(ticks * 10))
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line; the
/// command name in parentheses may itself hold spaces and parentheses.
fn stat_user_plus_system_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// The process's peak resident set (`VmHWM` of `/proc/<pid>/status`), in
/// bytes.
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_kib(&status, "VmHWM:").map(|kib| kib * 1024)
}

fn status_kib(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_found_after_an_odd_command_name() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 5 1000 200";
        assert_eq!(stat_user_plus_system_ticks(stat), Some(10));
        assert_eq!(stat_user_plus_system_ticks("42 (x) S 1"), None);
    }

    #[test]
    fn status_fields_are_read_in_kib() {
        let status = "Name:\tx\nVmPeak:\t   9000 kB\nVmHWM:\t    2284 kB\nVmRSS:\t 2200 kB\n";
        assert_eq!(status_kib(status, "VmHWM:"), Some(2284));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn this_process_has_a_cpu_time_and_a_peak_on_linux() {
        if cfg!(target_os = "linux") {
            let pid = std::process::id();
            assert!(cpu_time(pid).is_some());
            assert!(peak_rss(pid).is_some_and(|bytes| bytes > 0));
        }
    }
}
