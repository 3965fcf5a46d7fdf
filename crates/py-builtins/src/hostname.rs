//! `socket.gethostname()`: std has no such call, so ask the OS the
//! std-only ways there are.

use std::io;
use std::process::Command;

/// The machine's host name, as `socket.gethostname()` returns it.
///
/// Linux keeps it in `/proc/sys/kernel/hostname`; elsewhere (macOS, the BSDs,
/// Windows) the `hostname` command prints it; failing both, the
/// `COMPUTERNAME` (Windows) or `HOSTNAME` (shells) variable holds it.
pub fn gethostname() -> io::Result<String> {
    let from_proc = std::fs::read_to_string("/proc/sys/kernel/hostname");
    if let Some(name) = from_proc.ok().and_then(non_empty) {
        return Ok(name);
    }
    let from_command = Command::new("hostname").output();
    if let Some(name) = from_command
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(non_empty)
    {
        return Ok(name);
    }
    ["COMPUTERNAME", "HOSTNAME"]
        .iter()
        .find_map(|variable| std::env::var(variable).ok().and_then(non_empty))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "/proc/sys/kernel/hostname, the hostname command and $COMPUTERNAME/$HOSTNAME all failed",
            )
        })
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
