//! From Python's `socket` module, what std lacks: [`gethostname`].

use std::io;

/// `socket.gethostname()`, the machine's name: from the OS, failing that
/// from the `COMPUTERNAME` (Windows) or `HOSTNAME` variable.
pub fn gethostname() -> io::Result<String> {
    let from_env = || ["COMPUTERNAME", "HOSTNAME"].iter().find_map(|name| std::env::var(name).ok());
    let name =
        from_os().filter(|name| !name.trim().is_empty()).or_else(from_env).unwrap_or_default();
    match name.trim() {
        "" => Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the OS, $COMPUTERNAME and $HOSTNAME gave no name",
        )),
        name => Ok(name.to_string()),
    }
}

/// Linux keeps it in a file (reading it keeps `std::process` out of the
/// binary).
#[cfg(target_os = "linux")]
fn from_os() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname").ok()
}

/// Elsewhere std has no call for it, but every such OS has the command.
#[cfg(not(target_os = "linux"))]
fn from_os() -> Option<String> {
    let output = std::process::Command::new("hostname").output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}
