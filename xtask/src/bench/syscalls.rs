//! System calls per request of a hello server, counted by `strace -f -c`
//! attached once the server is ready (so its start-up is not counted)
//! over a run of sequential requests.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::load;
use super::procs::{Contender, Running, WAIT};

pub struct SyscallCount {
    /// Calls that returned (strace's calls minus its errors: the accept4
    /// that the final kill interrupts is one), per request.
    pub per_request: f64,
    /// The same, by system call, for those made at least once per 200
    /// requests.
    pub by_call: Vec<(String, f64)>,
}

impl SyscallCount {
    pub fn breakdown(&self) -> String {
        let calls: Vec<String> = self
            .by_call
            .iter()
            .map(|(name, per_request)| format!("{name} {per_request:.2}"))
            .collect();
        calls.join(", ")
    }
}

/// `strace` on the PATH, if there is one.
pub fn find_strace() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("strace"))
        .find(|candidate| candidate.is_file())
}

/// Counts the system calls `contender`'s hello server makes over
/// `requests` sequential requests; strace writes its summary to
/// `summary_file`.
pub fn count(
    strace: &Path,
    contender: &Contender,
    requests: usize,
    summary_file: &Path,
) -> Result<SyscallCount, String> {
    let describe = |error: crate::TaskError| match error {
        crate::TaskError::Usage(message) | crate::TaskError::Failed(message) => message,
    };
    let (server, addr) = contender.start_server("hello-server").map_err(describe)?;
    let mut command = Command::new(strace);
    command
        .args(["-f", "-c", "-o"])
        .arg(summary_file)
        .args(["-p", &server.pid().to_string()]);
    let mut tracer = Running::spawn("strace", command, false).map_err(describe)?;
    tracer
        .wait_for("\"attached\" from strace", WAIT, |tracer| {
            tracer.said(|line| line.contains("attached"))
        })
        .map_err(describe)?;
    let result = load::run(addr, requests, 1);
    if result.failures > 0 {
        return Err(format!(
            "{} of {requests} requests failed under strace: {}",
            result.failures,
            result.failure_messages.join("; ")
        ));
    }
    // The server's end ends strace, which then writes its summary.
    drop(server);
    tracer.wait_exit(WAIT).map_err(describe)?;
    let summary = std::fs::read_to_string(summary_file)
        .map_err(|error| format!("cannot read {}: {error}", summary_file.display()))?;
    parse_summary(&summary, requests)
        .ok_or_else(|| format!("no totals in strace's summary {}", summary_file.display()))
}

/// Reads `strace -c`'s table: `% time  seconds  usecs/call  calls  errors
/// syscall`, the errors column empty where there were none.
fn parse_summary(summary: &str, requests: usize) -> Option<SyscallCount> {
    let requests = requests.max(1) as f64;
    let mut by_call = Vec::new();
    let mut total = None;
    for line in summary.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 5 || fields[0].parse::<f64>().is_err() {
            continue;
        }
        let calls: u64 = fields[3].parse().ok()?;
        let errors: u64 = if fields.len() >= 6 {
            fields[4].parse().ok()?
        } else {
            0
        };
        let name = fields[fields.len() - 1];
        let per_request = calls.saturating_sub(errors) as f64 / requests;
        if name == "total" {
            total = Some(per_request);
        } else if per_request >= 0.005 {
            by_call.push((name.to_string(), per_request));
        }
    }
    by_call.sort_by(|a, b| a.0.cmp(&b.0));
    Some(SyscallCount {
        per_request: total?,
        by_call,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strace_summaries_are_read_per_request() {
        let summary = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 45.12    0.015786          15      1000           sendto
 35.25    0.012332          12      1000           close
 12.30    0.004304           4      1001         1 accept4
  2.66    0.000932           0      1000           recvfrom
  2.39    0.000836           0      1000           setsockopt
  2.27    0.000793           0      1000           write
  0.01    0.000001           0         1           futex
------ ----------- ----------- --------- --------- ----------------
100.00    0.034983           5      6002         1 total
";
        let count = parse_summary(summary, 1000).unwrap(); // test: the summary above has totals
        assert!((count.per_request - 6.001).abs() < 1e-9);
        assert_eq!(
            count.breakdown(),
            "accept4 1.00, close 1.00, recvfrom 1.00, sendto 1.00, setsockopt 1.00, write 1.00"
        );
        assert!(parse_summary("strace: nothing\n", 10).is_none());
    }
}
