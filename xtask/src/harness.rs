//! The one place xtask and the end-to-end tests start programs.
//!
//! A [`Process`] is a program started with its three streams piped: reader
//! threads collect what it prints as it comes, and whoever started it
//! waits, each time within a deadline, for a piece of text, for the
//! readiness line (`listening on <addr>`, a server's first stderr line) or
//! for the exit. The deadlines are hang guards, not performance claims.
//! Dropping a `Process` kills and reaps whatever still runs, however the
//! task or the test ends. [`Programs`] says where the six programs are and
//! what starts them; [`run_to_end`] runs a tool to its end; [`Attached`] is
//! a program in this terminal.

use std::fmt::Display;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// How long anyone waits for a program before calling it a hang: long
/// enough for a busy two-core machine running the Windows build under Wine.
pub const HANG_GUARD: Duration = Duration::from_secs(30);

/// What a process printed so far.
#[derive(Default)]
pub struct Printed {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// How many of the two streams are still open.
    open: u8,
}

/// What a process printed, filled in by its reader threads, and a signal
/// for whoever waits on it.
type Shared = Arc<(Mutex<Printed>, Condvar)>;

fn lock(shared: &Shared) -> MutexGuard<'_, Printed> {
    shared.0.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts `command` with the streams given: the one place a program starts.
fn spawn(command: &mut Command, [stdin, stdout, stderr]: [Stdio; 3]) -> Result<Child, String> {
    let started = command.stdin(stdin).stdout(stdout).stderr(stderr).spawn();
    started.map_err(|error| format!("cannot start {command:?}: {error}"))
}

/// A started program. Dropping it kills and reaps it.
pub struct Process {
    shown: String,
    child: Child,
    stdin: Option<ChildStdin>,
    /// All that was typed into its stdin, for the report.
    typed: Vec<u8>,
    printed: Shared,
    status: Option<ExitStatus>,
}

