//! The clients of the cost table: `ab` (ApacheBench, Debian's
//! apache2-utils) where it is installed, or else a small generator of
//! xtask's own; a fixed number of requests (or as many as fit a time
//! budget) over a fixed number of connections at once, one connection per
//! request (a browser without keep-alive), each reply checked.
//!
//! ab is the faithful one: its one thread starts connects on many sockets
//! and writes each request once it sees that socket connected, as a
//! browser does, so a server often accepts a connection before its request
//! has come. xtask's threads each write the moment their own connect
//! returns, so nearly every request is there before its accept; a server's
//! cost for the requests that come a moment after it then goes unseen.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::{answer_of, run_to_end};
use crate::pairings::{get_request, HELLO_REPLY};

/// Who sends the requests.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Client {
    Ab,
    Threads,
}

/// How long one request may take before it counts as failed: long enough
/// for TCP to resend a dropped handshake twice (after 1 s, then 2 s more).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What a run of requests came to.
pub struct Load {
    /// Requests that ended, answered or failed.
    pub completed: usize,
    pub requests_per_second: f64,
    pub failures: usize,
    /// The first failure's message, if any failed.
    pub first_failure: Option<String>,
}

impl Client {
    /// ab if it runs here, else xtask's own threads.
    pub fn find() -> Client {
        let mut version = Command::new("ab");
        version.arg("-V");
        match answer_of(version, Stdio::null(), Stdio::null()) {
            Some(_) => Client::Ab,
            None => Client::Threads,
        }
    }

    /// What the table says of the client.
    pub fn described(self) -> &'static str {
        match self {
            Client::Ab => "客户端 / client: ab (ApacheBench)",
            Client::Threads => {
                "客户端 / client: xtask 的线程 / xtask's threads\n\
                 (没有 ab，它更像浏览器 / no ab, which is closer to a browser:\n\
                 apt-get install apache2-utils)"
            }
        }
    }

    /// Sends `requests` requests to `addr`, `concurrency` at once, or as
    /// many as start within `budget` (a server whose clients wait out TCP's
    /// retransmissions could take minutes).
    pub fn run(
        self,
        addr: SocketAddr,
        requests: usize,
        concurrency: usize,
        budget: Duration,
    ) -> Load {
        let concurrency = concurrency.clamp(1, requests.max(1));
        match self {
            Client::Ab => ab(addr, requests, concurrency, budget),
            Client::Threads => threads(addr, requests, concurrency, budget),
        }
    }
}

/// Requests over `concurrency` threads of xtask's own.
fn threads(addr: SocketAddr, requests: usize, concurrency: usize, budget: Duration) -> Load {
    let (next, started) = (AtomicUsize::new(0), Instant::now());
    let more = || next.fetch_add(1, Ordering::Relaxed) < requests && started.elapsed() < budget;
    let outcomes: Vec<Result<(), String>> = thread::scope(|scope| {
        let work = || std::iter::from_fn(|| more().then(|| one_request(addr))).collect::<Vec<_>>();
        let workers = (0..concurrency).map(|_| thread::Builder::new().spawn_scoped(scope, work));
        let workers: Vec<_> = workers.collect();
        let joined = workers.into_iter().map(|worker| worker.ok().and_then(|w| w.join().ok()));
        let lost = || vec![Err("a load thread did not run".to_string())];
        joined.flat_map(|outcomes| outcomes.unwrap_or_else(lost)).collect()
    });
    let failures: Vec<String> = outcomes.iter().filter_map(|o| o.clone().err()).collect();
    Load {
        completed: outcomes.len(),
        requests_per_second: outcomes.len() as f64 / started.elapsed().as_secs_f64().max(1e-9),
        failures: failures.len(),
        first_failure: failures.into_iter().next(),
    }
}

/// `ab -n requests -c concurrency`, its figures read from its report.
fn ab(addr: SocketAddr, requests: usize, concurrency: usize, budget: Duration) -> Load {
    let mut command = Command::new("ab");
    // ab gives up the whole run when one request passes its time-out: a
    // handshake the listing's `listen(5)` dropped three times takes 7 s.
    let timeout = (REQUEST_TIMEOUT * 4).as_secs().to_string();
    // `-t` first: it sets `-n` to 50,000, which the `-n` after it undoes.
    let seconds = budget.as_secs().max(1).to_string();
    command.args(["-q", "-r", "-s", &timeout, "-t", &seconds]);
    command.arg("-n").arg(requests.max(1).to_string());
    command.arg("-c").arg(concurrency.to_string()).arg(format!("http://{addr}/"));
    let failed = |why: String| Load {
        completed: 0,
        requests_per_second: 0.0,
        failures: requests,
        first_failure: Some(why),
    };
    let done = match run_to_end(command, budget + REQUEST_TIMEOUT * 8) {
        Ok(done) => done,
        Err(error) => return failed(error),
    };
    let figure = |name: &str| -> Option<f64> {
        let line = done.stdout.lines().find(|line| line.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    let (Some(completed), Some(per_second)) =
        (figure("Complete requests:"), figure("Requests per second:"))
    else {
        return failed(format!(
            "ab {}: {}",
            done.status,
            done.stderr.lines().last().unwrap_or("no report")
        ));
    };
    let failures =
        figure("Failed requests:").unwrap_or(0.0) + figure("Non-2xx responses:").unwrap_or(0.0);
    Load {
        completed: completed as usize,
        requests_per_second: per_second,
        failures: failures as usize,
        first_failure: (failures > 0.0).then(|| "ab counted them as failed".to_string()),
    }
}

/// Connects, sends the request a browser would, reads the reply to its
/// end, checks it is the listing's.
fn one_request(addr: SocketAddr) -> Result<(), String> {
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)
        .map_err(|error| format!("connect: {error}"))?;
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
        .and_then(|()| stream.write_all(get_request("127.0.0.1", "xtask-bench").as_bytes()))
        .map_err(|error| format!("send: {error}"))?;
    let mut reply = Vec::with_capacity(HELLO_REPLY.len());
    (&stream).take(4096).read_to_end(&mut reply).map_err(|error| format!("receive: {error}"))?;
    match reply == HELLO_REPLY.as_bytes() {
        true => Ok(()),
        false => Err(format!(
            "wrong reply: {:?}",
            String::from_utf8_lossy(&reply[..reply.len().min(80)])
        )),
    }
}
