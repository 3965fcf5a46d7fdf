//! What every end-to-end test needs: the built binaries, the Python peers,
//! the texts the programs print (from xtask's table of the pairings),
//! processes that are always killed (xtask's harness, with assertions
//! here), and failure messages that show the command, its stdin, exit
//! status, stdout and stderr.

use std::fmt::Display;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use xtask::harness::{escaped, run_to_end, Process, Programs};
pub use xtask::harness::{occurrences, HANG_GUARD};
pub use xtask::pairings::{
    CHAT_CLIENT_CONNECTED, CHAT_PROMPT, CHAT_SERVER_CONNECTED, CONVERTED, FROM, HELLO_BANNER,
    NOT_A_TEMPERATURE, PEER_CLOSED, RECEIVED, TCP_PROMPT, TRY_A_NUMBER, UDP_BANNER, UDP_PROMPT,
};

/// The six programs, in the tutorial's order.
pub const PROGRAMS: [&str; 6] = {
    let p = xtask::pairings::PROGRAMS;
    [
        p[0].name, p[1].name, p[2].name, p[3].name, p[4].name, p[5].name,
    ]
};

/// The tutorial's listing a program mirrors: `hello-server` → `hello_server.py`.
pub fn listing_of(program: &str) -> String {
    let listing = xtask::pairings::program(program).map(|p| p.listing);
    listing
        .unwrap_or_else(|| panic!("no program {program}"))
        .to_string()
}

/// The reply every hello server sends.
pub const HELLO_REPLY: &[u8] = xtask::pairings::HELLO_REPLY.as_bytes();

/// The text of all the messages a chat program printed, joined: each print
/// is `RECEIVED`, the text, and one newline; prompts are left out.
pub fn chat_messages(proc: &Proc) -> String {
    let stdout = proc.stdout_text().replace(CHAT_PROMPT, "");
    stdout
        .split(RECEIVED)
        .skip(1)
        .map(|piece| piece.strip_suffix('\n').unwrap_or(piece))
        .collect()
}

/// The workspace's root folder.
pub fn workspace_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(xtask::workspace::root)
}

/// Programs built elsewhere, run through a runner: with
/// `E2E_PROGRAMS=<folder of built programs>` the suite builds nothing and
/// starts `<folder>/<name>.exe` (or `<name>`), through
/// `E2E_RUNNER=<program>` when that is set (`.ci/cross` runs the Windows
/// build this way, with `.ci/wine-run` as the runner).
fn from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

/// Whether the programs run through a runner, so a process id is the
/// runner's and not the program's own as this OS knows it.
pub fn through_a_runner() -> bool {
    from_env("E2E_RUNNER").is_some()
}

/// Whether `/proc/<pid>` describes the programs: on Linux, started
/// directly. Else prints why the calling test skips that check and returns
/// false.
pub fn proc_describes_programs(test: &str) -> bool {
    let reason = if !cfg!(target_os = "linux") {
        "no /proc on this OS"
    } else if through_a_runner() {
        "the programs run through E2E_RUNNER: /proc shows the runner"
    } else {
        return true;
    };
    eprintln!("{test}: skipping its /proc check: {reason}");
    false
}

/// Where the workspace's binaries are: built once for the whole test run
/// (`cargo test` builds only test harnesses, not the binaries themselves),
/// or elsewhere (`E2E_PROGRAMS`).
fn programs() -> &'static Programs {
    static PROGRAMS: OnceLock<Result<Programs, String>> = OnceLock::new();
    let found = PROGRAMS.get_or_init(|| {
        let dir = match from_env("E2E_PROGRAMS") {
            Some(dir) => dir,
            None => build_binaries()?,
        };
        let runner = from_env("E2E_RUNNER");
        Ok(Programs { dir, runner })
    });
    found.as_ref().unwrap_or_else(|message| panic!("{message}"))
}

fn build_binaries() -> Result<PathBuf, String> {
    // This test binary lives in target/<profile>/deps; the binaries one up.
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("no target folder above {}", exe.display()))?
        .to_path_buf();
    let release = dir.file_name().is_some_and(|name| name == "release");
    let built = xtask::workspace::cargo_build(|cargo| {
        cargo.args(["--workspace", "--bins"]);
        if release {
            cargo.arg("--release");
        }
    });
    built.map_err(|error| error.message().to_string())?;
    Ok(dir)
}

/// The path of a workspace binary.
pub fn bin(name: &str) -> PathBuf {
    programs().path(name)
}

