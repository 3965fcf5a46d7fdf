//! hello-server at the pace of real clients: people who type slowly,
//! browsers that open idle sockets, uploads that are still arriving when
//! the reply goes out, and floods of connections that never speak.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{
    open_fds, poll_until, proc_describes_programs, python, read_to_end_guarded, run, rust,
    tcp_exchange, Proc, HANG_GUARD, HELLO_REPLY,
};

/// How many clients may wait at once before the oldest is closed: the
/// server's `WAITING_LIMIT`.
const WAITING_LIMIT: usize = 256;

fn hello_server() -> (Proc, SocketAddr) {
    Proc::server(rust("hello-server"))
}

/// `count` connections that say nothing.
fn silent_clients(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|index| {
            TcpStream::connect(addr)
                .unwrap_or_else(|e| panic!("connect silent client {index} to {addr}: {e}"))
        })
        .collect()
}

/// Whether the server still holds `stream` open: nothing to read yet, and
/// no end of stream.
fn still_open(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).expect("set_nonblocking");
    let mut byte = [0u8; 1];
    let open =
        matches!((&*stream).read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
    stream.set_nonblocking(false).expect("set_nonblocking");
    open
}

/// A Linux-only reading of `/proc/<pid>/status` (`VmRSS:`, `Threads:`).
fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// This process's soft limit on open files, from `/proc/self/limits`.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[test]
fn a_request_behind_200_silent_connections_is_answered_and_they_stay_open() {
    let (server, addr) = hello_server();
    let silent = silent_clients(addr, 200);
    let started = Instant::now();
    let reply = tcp_exchange(addr, b"GET /behind-200 HTTP/1.1\r\n\r\n");
    let took = started.elapsed();
    assert_eq!(reply, HELLO_REPLY, "{}", server.report());
    server.wait_stdout("b'GET /behind-200 HTTP/1.1\\r\\n\\r\\n'\n");
    // Unharmed: each is still open, and answered when it speaks.
    for (index, mut stream) in silent.into_iter().enumerate() {
        assert!(still_open(&stream), "silent {index}\n{}", server.report());
        stream
            .write_all(format!("late {index}\n").as_bytes())
            .expect("send");
        let reply = read_to_end_guarded(&mut stream).expect("a reply");
        assert_eq!(reply, HELLO_REPLY, "silent {index}\n{}", server.report());
    }
    server.wait_stdout("b'late 199\\n'\n");
    assert!(
        !server.stderr_text().contains("关闭"),
        "{}",
        server.report()
    );
    eprintln!("behind 200 silent connections: answered in {took:?}");
}

