//! A bounded HTTP load generator: a fixed number of requests over a fixed
//! number of threads, one connection per request (like a browser without
//! keep-alive), each reply checked byte for byte.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

/// What a browser sends, near enough (curl's request).
pub const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: xtask-bench\r\nAccept: */*\r\n\r\n";
/// The listing's reply, the only right answer.
pub const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\n\r\nhello world";
/// How long one request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How many failure messages are kept to show.
const KEPT_FAILURES: usize = 3;

pub struct LoadResult {
    pub requests: usize,
    pub failures: usize,
    /// The first few failures, as messages.
    pub failure_messages: Vec<String>,
    /// From the first request's start to the last reply's end.
    pub elapsed: Duration,
    /// One per successful request, sorted, in microseconds.
    pub latencies_us: Vec<u64>,
}

impl LoadResult {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency below which `percent` % of successful requests fall.
    pub fn latency_percentile_us(&self, percent: f64) -> Option<f64> {
        crate::bench::stats::percentile(&self.latencies_us, percent).map(|us| us as f64)
    }
}

/// Sends `requests` requests to `addr` over `concurrency` threads.
pub fn run(addr: SocketAddr, requests: usize, concurrency: usize) -> LoadResult {
    let concurrency = concurrency.clamp(1, requests.max(1));
    let next = AtomicUsize::new(0);
    let start = Barrier::new(concurrency + 1);
    let (elapsed, workers) = thread::scope(|scope| {
        let (next, start) = (&next, &start);
        let handles: Vec<_> = (0..concurrency)
            .map(|_| {
                scope.spawn(move || {
                    let mut mine = Worker::default();
                    start.wait();
                    while next.fetch_add(1, Ordering::Relaxed) < requests {
                        let begun = Instant::now();
                        match one_request(addr) {
                            Ok(()) => mine.latencies_us.push(begun.elapsed().as_micros() as u64),
                            Err(message) => {
                                mine.failures += 1;
                                if mine.messages.len() < KEPT_FAILURES {
                                    mine.messages.push(message);
                                }
                            }
                        }
                    }
                    mine
                })
            })
            .collect();
        start.wait();
        let started = Instant::now();
        let workers: Vec<_> = handles.into_iter().map(|handle| handle.join()).collect();
        (started.elapsed(), workers)
    });
    let mut latencies_us = Vec::with_capacity(requests);
    let mut failure_messages = Vec::new();
    let mut failures = 0;
    for worker in workers {
        match worker {
            Ok(mine) => {
                latencies_us.extend(mine.latencies_us);
                failures += mine.failures;
                failure_messages.extend(mine.messages);
            }
            Err(_) => {
                failures += 1;
                failure_messages.push("a load thread panicked".into());
            }
        }
    }
    latencies_us.sort_unstable();
    failure_messages.truncate(KEPT_FAILURES);
    LoadResult {
        requests,
        failures,
        failure_messages,
        elapsed,
        latencies_us,
    }
}

#[derive(Default)]
struct Worker {
    latencies_us: Vec<u64>,
    failures: usize,
    messages: Vec<String>,
}

/// Connects, sends the request, reads the reply to its end, checks it.
fn one_request(addr: SocketAddr) -> Result<(), String> {
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)
        .map_err(|error| format!("connect: {error}"))?;
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
        .map_err(|error| format!("set timeout: {error}"))?;
    stream
        .write_all(REQUEST)
        .map_err(|error| format!("send: {error}"))?;
    let mut reply = Vec::with_capacity(REPLY.len());
    (&stream)
        .take(4096)
        .read_to_end(&mut reply)
        .map_err(|error| format!("receive: {error}"))?;
    if reply == REPLY {
        Ok(())
    } else {
        Err(format!(
            "wrong reply: {:?}",
            String::from_utf8_lossy(&reply[..reply.len().min(80)])
        ))
    }
}