/// Whether the programs under test are Windows programs (built for
/// Windows here, or `.exe` files from `E2E_PROGRAMS`).
pub fn programs_are_windows() -> bool {
    cfg!(windows)
        || bin("tcp-client")
            .extension()
            .is_some_and(|ext| ext == "exe")
}

/// A command for one of the workspace's programs (through `E2E_RUNNER`
/// when set).
pub fn rust(name: &str) -> Command {
    programs().command(name)
}

/// `rust(name)` for assert_cmd's one-shot assertions.
pub fn rust_assert(name: &str) -> assert_cmd::Command {
    assert_cmd::Command::from_std(rust(name))
}

/// A command for Python 3, found once: `python3`, else `python` if it is
/// version 3, else the Windows launcher's `py -3`.
pub fn python3() -> Command {
    static FOUND: OnceLock<Result<Vec<&'static str>, String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let candidates: [&[&'static str]; 3] = [&["python3"], &["python"], &["py", "-3"]];
        for candidate in candidates {
            let mut command = Command::new(candidate[0]);
            command.args(&candidate[1..]).arg("--version");
            // Python 3.4+ writes its version to stdout, older ones to stderr.
            if let Ok(done) = run_to_end(command, HANG_GUARD) {
                let version = done.stdout + &done.stderr;
                if done.status.success() && version.starts_with("Python 3") {
                    return Ok(candidate.to_vec());
                }
            }
        }
        Err("Python 3 not found as python3, python or py -3: the tests need it".to_string())
    });
    match found {
        Ok(words) => {
            let mut command = Command::new(words[0]);
            command.args(&words[1..]);
            command
        }
        Err(message) => panic!("{message}"),
    }
}

/// A command for a Python peer in `tests/peers`, unbuffered so a killed
/// peer loses nothing it printed.
pub fn python(peer: &str) -> Command {
    let mut command = python3();
    command
        .arg(workspace_root().join("tests/peers").join(peer))
        .env("PYTHONUNBUFFERED", "1");
    command
}

/// `command` with `addr` as its argument: a client aimed at a server.
pub fn with_addr(mut command: Command, addr: SocketAddr) -> Command {
    command.arg(addr.to_string());
    command
}

/// An address where nothing listens: a port the OS handed out and that was
/// released again at once.
pub fn unused_addr() -> SocketAddr {
    local_listener().1
}

/// A listener on a port the OS picks, for a test playing the server.
pub fn local_listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local_addr");
    (listener, addr)
}

/// A UDP socket on a port the OS picks, whose reads give up after the hang
/// guard.
pub fn local_udp_socket() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 (udp)");
    socket
        .set_read_timeout(Some(HANG_GUARD))
        .expect("set_read_timeout");
    socket
}

/// Sends `request` as one write and reads the reply to its end.
pub fn tcp_exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request).expect("send the request");
    read_to_end_guarded(&mut stream).expect("a reply and a clean end of stream")
}

/// Reads a stream to its end, failing instead of hanging.
pub fn read_to_end_guarded(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(HANG_GUARD))?;
    let mut all = Vec::new();
    stream.read_to_end(&mut all)?;
    Ok(all)
}

/// Checks `done` every few milliseconds until it holds or `timeout` has
/// passed; returns whether it held. For state no event announces (a process
/// exit, `/proc` counters).
pub fn poll_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(5)); // poll interval, not a wait for the program: `done` decides
    }
}

/// The number of open file descriptors of a process (0 without `/proc`).
pub fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| dir.count())
        .unwrap_or(0)
}

/// A running program whose stdin we write and whose stdout and stderr we
/// read: xtask's harness, with assertions that fail the test showing the
/// report. Dropping it kills and reaps it, also when an assertion failed.
pub struct Proc(Process);

impl Deref for Proc {
    type Target = Process;
    fn deref(&self) -> &Process {
        &self.0
    }
}

impl DerefMut for Proc {
    fn deref_mut(&mut self) -> &mut Process {
        &mut self.0
    }
}

/// A harness result, or the test fails with its message.
#[track_caller]
fn or_fail<T>(result: Result<T, String>) -> T {
    result.unwrap_or_else(|message| panic!("{message}"))
}