impl Process {
    /// Starts `command` with its three streams piped.
    pub fn start(mut command: Command) -> Result<Process, String> {
        let mut child = spawn(&mut command, [Stdio::piped(), Stdio::piped(), Stdio::piped()])?;
        let printed = Printed { open: 2, ..Printed::default() };
        let printed: Shared = Arc::new((Mutex::new(printed), Condvar::new()));
        let streams: [Option<Box<dyn Read + Send>>; 2] = [
            child.stdout.take().map(|out| Box::new(out) as Box<dyn Read + Send>),
            child.stderr.take().map(|err| Box::new(err) as Box<dyn Read + Send>),
        ];
        for (err, mut source) in
            streams.into_iter().enumerate().filter_map(|(i, s)| Some((i == 1, s?)))
        {
            // A reader thread: appends what the stream gives, until it ends.
            let shared = Arc::clone(&printed);
            thread::spawn(move || {
                let mut chunk = [0u8; 16 * 1024];
                loop {
                    let read = source.read(&mut chunk).unwrap_or(0);
                    let mut printed = lock(&shared);
                    match (read, err) {
                        (0, _) => printed.open -= 1,
                        (_, true) => printed.stderr.extend_from_slice(&chunk[..read]),
                        (_, false) => printed.stdout.extend_from_slice(&chunk[..read]),
                    }
                    shared.1.notify_all();
                    if read == 0 {
                        return;
                    }
                }
            });
        }
        let (shown, stdin) = (format!("{command:?}"), child.stdin.take());
        Ok(Process { shown, child, stdin, typed: Vec::new(), printed, status: None })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads what it printed so far.
    pub fn printed<T>(&self, read: impl FnOnce(&Printed) -> T) -> T {
        read(&lock(&self.printed))
    }

    pub fn stdout(&self) -> Vec<u8> {
        self.printed(|printed| printed.stdout.clone())
    }

    pub fn stdout_text(&self) -> String {
        self.printed(|printed| String::from_utf8_lossy(&printed.stdout).into_owned())
    }

    pub fn stderr_text(&self) -> String {
        self.printed(|printed| String::from_utf8_lossy(&printed.stderr).into_owned())
    }

    /// Waits until `done` holds for what it printed, or both its streams
    /// have ended, or `timeout` passes; whether its streams have ended.
    fn wait(&self, timeout: Duration, mut done: impl FnMut(&Printed) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut printed = lock(&self.printed);
        while !done(&printed) && printed.open > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            printed = match self.printed.1.wait_timeout(printed, left) {
                Ok((printed, _)) => printed,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        printed.open == 0
    }

    /// Waits until `done` holds for what it printed; fails, naming `what`,
    /// when its output ends first or `timeout` passes.
    pub fn wait_for(
        &self,
        what: impl Display,
        timeout: Duration,
        mut done: impl FnMut(&Printed) -> bool,
    ) -> Result<(), String> {
        let ended = self.wait(timeout, &mut done);
        match (self.printed(&mut done), ended) {
            (true, _) => Ok(()),
            (false, true) => Err(self.fail(format!("ended before {what}"))),
            (false, false) => Err(self.fail(format!("no {what} within {timeout:?}"))),
        }
    }

    /// Waits until its stdout (or stderr, `err`) holds `text` `count` times.
    pub fn wait_text(&self, err: bool, text: &str, count: usize) -> Result<(), String> {
        let what = format!("{count}× {text:?} on {}", if err { "stderr" } else { "stdout" });
        self.wait_for(what, HANG_GUARD, |printed| {
            occurrences(if err { &printed.stderr } else { &printed.stdout }, text.as_bytes())
                >= count
        })
    }

    /// Waits for the readiness line, which must be its first stderr line,
    /// and returns its address.
    pub fn wait_ready(&self) -> Result<SocketAddr, String> {
        let what = "`listening on <addr>` as the first line on stderr";
        let _ = self.wait_for(what, HANG_GUARD, |printed| printed.stderr.contains(&b'\n'));
        let stderr = self.stderr_text();
        let first = stderr.lines().next().unwrap_or_default();
        let addr = first.strip_prefix("listening on ").and_then(|a| a.parse().ok());
        addr.ok_or_else(|| self.fail(format!("no {what}")))
    }

    /// Types `bytes` into its stdin.
    pub fn type_in(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.typed.extend_from_slice(bytes);
        let typed = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(bytes).and_then(|()| stdin.flush()),
            None => return Err(self.fail("its stdin is closed")),
        };
        typed.map_err(|error| self.fail(format!("cannot write to its stdin: {error}")))
    }

    /// Closes its stdin: the program reads the end of its input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Its exit status, if it has exited (checked without waiting).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits for it to exit, and for its output to be complete; `None`
    /// if it still runs after `timeout`.
    pub fn try_wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        // std cannot wait for an exit with a deadline: look each time the
        // program prints, and every few milliseconds.
        while self.exited().is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            // Its output ends as it exits: look again then, or in a moment.
            if self.wait(left.min(Duration::from_millis(5)), |_| false) && self.exited().is_none() {
                thread::sleep(Duration::from_millis(1));
            }
        }
        // The pipes close as the process goes: collect the rest.
        self.wait(HANG_GUARD, |_| false);
        self.status
    }

    /// Waits for it to exit, at most `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let status = self.try_wait_exit(timeout);
        status.ok_or_else(|| self.fail(format!("still running after {timeout:?}")))
    }

    /// Kills it (if it still runs) and reaps it.
    pub fn kill(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }

    /// `what` went wrong, with the report.
    pub fn fail(&self, what: impl Display) -> String {
        format!("{what}\n{}", self.report())
    }

    /// The command, its stdin, its exit status, stdout and stderr.
    pub fn report(&self) -> String {
        let status = self.status.map_or("still running".into(), |s| s.to_string());
        let (command, stdin) = (&self.shown, escaped(&self.typed, 2000));
        let (stdout, stderr) = (self.stdout_text(), self.stderr_text());
        format!(
            "command: {command}\nstdin: {stdin}\nstatus: {status}\n\
             --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n---"
        )
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A program using this terminal itself (the reader types into it).
/// Dropping it kills and reaps it.
pub struct Attached(Child);

impl Attached {
    pub fn start(mut command: Command) -> Result<Attached, String> {
        spawn(&mut command, [Stdio::inherit(), Stdio::inherit(), Stdio::inherit()]).map(Attached)
    }

    pub fn has_exited(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(Some(_)))
    }

    pub fn wait(&mut self) {
        let _ = self.0.wait();
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        if !self.has_exited() {
            let _ = self.0.kill();
        }
        self.wait();
    }
}

