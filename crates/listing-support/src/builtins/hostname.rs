//! `socket.gethostname()`: std has no such call, so ask the OS the
//! std-only ways there are.

use std::io;

/// The machine's host name, as `socket.gethostname()` returns it.
///
/// Linux keeps it in `/proc/sys/kernel/hostname`; elsewhere (macOS, the BSDs,
/// Windows) the `hostname` command prints it; failing that, the
/// `COMPUTERNAME` (Windows) or `HOSTNAME` (shells) variable holds it.
pub fn gethostname() -> io::Result<String> {
    if let Some(name) = from_os() {
        return Ok(name);
    }
    ["COMPUTERNAME", "HOSTNAME"]
        .iter()
        .find_map(|variable| std::env::var(variable).ok().and_then(non_empty))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "the OS (/proc/sys/kernel/hostname or the hostname command) and $COMPUTERNAME/$HOSTNAME all failed",
            )
        })
}

/// Linux: the kernel's own file. Reading it rather than running the
/// `hostname` command also keeps `std::process` out of the binary (about
/// 25 KiB of a 400 KiB budget; see the workspace README).
#[cfg(target_os = "linux")]
fn from_os() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .and_then(non_empty)
}

/// Elsewhere std has no call for it, but every such OS has the command.
#[cfg(not(target_os = "linux"))]
fn from_os() -> Option<String> {
    let output = std::process::Command::new("hostname").output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok().and_then(non_empty)
}

fn non_empty(name: String) -> Option<String> {
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_host_name_is_a_single_non_empty_word() {
        let name = super::gethostname().unwrap(); // test: fails the test if there is none
        assert!(!name.is_empty());
        assert!(!name.contains(char::is_whitespace), "{name:?}");
    }
}
