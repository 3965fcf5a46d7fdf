//! The one place xtask starts other programs.
//!
//! [`Process`] is a program started with its three streams piped: reader
//! threads pass on what it prints as it arrives, and the task waits for a
//! piece of text, the readiness line (`listening on <addr>`, a server's
//! first stderr line) or the exit, each with a deadline. Dropping a
//! `Process` kills and reaps whatever still runs. Several processes can
//! share one stream of [`Event`]s (the demo shows them in the order they
//! came); a single one keeps its own. [`wrapped`] puts a program such as
//! `strace -f` in front of a command; [`run_to_end`] runs a tool (cargo,
//! rustc, python) to its end and keeps what it printed.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::TaskError;

/// What one stream of a process gave.
pub enum Output {
    Stdout(Vec<u8>),
    Stderr(String),
    /// stdout or stderr reached its end (closed, or the program exited).
    Closed,
}

/// `Output` of the process numbered `from` in a shared stream.
pub struct Event {
    pub from: usize,
    pub output: Output,
}

/// A started program. Dropping it kills and reaps it.
pub struct Process {
    pub label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    /// Its own events, unless it shares a stream with other processes.
    events: Option<Receiver<Event>>,
    /// All it printed on stdout so far (when kept) and on stderr.
    pub stdout: Vec<u8>,
    pub stderr: Vec<String>,
    open_streams: usize,
    status: Option<ExitStatus>,
}

impl Process {
    /// Starts `command` with its own events. Its stdout is kept only when
    /// `keep_stdout` (a server's log under load is read and dropped).
    pub fn start(label: &str, command: Command, keep_stdout: bool) -> Result<Process, TaskError> {
        let (sender, receiver) = mpsc::channel();
        let mut process = Process::start_sharing(label, command, keep_stdout, 0, &sender)?;
        process.events = Some(receiver);
        Ok(process)
    }

