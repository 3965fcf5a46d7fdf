//! A bounded HTTP load generator: a fixed number of requests over a fixed
//! number of threads, one connection per request (a browser without
//! keep-alive), each reply checked byte for byte.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// What a browser sends, near enough (curl's request).
const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: xtask-bench\r\nAccept: */*\r\n\r\n";
/// The listing's reply, the only right answer.
const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\n\r\nhello world";
/// How long one request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Load {
    pub requests_per_second: f64,
    pub failures: usize,
    /// The first failure's message, if any failed.
    pub first_failure: Option<String>,
}

/// Sends `requests` requests to `addr` over `concurrency` threads.
pub fn run(addr: SocketAddr, requests: usize, concurrency: usize) -> Load {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let failures: Vec<String> = thread::scope(|scope| {
        let workers: Vec<_> = (0..concurrency.clamp(1, requests.max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut failed = Vec::new();
                    while next.fetch_add(1, Ordering::Relaxed) < requests {
                        if let Err(message) = one_request(addr) {
                            failed.push(message);
                        }
                    }
                    failed
                })
            })
            .collect();
        let joined = workers.into_iter().map(|worker| worker.join());
        joined
            .flat_map(|failed| failed.unwrap_or_else(|_| vec!["a load thread panicked".into()]))
            .collect()
    });
    Load {
        requests_per_second: requests as f64 / started.elapsed().as_secs_f64().max(1e-9),
        failures: failures.len(),
        first_failure: failures.into_iter().next(),
    }
}

/// Connects, sends the request, reads the reply to its end, checks it.
fn one_request(addr: SocketAddr) -> Result<(), String> {
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)
        .map_err(|error| format!("connect: {error}"))?;
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
        .and_then(|()| stream.write_all(REQUEST))
        .map_err(|error| format!("send: {error}"))?;
    let mut reply = Vec::with_capacity(REPLY.len());
    (&stream)
        .take(4096)
        .read_to_end(&mut reply)
        .map_err(|error| format!("receive: {error}"))?;
    if reply == REPLY {
        Ok(())
    } else {
        let start = String::from_utf8_lossy(&reply[..reply.len().min(80)]).into_owned();
        Err(format!("wrong reply: {start:?}"))
    }
}
