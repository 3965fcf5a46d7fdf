//! What Linux says of a running process (`/proc`), for bench and check.
//! Elsewhere these give `None`: bench's tables say so, and check does not
//! look for a spinning program.

use std::time::Duration;

/// CPU time (user + system) the process has used so far, over all its
/// threads. Each thread's `schedstat` counts nanoseconds, but a thread that
/// has ended is gone from `task/`; the process's `stat` keeps ended
/// threads' time, in 10 ms ticks. So `stat` is taken when it is ahead by
/// more than its own rounding (threads ended), `schedstat` otherwise.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    match (threads_cpu(pid), stat_cpu(pid)) {
        (Some(precise), Some(ticks)) if ticks > precise + Duration::from_millis(20) => Some(ticks),
        (Some(precise), _) => Some(precise),
        (None, ticks) => ticks,
    }
}

fn threads_cpu(pid: u32) -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let text = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

fn stat_cpu(pid: u32) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // USER_HZ is 100 on every Linux architecture.
    Some(Duration::from_millis(user_plus_system_ticks(&text)? * 10))
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line; the
/// command name in parentheses may itself hold spaces and parentheses.
fn user_plus_system_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// The process's peak resident set (`VmHWM` in `/proc/<pid>/status`), KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|line| line.strip_prefix("VmHWM:"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// The CPU model and core count, and the kernel.
pub fn machine() -> String {
    let read = |path| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo.lines().find_map(|line| line.strip_prefix("model name"));
    let cpu = model.and_then(|m| m.split_once(':')).map_or("", |(_, m)| m.trim());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let (os, kernel) = (std::env::consts::OS, read("/proc/sys/kernel/osrelease"));
    format!("{cpu}, {cores} cores, {os} {}", kernel.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_found_after_an_odd_command_name() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 5 1000 200";
        assert_eq!(user_plus_system_ticks(stat), Some(10));
        assert_eq!(user_plus_system_ticks("42 (x) S 1"), None);
    }
}