    /// Starts `command`, its output sent as events `from` to `sender`.
    pub fn start_sharing(
        label: &str,
        mut command: Command,
        keep_stdout: bool,
        from: usize,
        sender: &Sender<Event>,
    ) -> Result<Process, TaskError> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| {
                TaskError::failed(format!("cannot start {label} ({command:?}): {error}"))
            })?;
        if let Some(mut stdout) = child.stdout.take() {
            let sender = sender.clone();
            thread::spawn(move || {
                let mut chunk = vec![0u8; 64 * 1024];
                while let Ok(read @ 1..) = stdout.read(&mut chunk) {
                    let output = Output::Stdout(chunk[..read].to_vec());
                    if keep_stdout && sender.send(Event { from, output }).is_err() {
                        return;
                    }
                }
                let _ = sender.send(Event {
                    from,
                    output: Output::Closed,
                });
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let sender = sender.clone();
            thread::spawn(move || {
                for line in BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
                    let output = Output::Stderr(String::from_utf8_lossy(&line).into_owned());
                    if sender.send(Event { from, output }).is_err() {
                        return;
                    }
                }
                let _ = sender.send(Event {
                    from,
                    output: Output::Closed,
                });
            });
        }
        Ok(Process {
            label: label.to_string(),
            stdin: child.stdin.take(),
            child,
            events: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
            open_streams: 2,
            status: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Records what one of its streams gave.
    pub fn absorb(&mut self, output: Output) {
        match output {
            Output::Stdout(bytes) => self.stdout.extend_from_slice(&bytes),
            Output::Stderr(line) => self.stderr.push(line),
            Output::Closed => self.open_streams = self.open_streams.saturating_sub(1),
        }
    }

    /// Both its output streams have ended.
    pub fn output_closed(&self) -> bool {
        self.open_streams == 0
    }

    /// Its exit status, once it has exited (checked without waiting).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Takes in its own events until `done` holds; fails after `timeout`,
    /// naming `what` was awaited and what the program said.
    pub fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&Process) -> bool,
    ) -> Result<(), TaskError> {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(events) = &self.events else {
                return Err(self.failure(&format!("shares its output; cannot wait for {what}")));
            };
            match events.recv_timeout(left) {
                Ok(event) => self.absorb(event.output),
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

    /// Waits until `text` is on its stdout.
    pub fn wait_for_text(&mut self, text: &str, timeout: Duration) -> Result<(), TaskError> {
        self.wait_for(&format!("{text:?} on stdout"), timeout, |process| {
            find(&process.stdout, text.as_bytes()).is_some()
        })
    }

    /// Waits for the readiness line and returns its address.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<SocketAddr, TaskError> {
        let what = "`listening on <addr>` first on stderr";
        self.wait_for(what, timeout, |process| {
            !process.stderr.is_empty() || process.output_closed()
        })?;
        self.ready_addr()
            .ok_or_else(|| self.failure(&format!("did not write {what}")))
    }

    /// The address of its readiness line, if its first stderr line is one.
    pub fn ready_addr(&self) -> Option<SocketAddr> {
        self.stderr
            .first()?
            .strip_prefix("listening on ")?
            .parse()
            .ok()
    }

    /// Types `bytes` into its stdin.
    pub fn type_in(&mut self, bytes: &[u8]) -> Result<(), TaskError> {
        let typed = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(bytes).and_then(|()| stdin.flush()),
            None => return Err(self.failure("has no stdin left")),
        };
        typed.map_err(|error| self.failure(&format!("did not take its input: {error}")))
    }

    /// Hands over its stdin (to write from another thread); dropping it
    /// is end of input.
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// Waits until it has closed its output and exited.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, TaskError> {
        self.wait_for("exit", timeout, Process::output_closed)?;
        self.reap()
    }

    /// Waits for a process whose output has closed (so it is ending).
    pub fn reap(&mut self) -> Result<ExitStatus, TaskError> {
        let status = self
            .child
            .wait()
            .map_err(|error| self.failure(&format!("cannot be waited for: {error}")))?;
        self.status = Some(status);
        Ok(status)
    }

    /// Kills it (if it still runs) and reaps it.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
        self.status
    }

    /// Fails unless it is still running.
    pub fn check_running(&mut self) -> Result<(), TaskError> {
        match self.exited() {
            None => Ok(()),
            Some(status) => {
                // Collect what it said before it went.
                let _ = self.wait_for(
                    "end of output",
                    Duration::from_secs(1),
                    Process::output_closed,
                );
                Err(self.failure(&format!("exited ({status})")))
            }
        }
    }

    /// An error naming the program and the last lines of its stderr.
    pub fn failure(&self, what: &str) -> TaskError {
        let tail = &self.stderr[self.stderr.len().saturating_sub(5)..];
        let said = if tail.is_empty() {
            String::new()
        } else {
            format!("; its stderr ended with:\n  {}", tail.join("\n  "))
        };
        TaskError::failed(format!("{}: {what}{said}", self.label))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A program that uses this terminal itself (the reader types into it).
/// Dropping it kills and reaps it.
pub struct Attached(Child);

impl Attached {
    pub fn start(label: &str, mut command: Command) -> Result<Attached, TaskError> {
        command
            .spawn()
            .map(Attached)
            .map_err(|error| TaskError::failed(format!("cannot start {label}: {error}")))
    }

    /// Whether it has exited (checked without waiting).
    pub fn has_exited(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(Some(_)))
    }

    /// Waits for it to exit.
    pub fn wait(&mut self) {
        let _ = self.0.wait();
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        if !self.has_exited() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `inner` run by `prefix` (say `strace -f -c -o FILE`): the same
/// arguments, environment and folder, with the prefix's program in front.
pub fn wrapped<S: AsRef<OsStr>>(prefix: &[S], inner: &Command) -> Command {
    let (program, mut args): (&OsStr, Vec<&OsStr>) = match prefix.split_first() {
        Some((first, rest)) => (
            first.as_ref(),
            rest.iter()
                .map(AsRef::as_ref)
                .chain([inner.get_program()])
                .collect(),
        ),
        None => (inner.get_program(), Vec::new()),
    };
    args.extend(inner.get_args());
    let mut command = Command::new(program);
    command.args(args);
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    if let Some(dir) = inner.get_current_dir() {
        command.current_dir(dir);
    }
    command
}

/// What a tool printed, once it has ended.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` to its end (at most `timeout`) and keeps its output.
pub fn run_to_end(label: &str, command: Command, timeout: Duration) -> Result<Finished, TaskError> {
    let mut process = Process::start(label, command, true)?;
    drop(process.take_stdin());
    let status = process.wait_exit(timeout)?;
    Ok(Finished {
        status,
        stdout: String::from_utf8_lossy(&process.stdout).into_owned(),
        stderr: process.stderr.join("\n"),
    })
}

/// Runs a short tool whose stdin and stderr the caller has set (a terminal
/// query reads the terminal itself) to its end, keeping its stdout; `None`
/// if it could not start or failed.
pub fn stdout_of_tool(mut command: Command) -> Option<String> {
    let output = command.stdout(Stdio::piped()).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Where `needle` first stands in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len().max(1))
        .position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_goes_in_front_with_the_environment_kept() {
        let mut inner = Command::new("server");
        inner.arg("127.0.0.1:0").env_remove("PYTHONUNBUFFERED");
        let command = wrapped(&["strace", "-f"], &inner);
        assert_eq!(command.get_program(), "strace");
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(args, ["-f", "server", "127.0.0.1:0"]);
        assert_eq!(command.get_envs().count(), 1);
        let same = wrapped::<&str>(&[], &inner);
        assert_eq!(same.get_program(), "server");
        assert_eq!(same.get_args().collect::<Vec<_>>(), ["127.0.0.1:0"]);
    }

    #[test]
    fn text_is_found() {
        assert_eq!(find(b"abcabc", b"ca"), Some(2));
        assert_eq!(find(b"abc", b"x"), None);
    }
}
