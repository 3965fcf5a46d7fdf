//! The project's tasks, run as `cargo xtask <task>` (the alias is in
//! `.cargo/config.toml`):
//!
//! - `demo <hello|tcp|chat|udp|all>`: runs a pairing end to end and prints
//!   one labelled transcript.
//! - `compare <crate>`: a crate's `main.rs` beside the listing it mirrors;
//!   `--html` writes it as offline web pages.
//! - `bench`: the release programs measured against the Python listings.
//! - `trace <hello|tcp|chat|udp>`: the system calls underneath each listing
//!   line, Python beside Rust (strace; `--packets`: tcpdump).

mod bench;
mod compare;
mod demo;
mod harness;
mod highlight;
mod markdown;
mod page;
mod paint;
mod trace;
mod width;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

const TASKS: &str = "\
用法 / usage: cargo xtask <task> [options]

任务 / tasks:
  demo <hello|tcp|chat|udp|all>   运行一对程序，显示两边的对话
                                  run a pairing end to end, show the transcript
  demo chat --live                你来当 chat-client，服务器由脚本回答
                                  be chat-client yourself, with a scripted server
  compare <crate> [--markdown]    Python 原文与 Rust 逐行对照
                                  a crate's main.rs beside its Python listing
  compare --html [DIR]            同上，写成离线网页 (target/compare/)
                                  the same as offline web pages
  compare --check                 检查每个 crate 的 `// py:` 注释
                                  check every crate's `// py:` annotations
  bench [--quick]                 与教程的 Python 程序比较性能
                                  measure the programs against the Python listings
  trace <hello|tcp|chat|udp>      每行代码下面的系统调用，Python 与 Rust 对照
        [--packets] [--html]      the system calls under each line, side by side
                                  (strace; --packets: 回环上的数据包 / tcpdump)

`cargo xtask <task> --help` 介绍每个任务 / tells more about each.
";

/// Why a task did not succeed.
pub enum TaskError {
    /// The command line was wrong (exit 2).
    Usage(String),
    /// The task ran and failed (exit 1).
    Failed(String),
}

impl TaskError {
    pub fn usage(message: impl Into<String>) -> Self {
        TaskError::Usage(message.into())
    }

    pub fn failed(message: impl Into<String>) -> Self {
        TaskError::Failed(message.into())
    }

    pub fn message(&self) -> &str {
        match self {
            TaskError::Usage(message) | TaskError::Failed(message) => message,
        }
    }
}

/// The six programs, one per listing.
pub const PROGRAMS: [&str; 6] = [
    "hello-server",
    "tcp-client",
    "chat-server",
    "chat-client",
    "udp-server",
    "udp-client",
];

/// The workspace's root folder (xtask sits in it).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Where `cargo build` put the programs: beside this xtask binary (debug),
/// or in the release folder beside that one.
pub fn programs_dir(release: bool) -> Result<PathBuf, TaskError> {
    let exe = std::env::current_exe()
        .map_err(|error| TaskError::failed(format!("cannot find the xtask binary: {error}")))?;
    let own = exe
        .parent()
        .ok_or_else(|| TaskError::failed("the xtask binary has no folder"))?;
    Ok(if release {
        own.parent().unwrap_or(own).join("release")
    } else {
        own.to_path_buf()
    })
}

/// The file of program `name` in `dir`.
pub fn program_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The file of program `name` in `dir`, which must have been built.
pub fn built_program(dir: &Path, name: &str) -> Result<PathBuf, TaskError> {
    let path = program_file(dir, name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(TaskError::failed(format!(
            "{} is not built (run without --no-build)",
            path.display()
        )))
    }
}

/// `cargo build` of the six programs, in debug (quick to build, for the
/// demo) or release (for the bench).
pub fn build_programs(release: bool) -> Result<(), TaskError> {
    build_programs_with(|command| {
        if release {
            command.arg("--release");
        }
    })
}

/// `cargo build` of the six programs, with what `options` adds to the
/// command (a profile, a target folder, RUSTFLAGS).
pub fn build_programs_with(options: impl FnOnce(&mut Command)) -> Result<(), TaskError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--quiet", "--bins"]);
    for program in PROGRAMS {
        command.args(["--package", program]);
    }
    options(&mut command);
    command.current_dir(workspace_root());
    // A generous bound: a first release build on a busy machine is slow.
    let build = harness::run_to_end("cargo build", command, Duration::from_secs(1800))?;
    if build.status.success() {
        Ok(())
    } else {
        Err(TaskError::failed(format!(
            "cargo build failed ({}):\n{}",
            build.status, build.stderr
        )))
    }
}

/// Writes to stdout; a closed stdout (`| head`) is not worth a panic.
pub fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Writes a line to stderr, ignoring a closed stderr.
fn err(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("", &[][..]),
    };
    let outcome = match task {
        "demo" => demo::run(rest),
        "compare" => compare::run(rest),
        "bench" => bench::run(rest),
        "trace" => trace::run(rest),
        "-h" | "--help" | "help" => {
            out(TASKS);
            Ok(())
        }
        "" => Err(TaskError::usage("没有指定任务 / no task given")),
        other => Err(TaskError::usage(format!(
            "未知任务 / unknown task {other:?}"
        ))),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(TaskError::Usage(message)) => {
            err(&format!("xtask: {message}\n\n{TASKS}"));
            ExitCode::from(2)
        }
        Err(TaskError::Failed(message)) => {
            err(&format!("xtask: {message}"));
            ExitCode::FAILURE
        }
    }
}
