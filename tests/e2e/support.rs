//! What every end-to-end test needs: the built binaries, the Python peers,
//! processes that are always killed, waiting on output with a timeout, and
//! failure messages that show the command, its status, stdout and stderr.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for anything before it calls it a hang. A guard
/// against hangs, not a performance claim.
pub const HANG_GUARD: Duration = Duration::from_secs(10);

/// The reply every hello server sends.
pub const HELLO_REPLY: &[u8] = b"HTTP/1.1 200 OK\r\n\r\nhello world";

/// The workspace's root folder.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits in the workspace root")
}

/// The path of a workspace binary, built once for the whole test run:
/// `cargo test` builds only test harnesses, not the binaries themselves.
pub fn bin(name: &str) -> PathBuf {
    static BIN_DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = BIN_DIR.get_or_init(build_binaries);
    match dir {
        Ok(dir) => dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)),
        Err(message) => panic!("{message}"),
    }
}

fn build_binaries() -> Result<PathBuf, String> {
    // This test binary lives in target/<profile>/deps; the binaries one up.
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("no target folder above {}", exe.display()))?
        .to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--workspace", "--bins", "--quiet"])
        .current_dir(workspace_root());
    if dir.file_name().is_some_and(|name| name == "release") {
        command.arg("--release");
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(dir)
}

/// A command for one of the workspace's binaries.
pub fn rust(name: &str) -> Command {
    Command::new(bin(name))
}

/// A command for a Python peer in `tests/peers`, unbuffered so a killed
/// peer loses nothing it printed.
pub fn python(peer: &str) -> Command {
    let mut command = Command::new("python3");
    command
        .arg(workspace_root().join("tests/peers").join(peer))
        .env("PYTHONUNBUFFERED", "1");
    command
}

/// An address where nothing listens: a port the OS handed out and that was
/// released again at once.
pub fn unused_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr")
}

/// One output stream of a child, collected by a thread as it arrives.
#[derive(Default)]
struct Collected {
    state: Mutex<(Vec<u8>, bool)>,
    changed: Condvar,
}

impl Collected {
    fn start(mut source: impl Read + Send + 'static) -> Arc<Collected> {
        let collected = Arc::new(Collected::default());
        let sink = Arc::clone(&collected);
        thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                let read = source.read(&mut chunk).unwrap_or(0);
                let mut state = sink.state.lock().unwrap();
                if read == 0 {
                    state.1 = true;
                } else {
                    state.0.extend_from_slice(&chunk[..read]);
                }
                sink.changed.notify_all();
                if read == 0 {
                    return;
                }
            }
        });
        collected
    }

    fn bytes(&self) -> Vec<u8> {
        self.state.lock().unwrap().0.clone()
    }

    /// Waits until `done` holds for the bytes so far (or the stream ends, or
    /// the time is up); returns whether it held.
    fn wait_for(&self, timeout: Duration, done: impl Fn(&[u8]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.state.lock().unwrap();
        loop {
            if done(&state.0) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if state.1 || left.is_zero() {
                return false;
            }
            state = self.changed.wait_timeout(state, left).unwrap().0;
        }
    }
}

/// A running program whose stdin we write and whose stdout and stderr we
/// read. Dropping it kills and reaps it, also when an assertion failed.
pub struct Proc {
    shown: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Collected>,
    stderr: Arc<Collected>,
    status: Option<ExitStatus>,
}

impl Proc {
    pub fn start(mut command: Command) -> Proc {
        let shown = format!("{command:?}");
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
        let stdin = child.stdin.take();
        let stdout = Collected::start(child.stdout.take().expect("piped stdout"));
        let stderr = Collected::start(child.stderr.take().expect("piped stderr"));
        Proc {
            shown,
            child,
            stdin,
            stdout,
            stderr,
            status: None,
        }
    }

    /// Starts a server on `127.0.0.1:0` and waits for its readiness line.
    pub fn server(mut command: Command) -> (Proc, SocketAddr) {
        command.arg("127.0.0.1:0");
        let server = Proc::start(command);
        let addr = server.wait_ready();
        (server, addr)
    }