/// What a tool printed, once it has ended.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a tool to its end (at most `timeout`), with nothing on its stdin,
/// and keeps what it printed.
pub fn run_to_end(command: Command, timeout: Duration) -> Result<Finished, String> {
    let mut process = Process::start(command)?;
    process.close_stdin();
    let status = process.wait_exit(timeout)?;
    Ok(Finished { status, stdout: process.stdout_text(), stderr: process.stderr_text() })
}

/// What a short tool printed on stdout, its stdin and stderr as given (a
/// terminal it asks, say); `None` if it could not run or failed.
pub fn answer_of(mut command: Command, stdin: Stdio, stderr: Stdio) -> Option<String> {
    let output =
        spawn(&mut command, [stdin, Stdio::piped(), stderr]).ok()?.wait_with_output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Asks a process to end (SIGTERM), so that it can finish what it writes.
pub fn terminate(pid: u32) {
    let mut command = Command::new("kill");
    command.args(["-TERM", &pid.to_string()]);
    let _ = run_to_end(command, HANG_GUARD);
}

/// `inner` run by `prefix` (such as `strace -f -o FILE`): the same
/// arguments, environment and folder, with the prefix's program in front.
pub fn wrapped<S: AsRef<std::ffi::OsStr>>(prefix: &[S], inner: &Command) -> Command {
    let mut words = prefix.iter().map(AsRef::as_ref).chain([inner.get_program()]);
    let mut command = Command::new(words.next().unwrap_or_default());
    command.args(words).args(inner.get_args());
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

/// Where the six programs are, and what starts them: built beside this
/// binary, or built elsewhere (the Windows build) and started through a
/// runner (`.ci/wine-run`).
pub struct Programs {
    pub dir: PathBuf,
    pub runner: Option<PathBuf>,
}

impl Programs {
    /// `dir/<name>`, or `dir/<name>.exe` where only that is there.
    pub fn path(&self, name: &str) -> PathBuf {
        let native = self.dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        let windows = self.dir.join(format!("{name}.exe"));
        if !native.is_file() && windows.is_file() {
            windows
        } else {
            native
        }
    }

    /// The command that starts program `name`.
    pub fn command(&self, name: &str) -> Command {
        let Some(runner) = &self.runner else { return Command::new(self.path(name)) };
        let mut command = Command::new(runner);
        command.arg(self.path(name));
        command
    }
}

/// How often `needle` stands in `haystack`, not overlapping.
pub fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    let (mut count, mut rest) = (0, haystack);
    while let Some(at) = find(rest, needle) {
        (count, rest) = (count + 1, &rest[at + needle.len()..]);
    }
    count
}

/// Where `needle` first stands in `haystack` (an empty one nowhere).
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len().max(1)).position(|w| w == needle && !needle.is_empty())
}

/// Bytes as quoted text with escapes, cut after `limit` bytes.
pub fn escaped(bytes: &[u8], limit: usize) -> String {
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(limit)]);
    let more = if bytes.len() > limit { "…" } else { "" };
    format!("\"{}\"{more}", shown.escape_debug())
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
    fn text_is_found_and_counted() {
        assert_eq!(find(b"abcabc", b"ca"), Some(2));
        assert_eq!(find(b"abc", b"x"), None);
        assert_eq!(occurrences(b"aaaa", b"aa"), 2);
        assert_eq!(occurrences(b"abc", b""), 0);
    }
}
