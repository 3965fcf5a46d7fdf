//! The project's tasks, run as `cargo xtask <task>` (the alias is in
//! `.cargo/config.toml`):
//!
//! - `demo <hello|tcp|chat|udp|all>`: runs a pairing end to end and prints
//!   one labelled transcript.
//! - `compare <crate>`: a crate's `main.rs` beside the listing it mirrors.
//! - `bench`: the release programs measured against the Python listings.

mod bench;
mod compare;
mod demo;
mod width;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const TASKS: &str = "\
usage: cargo xtask <task> [options]

tasks:
  demo <hello|tcp|chat|udp|all>   run a pairing end to end and show the transcript
  demo chat --live                chat as the client yourself, with a scripted server
  compare <crate> [--markdown]    show a crate's main.rs beside its Python listing
  compare --check                 check every crate's `// py:` annotations
  bench [--quick] [--json]        measure the programs against the Python listings

`cargo xtask <task> --help` tells more about each.
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
}

/// The workspace's root folder (xtask sits in it).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// `cargo build` of the six programs, in debug (quick to build, for the
/// demo) or release (for the bench).
pub fn build_programs(release: bool) -> Result<(), TaskError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.args(["build", "--quiet", "--bins"]);
    if release {
        command.arg("--release");
    }
    for (program, _) in compare::PROGRAMS {
        command.args(["--package", program]);
    }
    let status = command
        .current_dir(workspace_root())
        .status()
        .map_err(|error| TaskError::failed(format!("cannot run cargo build: {error}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(TaskError::failed(format!("cargo build failed ({status})")))
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
        "-h" | "--help" | "help" => {
            out(TASKS);
            Ok(())
        }
        "" => Err(TaskError::usage("no task given")),
        other => Err(TaskError::usage(format!("unknown task {other:?}"))),
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