#[test]
fn in_a_burst_and_after_it_silent_clients_still_hold_up_nobody() {
    let (server, addr) = hello_server();
    // A burst: more requests than the server answers before its listening
    // socket takes the moment too (on Linux, after 64) and then still sets
    // itself (the 129 that may have queued before), and more keep coming.
    for index in 0..300 {
        let request = format!("GET /burst/{index} HTTP/1.1\r\n\r\n");
        server.assert_reply(tcp_exchange(addr, request.as_bytes()), HELLO_REPLY);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let more = std::sync::Arc::clone(&stop);
    let burst = thread::spawn(move || {
        while !more.load(std::sync::atomic::Ordering::Relaxed) {
            tcp_exchange(addr, b"GET /still-bursting HTTP/1.1\r\n\r\n");
        }
    });
    // Silent clients in the burst, then a request behind them.
    let mut silent = silent_clients(addr, 3);
    let reply = tcp_exchange(addr, b"GET /behind-silent-in-a-burst HTTP/1.1\r\n\r\n");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = burst.join();
    server.assert_reply(reply, HELLO_REPLY);
    // The burst is over: accept waits again.
    thread::sleep(Duration::from_millis(100)); // a quiet moment: the pause is the input
    silent.extend(silent_clients(addr, 3));
    let reply = tcp_exchange(addr, b"GET /behind-silent-after-it HTTP/1.1\r\n\r\n");
    server.assert_reply(reply, HELLO_REPLY);
    server.wait_stdout("b'GET /behind-silent-after-it HTTP/1.1\\r\\n\\r\\n'\n");
    // Each silent client still waits, on a thread of its own.
    server.assert_holds(silent.iter().all(still_open), "a silent client was closed");
}

#[test]
fn a_20_mb_urllib_upload_gets_hello_world_and_the_server_keeps_serving() {
    let (server, addr) = hello_server();
    let mut upload = python("upload.py");
    upload.args([format!("http://{addr}/upload"), "20000000".to_string()]);
    let started = Instant::now();
    let upload = run(upload, b"");
    assert_eq!(
        upload.stdout_text(),
        "b'hello world'\n",
        "{}\n{}",
        upload.report(),
        server.report()
    );
    server.wait_stdout("b'POST /upload HTTP/1.1\\r\\n");
    assert_eq!(
        tcp_exchange(addr, b"GET /after-upload HTTP/1.1\r\n\r\n"),
        HELLO_REPLY,
        "{}",
        server.report()
    );
    server.wait_stdout("b'GET /after-upload HTTP/1.1\\r\\n\\r\\n'\n");
    eprintln!("20 MB urllib upload answered in {:?}", started.elapsed());
}

#[test]
fn a_line_typed_3_s_after_connecting_is_answered_and_printed() {
    let (server, addr) = hello_server();
    let mut person = TcpStream::connect(addr).expect("connect");
    thread::sleep(Duration::from_secs(3)); // the pause is the input: a person typing slowly
    person.write_all(b"typed after 3 s\n").expect("send");
    let reply = read_to_end_guarded(&mut person).expect("a reply");
    assert_eq!(reply, HELLO_REPLY, "{}", server.report());
    server.wait_stdout("b'typed after 3 s\\n'\n");
    assert_eq!(
        server.stdout_text(),
        "服务器等待客户端连接...\nb'typed after 3 s\\n'\n",
        "{}",
        server.report()
    );
}

#[test]
fn past_the_limit_the_oldest_waiting_client_is_closed_with_a_note() {
    let (server, addr) = hello_server();
    let mut silent = silent_clients(addr, WAITING_LIMIT + 1);
    let oldest = silent[0].local_addr().expect("local_addr");
    server.wait_stderr(&format!(
        "与 {oldest} 的连接: 已有 {WAITING_LIMIT} 个连接在等待"
    ));
    let got = read_to_end_guarded(&mut silent[0]).expect("the oldest sees a clean close");
    assert_eq!(got, b"", "{}", server.report());
    // Only the oldest: the next one still waits, and is answered.
    assert!(still_open(&silent[1]), "{}", server.report());
    silent[1].write_all(b"second\n").expect("send");
    assert_eq!(
        read_to_end_guarded(&mut silent[1]).expect("a reply"),
        HELLO_REPLY
    );
    server.wait_stdout("b'second\\n'\n");
    assert_eq!(
        server.stderr_text().matches("个连接在等待").count(),
        1,
        "{}",
        server.report()
    );
    // The closed one printed nothing: the banner, then `second`.
    assert_eq!(
        server.stdout_text(),
        "服务器等待客户端连接...\nb'second\\n'\n",
        "{}",
        server.report()
    );
}

#[test]
fn two_thousand_silent_connections_leave_it_serving_and_are_all_released() {
    let test = "two_thousand_silent_connections_leave_it_serving_and_are_all_released";
    if !proc_describes_programs(test) {
        // Its point is the threads, descriptors and memory it counts there.
        return;
    }
    match open_files_limit() {
        Some(limit) if limit >= 2100 => {}
        other => {
            eprintln!("skipped: 2,000 connections need ~2,100 open files, the limit is {other:?} (ulimit -n)");
            return;
        }
    }
    let (server, addr) = hello_server();
    let pid = server.pid();
    assert_eq!(
        tcp_exchange(addr, b"GET /warm HTTP/1.1\r\n\r\n"),
        HELLO_REPLY
    );
    server.wait_stdout("b'GET /warm HTTP/1.1\\r\\n\\r\\n'\n");
    let (fds_before, rss_before) = (open_fds(pid), proc_status(pid, "VmRSS:"));

    let silent = silent_clients(addr, 2000);
    let started = Instant::now();
    assert_eq!(
        tcp_exchange(addr, b"GET /behind-2000 HTTP/1.1\r\n\r\n"),
        HELLO_REPLY,
        "{}",
        server.report()
    );
    let took = started.elapsed();
    server.wait_stdout("b'GET /behind-2000 HTTP/1.1\\r\\n\\r\\n'\n");
    // Bounded: the oldest were closed, so at most the limit wait at once.
    let closed = 2000 - WAITING_LIMIT;
    server.wait_stderr_count("个连接在等待", closed);
    // The closed ones' threads end as soon as they notice.
    let bounded = poll_until(HANG_GUARD, || {
        proc_status(pid, "Threads:") <= WAITING_LIMIT as u64 + 1
    });
    let (threads, rss_full) = (proc_status(pid, "Threads:"), proc_status(pid, "VmRSS:"));
    assert!(bounded, "{threads} threads\n{}", server.report());

    // The silent ones leave; each that still waited prints the empty
    // request, as the listing prints `b''` for a client that closes.
    drop(silent);
    server.wait_stdout_count("b''\n", WAITING_LIMIT);
    let released = poll_until(HANG_GUARD, || open_fds(pid) <= fds_before);
    assert!(
        released,
        "descriptors: {} now, {fds_before} before\n{}",
        open_fds(pid),
        server.report()
    );
    let rss_after = proc_status(pid, "VmRSS:");
    assert!(
        rss_after <= rss_before + 16 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    assert_eq!(
        tcp_exchange(addr, b"GET /last HTTP/1.1\r\n\r\n"),
        HELLO_REPLY
    );
    eprintln!(
        "2000 silent: the request behind them answered in {took:?}; {closed} closed as oldest, {threads} threads, RSS {rss_before} → {rss_full} → {rss_after} KiB, fds {fds_before} → {}",
        open_fds(pid)
    );
}
