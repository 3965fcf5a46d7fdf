//! `--lose N`: this xtask runs the trace again ([`IN_NAMESPACE`]) in a private
//! network namespace (`unshare -n`; not as root, in a user namespace keeping its
//! capabilities), where only loopback exists and nothing else runs: the programs,
//! tcpdump and an nftables rule share it, and per run the rule drops the
//! pairing's N-th data-carrying packet once. Linux only.

use std::process::Command;
use std::time::Duration;

use crate::harness::{run_to_end, wrapped, HANG_GUARD};
use crate::{out, TaskError};

/// The hidden option of the trace inside the namespace.
pub const IN_NAMESPACE: &str = "--in-namespace";

/// The start of the message when no packet can be lost here: the trace
/// then runs without the loss, and the tests skip.
pub const CANNOT_LOSE: &str = "无法模拟丢包 / cannot lose a packet";

/// Runs the trace (`args`, checked) in a namespace of its own, loopback up,
/// and passes on what it printed and how it ended; or says, after
/// [`CANNOT_LOSE`], why it cannot.
pub fn run_inside(args: &[String], columns: usize) -> Result<Result<(), TaskError>, String> {
    let cannot = |why: &str| Err(format!("{CANNOT_LOSE}: {why}"));
    let path = std::env::var_os("PATH").unwrap_or_default();
    let tools = "unshare:util-linux nft:nftables tcpdump:tcpdump ip:iproute2".split(' ');
    for (tool, package) in tools.filter_map(|tool| tool.split_once(':')) {
        if !std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()) {
            return cannot(&format!("需要 Linux 和 {tool}（不在 PATH 里） / needs Linux and {tool}, not on PATH (Debian: apt-get install {package}; it may be in /usr/sbin)"));
        }
    }
    let own = std::env::current_exe().map_err(|error| format!("{CANNOT_LOSE}: {error}"))?;
    let mut inner = Command::new(own);
    inner.arg("trace").args(args).args([IN_NAMESPACE, "--no-build"]);
    inner.env("COLUMNS", columns.to_string());
    let mut said = String::new();
    for unshare in [&["-n"][..], &["-n", "--map-current-user", "--keep-caps"]] {
        let up = "ip link set lo up && exec \"$@\"";
        let prefix = [&["unshare"], unshare, &["sh", "-c", up, "sh"]].concat();
        // A bound far above two runs under strace.
        let done = match run_to_end(wrapped(&prefix, &inner), Duration::from_secs(900)) {
            Ok(done) => done,
            Err(error) => return Ok(Err(TaskError::failed(error))),
        };
        if !done.stderr.starts_with("unshare:") {
            out(&done.stdout);
            let failed = TaskError::failed(done.stderr.trim().trim_start_matches("xtask: "));
            return Ok(if done.status.success() { Ok(()) } else { Err(failed) });
        }
        said = done.stderr;
    }
    cannot(&format!("无法建立私有网络命名空间，需要 root（sudo）或用户命名空间 / cannot make a private network namespace: needs root (sudo) or user namespaces (sysctl kernel.unprivileged_userns_clone=1): {}", said.trim()))
}

/// Drops the `n`-th data-carrying packet to or from `port` once (TCP: a
/// segment with PSH, which Linux sets on the last one of each send; UDP:
/// a datagram): both directions jump to one counter; a table per port.
pub fn drop_nth(port: u16, udp: bool, n: u32) -> Result<(), String> {
    // Never the host's own rules: only where loopback is alone.
    let devices = std::fs::read_to_string("/proc/net/dev").unwrap_or_default();
    if devices.lines().skip(2).any(|device| !device.trim_start().starts_with("lo:")) {
        return Err(format!("{CANNOT_LOSE}: 不在私有网络命名空间里，本机的规则不动 / not in a private network namespace: the host's own rules are left alone"));
    }
    let (table, n) = (format!("inet xtask_lose_{port}"), n.saturating_sub(1));
    let (proto, data) = [("tcp", "tcp flags & psh == psh"), ("udp", "")][usize::from(udp)];
    let mut nft = Command::new("nft");
    nft.arg(format!(
        "add table {table}; add chain {table} lose; add rule {table} lose numgen inc mod 1000 == {n} drop; \
         add chain {table} input {{ type filter hook input priority 0; }}; \
         add rule {table} input {proto} dport {port} {data} jump lose; \
         add rule {table} input {proto} sport {port} {data} jump lose"
    ));
    match run_to_end(nft, HANG_GUARD) {
        Ok(done) if done.status.success() => Ok(()),
        Ok(done) => Err(format!("{CANNOT_LOSE}: nft: {}", done.stderr.trim())),
        Err(error) => Err(format!("{CANNOT_LOSE}: {error}")),
    }
}
