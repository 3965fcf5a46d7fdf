//! Where things are: the workspace, its built programs, the Python that
//! runs its peers; and building the programs.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::harness::{run_to_end, HANG_GUARD};
use crate::pairings::{Program, PROGRAMS};
use crate::TaskError;

/// The workspace's root folder (xtask sits in it).
pub fn root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The Python peer in tests/peers/ that plays `program`'s listing.
pub fn peer(program: &Program) -> PathBuf {
    root().join("tests/peers").join(program.listing)
}

/// Where `cargo build` put the programs: beside this binary (debug), or
/// in the release folder beside that one.
pub fn programs_dir(release: bool) -> Result<PathBuf, TaskError> {
    let exe = std::env::current_exe()
        .map_err(|error| TaskError::failed(format!("cannot find the xtask binary: {error}")))?;
    let own = exe.parent().ok_or_else(|| TaskError::failed("the xtask binary has no folder"))?;
    Ok(if release { own.parent().unwrap_or(own).join("release") } else { own.to_path_buf() })
}

/// The file of program `name` in `dir`, which must have been built.
pub fn built_program(dir: &Path, name: &str) -> Result<PathBuf, TaskError> {
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() {
        Ok(path)
    } else {
        Err(TaskError::failed(format!("{} is not built (run without --no-build)", path.display())))
    }
}

/// `cargo build --quiet`, in the workspace's root, with what `configure`
/// adds (packages, a profile, a target folder, RUSTFLAGS).
pub fn cargo_build(configure: impl FnOnce(&mut Command)) -> Result<(), TaskError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--quiet"]).current_dir(root());
    configure(&mut command);
    // A generous bound: a first release build on a busy machine is slow.
    let build = run_to_end(command, Duration::from_secs(1800))?;
    if build.status.success() {
        Ok(())
    } else {
        Err(TaskError::failed(format!("cargo build failed ({}):\n{}", build.status, build.stderr)))
    }
}

/// `cargo build` of the six programs, with what `configure` adds.
pub fn build_programs(configure: impl FnOnce(&mut Command)) -> Result<(), TaskError> {
    cargo_build(|cargo| {
        cargo.arg("--bins");
        for program in PROGRAMS {
            cargo.args(["--package", program.name]);
        }
        configure(cargo);
    })
}

/// A file's text, or a failure naming it.
pub fn read(path: &Path) -> Result<String, TaskError> {
    std::fs::read_to_string(path)
        .map_err(|error| TaskError::failed(format!("cannot read {}: {error}", path.display())))
}

/// Creates a folder (and those above it), or fails naming it.
pub fn create_dir(dir: &Path) -> Result<(), TaskError> {
    std::fs::create_dir_all(dir)
        .map_err(|error| TaskError::failed(format!("cannot create {}: {error}", dir.display())))
}

/// Writes a file (creating its folder), or fails naming it.
pub fn write(path: &Path, text: &str) -> Result<(), TaskError> {
    create_dir(path.parent().unwrap_or(path))?;
    std::fs::write(path, text)
        .map_err(|error| TaskError::failed(format!("cannot write {}: {error}", path.display())))
}

/// The Python 3 interpreter itself behind `python` (a pyenv or similar
/// shim is a script whose own start-up would count in every trace and
/// bench figure), and its version.
pub fn python(python: &OsStr) -> Result<(PathBuf, String), TaskError> {
    let shown = python.to_string_lossy();
    let mut command = Command::new(python);
    let said = "import sys, platform; print(sys.version_info[0]); \
                print(platform.python_version()); print(sys.executable)";
    command.args(["-c", said]);
    let done =
        run_to_end(command, HANG_GUARD).map_err(|e| TaskError::failed(format!("{shown}: {e}")))?;
    match done.stdout.lines().collect::<Vec<_>>()[..] {
        ["3", version, executable] if !executable.is_empty() => {
            Ok((executable.into(), format!("Python {version}")))
        }
        _ => Err(TaskError::failed(format!(
            "{shown} is not a working Python 3, which the Python peers need (--python PATH)"
        ))),
    }
}