impl Proc {
    pub fn start(command: Command) -> Proc {
        Proc(or_fail(Process::start(command)))
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
    #[track_caller]
    pub fn wait_ready(&self) -> SocketAddr {
        or_fail(self.0.wait_ready())
    }

    pub fn stdout(&self) -> Vec<u8> {
        self.0.stdout()
    }

    /// Waits until stdout holds `needle` `count` times; fails the test,
    /// showing everything, if it does not within the hang guard.
    #[track_caller]
    pub fn wait_stdout_count(&self, needle: &str, count: usize) {
        or_fail(self.0.wait_text(false, needle, count));
    }

    #[track_caller]
    pub fn wait_stdout(&self, needle: &str) {
        self.wait_stdout_count(needle, 1);
    }

    #[track_caller]
    pub fn wait_stderr(&self, needle: &str) {
        self.wait_stderr_count(needle, 1);
    }

    /// Waits until stderr holds `needle` `count` times.
    #[track_caller]
    pub fn wait_stderr_count(&self, needle: &str, count: usize) {
        or_fail(self.0.wait_text(true, needle, count));
    }

    /// Writes to the program's stdin.
    #[track_caller]
    pub fn type_in(&mut self, text: &[u8]) {
        or_fail(self.0.type_in(text));
    }

    /// Waits for the program to exit, and for its output to be complete.
    #[track_caller]
    pub fn wait_exit(&mut self) -> ExitStatus {
        or_fail(self.0.wait_exit(HANG_GUARD))
    }

    /// Waits for the exit like `wait_exit`, and also returns the CPU time
    /// (user + system) the process used in its whole life, read from
    /// `/proc/<pid>/stat` while it is a zombie, before it is reaped. `None`
    /// where there is no `/proc` (not Linux).
    #[track_caller]
    pub fn wait_exit_with_cpu_time(&mut self) -> (ExitStatus, Option<Duration>) {
        let stat_path = format!("/proc/{}/stat", self.pid());
        let mut cpu = None;
        let mut no_proc = !proc_describes_programs("wait_exit_with_cpu_time");
        let zombie = no_proc
            || poll_until(HANG_GUARD, || {
                let Ok(stat) = std::fs::read_to_string(&stat_path) else {
                    no_proc = true;
                    return true;
                };
                // The fields after the command name: state is the first,
                // utime and stime (in clock ticks) the 12th and 13th.
                let fields: Vec<&str> = stat
                    .rsplit_once(')')
                    .map(|(_, rest)| rest.split_whitespace().collect())
                    .unwrap_or_default();
                if fields.first() != Some(&"Z") {
                    return false;
                }
                let ticks: u64 =
                    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
                // USER_HZ, the unit of these fields, is 100 on Linux.
                cpu = Some(Duration::from_millis(ticks * 10));
                true
            });
        if !zombie {
            self.fail(format!("still running after {HANG_GUARD:?}"));
        }
        let status = self.wait_exit();
        (status, if no_proc { None } else { cpu })
    }

    // Assertions: each failure shows what was expected and the report.

    /// Fails the test with `what` and the report.
    #[track_caller]
    pub fn fail(&self, what: impl Display) -> ! {
        panic!("{}", self.0.fail(what))
    }

    /// Fails the test with `what` and the report unless `holds`.
    #[track_caller]
    pub fn assert_holds(&self, holds: bool, what: impl Display) {
        if !holds {
            self.fail(what);
        }
    }

    /// Waits for the exit and asserts its code.
    #[track_caller]
    pub fn assert_exit_code(&mut self, expected: i32) {
        self.assert_exit_code_among(&[expected]);
    }

    /// Waits for the exit and asserts its code is one of `expected`.
    #[track_caller]
    pub fn assert_exit_code_among(&mut self, expected: &[i32]) {
        let code = self.wait_exit().code();
        if !code.is_some_and(|code| expected.contains(&code)) {
            self.fail(format!("expected exit code {expected:?}, got {code:?}"));
        }
    }

    /// Asserts that `actual`, something of this program's (its output, a
    /// reply it sent), is `expected` byte for byte.
    #[track_caller]
    pub fn assert_bytes_eq(
        &self,
        what: &str,
        actual: impl AsRef<[u8]>,
        expected: impl AsRef<[u8]>,
    ) {
        if let Some(difference) = difference(actual.as_ref(), expected.as_ref()) {
            self.fail(format!("{what}: {difference}"));
        }
    }

    /// Asserts stdout so far, byte for byte.
    #[track_caller]
    pub fn assert_stdout_eq(&self, expected: impl AsRef<[u8]>) {
        self.assert_bytes_eq("stdout", self.stdout(), expected);
    }

    /// Asserts that `reply`, which this program sent, is `expected`.
    #[track_caller]
    pub fn assert_reply(&self, reply: impl AsRef<[u8]>, expected: impl AsRef<[u8]>) {
        self.assert_bytes_eq("reply", reply, expected);
    }

    #[track_caller]
    pub fn assert_stdout_lacks(&self, needle: &str) {
        self.assert_holds(
            !self.stdout_text().contains(needle),
            format!("stdout has {needle:?}"),
        );
    }

    #[track_caller]
    pub fn assert_stdout_contains(&self, needle: &str) {
        self.assert_holds(
            self.stdout_text().contains(needle),
            format!("stdout lacks {needle:?}"),
        );
    }

    #[track_caller]
    pub fn assert_stdout_ends_with(&self, tail: &str) {
        self.assert_holds(
            self.stdout_text().ends_with(tail),
            format!("stdout does not end with {}", escaped(tail.as_bytes(), 200)),
        );
    }

    #[track_caller]
    pub fn assert_stderr_contains(&self, needle: &str) {
        self.assert_holds(
            self.stderr_text().contains(needle),
            format!("stderr lacks {needle:?}"),
        );
    }

    #[track_caller]
    pub fn assert_stderr_lacks(&self, needle: &str) {
        self.assert_holds(
            !self.stderr_text().contains(needle),
            format!("stderr has {needle:?}"),
        );
    }

    /// Nothing the program met made it panic.
    #[track_caller]
    pub fn assert_no_panic(&self) {
        self.assert_stderr_lacks("panicked");
    }

    /// Asserts this program's `view` (its stdout, normalised as needed) is
    /// the `reference` program's (the Python listing's), showing both.
    #[track_caller]
    pub fn assert_same_as(&self, reference: &Proc, view: impl Fn(&Proc) -> Vec<u8>) {
        if let Some(difference) = difference(&view(self), &view(reference)) {
            panic!(
                "output differs from the reference: {difference}\n{}\nreference:\n{}",
                self.report(),
                reference.report()
            );
        }
    }

    /// Asserts stdout is the `reference` program's, byte for byte.
    #[track_caller]
    pub fn assert_same_stdout_as(&self, reference: &Proc) {
        self.assert_same_as(reference, Proc::stdout);
    }
}

/// Asserts two byte strings are equal, telling where they part.
#[track_caller]
pub fn assert_bytes_eq(what: &str, actual: impl AsRef<[u8]>, expected: impl AsRef<[u8]>) {
    if let Some(difference) = difference(actual.as_ref(), expected.as_ref()) {
        panic!("{what}: {difference}");
    }
}

/// `None` if equal; else where `actual` first parts from `expected`, the
/// bytes around that place, and both in full when they are short, escaped
/// so that `\r` and control bytes show.
fn difference(actual: &[u8], expected: &[u8]) -> Option<String> {
    if actual == expected {
        return None;
    }
    let at = actual
        .iter()
        .zip(expected)
        .take_while(|(a, e)| a == e)
        .count();
    let line = 1 + occurrences(&expected[..at], b"\n");
    // From a character's first byte, so the excerpt starts readable.
    let is_continuation = |byte: &u8| (0x80..0xc0).contains(byte);
    let around = |bytes: &[u8]| {
        let to = bytes.len().min(at + 40);
        let mut from = at.saturating_sub(40).min(to);
        while from > 0 && bytes.get(from).is_some_and(is_continuation) {
            from -= 1;
        }
        escaped(&bytes[from..to], 200)
    };
    let mut message = format!(
        "differs at byte {at} (line {line}); {} bytes, {} expected\n  \
         expected here: {}\n  actual here:   {}",
        actual.len(),
        expected.len(),
        around(expected),
        around(actual)
    );
    if actual.len().max(expected.len()) <= 1000 {
        message.push_str(&format!(
            "\n  expected: {}\n  actual:   {}",
            escaped(expected, 1000),
            escaped(actual, 1000)
        ));
    }
    Some(message)
}

/// Runs a short-lived command to its end with `input` on stdin.
pub fn run(command: Command, input: &[u8]) -> Proc {
    let mut proc = Proc::start(command);
    // The program may end without reading its input (a refused connection,
    // say): a closed pipe here is not the test's failure.
    let _ = proc.0.type_in(input);
    proc.close_stdin();
    proc.wait_exit();
    proc
}

/// Runs a Python program that reads one hex-encoded input per line and
/// prints one result per line; returns the results.
pub fn python_lines(program: &str, inputs: &[Vec<u8>]) -> Vec<String> {
    let mut stdin = String::new();
    for input in inputs {
        for byte in input {
            stdin.push_str(&format!("{byte:02x}"));
        }
        stdin.push('\n');
    }
    let mut command = python3();
    command.args(["-c", program]);
    let mut python = run(command, stdin.as_bytes());
    python.assert_exit_code(0);
    let lines: Vec<String> = python.stdout_text().lines().map(str::to_string).collect();
    python.assert_holds(
        lines.len() == inputs.len(),
        format!("{} lines for {} inputs", lines.len(), inputs.len()),
    );
    lines
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