    /// Reads the readiness line, `listening on <addr>`, which must be the
    /// first line on stderr.
    pub fn wait_ready(&self) -> SocketAddr {
        self.stderr.wait_for(HANG_GUARD, |e| e.contains(&b'\n'));
        let stderr = self.stderr.bytes();
        let first = String::from_utf8_lossy(&stderr);
        let first = first.lines().next().unwrap_or_default();
        first
            .strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no readiness line as first stderr line\n{}", self.report()))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&self) -> Vec<u8> {
        self.stdout.bytes()
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout()).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.bytes()).into_owned()
    }

    /// Waits until stdout holds `needle` `count` times; fails the test,
    /// showing everything, if it does not within the hang guard.
    pub fn wait_stdout_count(&self, needle: &str, count: usize) {
        let needle = needle.as_bytes();
        if !self
            .stdout
            .wait_for(HANG_GUARD, |out| occurrences(out, needle) >= count)
        {
            panic!(
                "expected {count}× {:?} on stdout\n{}",
                String::from_utf8_lossy(needle),
                self.report()
            );
        }
    }

    pub fn wait_stdout(&self, needle: &str) {
        self.wait_stdout_count(needle, 1);
    }

    pub fn wait_stderr(&self, needle: &str) {
        self.wait_stderr_count(needle, 1);
    }

    /// Waits until stderr holds `needle` `count` times.
    pub fn wait_stderr_count(&self, needle: &str, count: usize) {
        if !self.stderr.wait_for(HANG_GUARD, |err| {
            occurrences(err, needle.as_bytes()) >= count
        }) {
            panic!("expected {count}× {needle:?} on stderr\n{}", self.report());
        }
    }

    /// Writes to the program's stdin.
    pub fn type_in(&mut self, text: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        if let Err(e) = stdin.write_all(text).and_then(|()| stdin.flush()) {
            panic!("cannot write to stdin: {e}\n{}", self.report());
        }
    }

    /// Closes stdin: the program reads end of file.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the program to exit, and for its output to be complete.
    pub fn wait_exit(&mut self) -> ExitStatus {
        self.try_wait_exit(HANG_GUARD)
            .unwrap_or_else(|| panic!("still running after {HANG_GUARD:?}\n{}", self.report()))
    }

    /// Like `wait_exit`, but `None` if it is still running after `timeout`.
    pub fn try_wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.status = Some(status);
                // The pipes close when the process is gone: collect the rest.
                self.stdout.wait_for(HANG_GUARD, |_| false);
                self.stderr.wait_for(HANG_GUARD, |_| false);
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5)); // poll interval: std cannot wait for an exit with a timeout
        }
    }

    /// Waits for the exit like `wait_exit`, and also returns the CPU time
    /// (user + system) the process used in its whole life, read from
    /// `/proc/<pid>/stat` while it is a zombie, before it is reaped. `None`
    /// where there is no `/proc` (not Linux).
    pub fn wait_exit_with_cpu_time(&mut self) -> (ExitStatus, Option<Duration>) {
        let stat_path = format!("/proc/{}/stat", self.child.id());
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let Ok(stat) = std::fs::read_to_string(&stat_path) else {
                return (self.wait_exit(), None);
            };
            // The fields after the command name: state is the first,
            // utime and stime (in clock ticks) the 12th and 13th.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().collect())
                .unwrap_or_default();
            if fields.first() == Some(&"Z") {
                let ticks: u64 =
                    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
                // USER_HZ, the unit of these fields, is 100 on Linux.
                let cpu = Duration::from_millis(ticks * 10);
                return (self.wait_exit(), Some(cpu));
            }
            if Instant::now() >= deadline {
                panic!("still running after {HANG_GUARD:?}\n{}", self.report());
            }
            thread::sleep(Duration::from_millis(5)); // poll interval: std cannot wait for an exit with a timeout
        }
    }

    /// Asserts the exit code, showing everything if it differs.
    pub fn assert_exit_code(&mut self, expected: i32) {
        let status = self.wait_exit();
        if status.code() != Some(expected) {
            panic!("expected exit code {expected}\n{}", self.report());
        }
    }

    /// Kills the program (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        if let Ok(status) = self.child.wait() {
            self.status = Some(status);
        }
    }

    /// Command, exit status, stdout and stderr, for failure messages.
    pub fn report(&self) -> String {
        let status = match self.status {
            Some(status) => status.to_string(),
            None => "still running".to_string(),
        };
        format!(
            "command: {}\nstatus: {status}\n--- stdout ---\n{}\n--- stderr ---\n{}\n---",
            self.shown,
            self.stdout_text(),
            self.stderr_text()
        )
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.status.is_none() {
            self.kill();
        }
    }
}

/// How often `needle` occurs in `haystack` (non-overlapping).
pub fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() {
        return 0;
    }
    let mut count = 0;
    let mut rest = haystack;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        count += 1;
        rest = &rest[at + needle.len()..];
    }
    count
}

/// Runs a short-lived command to its end with `input` on stdin.
pub fn run(command: Command, input: &[u8]) -> Proc {
    let mut proc = Proc::start(command);
    // The program may end without reading its input (a refused connection,
    // say): a closed pipe here is not the test's failure.
    if let Some(stdin) = proc.stdin.as_mut() {
        let _ = stdin.write_all(input);
    }
    proc.close_stdin();
    proc.wait_exit();
    proc
}

/// Reads a stream to its end, failing instead of hanging.
pub fn read_to_end_guarded(stream: &mut std::net::TcpStream) -> io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(HANG_GUARD))?;
    let mut all = Vec::new();
    stream.read_to_end(&mut all)?;
    Ok(all)
}

/// A small seeded pseudo-random generator (SplitMix64), so generated test
/// inputs are the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
