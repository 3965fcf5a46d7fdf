//! Storms: 2000 connections of every kind thrown at hello-server, 500
//! random datagrams at udp-server. Each must be served exactly (or, for
//! input the listing cannot convert, answered with the error reply), with
//! nothing lost, leaked or panicked.

use std::io::Write;
use std::net::{Shutdown, TcpStream};

use listing_support::builtins::bytes_repr;

use crate::support::{
    local_udp_socket, open_fds, poll_until, proc_describes_programs, python, python_lines,
    read_to_end_guarded, rust, tcp_exchange, with_addr, Proc, Rng, CONVERTED, HANG_GUARD,
    HELLO_REPLY, NOT_A_TEMPERATURE, TRY_A_NUMBER,
};

/// What one connection of the hello-server storm does.
#[derive(Debug)]
enum Visit {
    /// A valid GET; reads the reply.
    Get(Vec<u8>),
    /// Random bytes (ends its side when there are none); reads the reply.
    Junk(Vec<u8>),
    /// A request written in two pieces; reads the reply.
    Split(Vec<u8>, usize),
    /// Sends a request and closes without reading the reply.
    Leave(Vec<u8>),
    /// Resets before sending anything.
    ResetBefore,
    /// Sends, then resets.
    ResetAfter(Vec<u8>),
}

fn storm(rng: &mut Rng, count: usize) -> Vec<Visit> {
    (0..count)
        .map(|index| {
            let get = format!(
                "GET /visit/{index}/{} HTTP/1.1\r\nHost: x\r\n\r\n",
                rng.next_u64()
            )
            .into_bytes();
            match rng.below(20) {
                0..=5 => Visit::Get(get),
                6..=10 => {
                    let length = rng.below(4001);
                    Visit::Junk((0..length).map(|_| rng.below(256) as u8).collect())
                }
                11..=13 => {
                    let body = rng.below(3000);
                    let mut request =
                        format!("POST /visit/{index} HTTP/1.1\r\nContent-Length: {body}\r\n\r\n")
                            .into_bytes();
                    request.resize(request.len() + body, b'b');
                    let cut = 1 + rng.below(request.len() - 1);
                    Visit::Split(request, cut)
                }
                14..=16 => Visit::Leave(get),
                17 => Visit::ResetBefore,
                _ => Visit::ResetAfter(get),
            }
        })
        .collect()
}

/// Reads a Python bytes repr back into bytes (`None` if it is not one).
fn parse_repr(line: &str) -> Option<Vec<u8>> {
    let body = line.strip_prefix('b')?;
    let quote = body.chars().next().filter(|q| *q == '\'' || *q == '"')?;
    let body = body.strip_prefix(quote)?.strip_suffix(quote)?;
    let mut bytes = Vec::new();
    let mut chars = body.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            bytes.push(u8::try_from(u32::from(ch)).ok()?);
            continue;
        }
        match chars.next()? {
            'n' => bytes.push(b'\n'),
            'r' => bytes.push(b'\r'),
            't' => bytes.push(b'\t'),
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                bytes.push(u8::from_str_radix(&hex, 16).ok()?);
            }
            other => bytes.push(u8::try_from(u32::from(other)).ok()?),
        }
    }
    Some(bytes)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn hello_server_survives_2000_hostile_connections_and_loses_nothing() {
    let (server, addr) = Proc::server(rust("hello-server"));
    let pid = server.pid();
    let mut resetter = Proc::start(with_addr(python("resetter.py"), addr));
    // Warm up, then take the baseline.
    for _ in 0..20 {
        server.assert_reply(
            tcp_exchange(addr, b"GET /warm HTTP/1.1\r\n\r\n"),
            HELLO_REPLY,
        );
    }
    server.wait_stdout_count("\n", 21);
    let (fds_before, rss_before) = (open_fds(pid), rss_kib(pid));

    let visits = storm(&mut Rng::new(0x5eed_0007), 2000);
    let mut resets = 0;
    for (index, visit) in visits.iter().enumerate() {
        let reply = |request: &[u8], cut: usize| {
            let mut stream = TcpStream::connect(addr).expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            stream.write_all(&request[..cut]).expect("send");
            stream.write_all(&request[cut..]).expect("send");
            if request.is_empty() {
                stream.shutdown(Shutdown::Write).expect("shutdown");
            }
            let got = read_to_end_guarded(&mut stream);
            match got {
                Ok(bytes) if bytes == HELLO_REPLY => {}
                other => server.fail(format!("visit {index} {visit:?} got {other:?}")),
            }
        };
        match visit {
            Visit::Get(request) | Visit::Junk(request) => reply(request, request.len()),
            Visit::Split(request, cut) => reply(request, *cut),
            Visit::Leave(request) => {
                let mut stream = TcpStream::connect(addr).expect("connect");
                stream.write_all(request).expect("send");
            }
            Visit::ResetBefore | Visit::ResetAfter(_) => {
                let data = match visit {
                    Visit::ResetAfter(data) => data.iter().map(|b| format!("{b:02x}")).collect(),
                    _ => String::new(),
                };
                resetter.type_in(format!("{data}\n").as_bytes());
                resets += 1;
                resetter.wait_stdout_count("done\n", resets);
            }
        }
    }
    // Still serving.
    server.assert_reply(
        tcp_exchange(addr, b"GET /last HTTP/1.1\r\n\r\n"),
        HELLO_REPLY,
    );
    server.wait_stdout("b'GET /last HTTP/1.1\\r\\n\\r\\n'\n");

    // One line per connection whose first read returned data or the end of
    // the stream, in order: each the repr of a prefix of what it sent. A
    // client that leaves without waiting for its reply runs at the same time
    // as the next one; if its request came after the next one was accepted,
    // its line may come later.
    let stdout = server.stdout_text();
    let mut lines: std::collections::VecDeque<&str> = stdout.lines().skip(21).collect();
    for (index, visit) in visits.iter().enumerate() {
        let (sent, required): (&[u8], bool) = match visit {
            Visit::Get(r) | Visit::Junk(r) | Visit::Split(r, _) | Visit::Leave(r) => (r, true),
            Visit::ResetAfter(r) => (r, false),
            Visit::ResetBefore => continue,
        };
        let concurrent = matches!(visit, Visit::Leave(_) | Visit::ResetAfter(_));
        // The line must read back as a prefix of what was sent (the whole
        // of it only for an empty send) and be its exact repr.
        let is_prefix_repr = |line: &str| {
            parse_repr(line).is_some_and(|bytes| {
                sent.starts_with(&bytes)
                    && (bytes.is_empty() == sent.is_empty())
                    && bytes.len() <= 1024
                    && bytes_repr(&bytes) == line
            })
        };
        if lines.front().is_some_and(|line| is_prefix_repr(line)) {
            lines.pop_front();
        } else if let Some(at) = lines
            .iter()
            .position(|line| concurrent && is_prefix_repr(line))
        {
            lines.remove(at);
        } else if required {
            server.fail(format!(
                "visit {index} {visit:?}: expected its line, found {:?}",
                lines.front()
            ));
        }
    }
    let left_over = Vec::from(lines);
    server.assert_holds(
        left_over == ["b'GET /last HTTP/1.1\\r\\n\\r\\n'"],
        format!("lines left over: {left_over:?}"),
    );
    server.assert_stderr_contains("的连接: 读取请求失败: "); // the OS's wording differs by OS

    // Every connection closed, and the memory back where it was.
    if !proc_describes_programs("hello_server_survives_2000_hostile_connections") {
        return;
    }
    poll_until(HANG_GUARD, || open_fds(pid) <= fds_before);
    let fds_after = open_fds(pid);
    server.assert_holds(
        fds_after == fds_before,
        format!("descriptors leaked: {fds_before} → {fds_after}"),
    );
    let rss_after = rss_kib(pid);
    server.assert_holds(
        rss_after <= rss_before + 1024,
        format!("RSS grew from {rss_before} KiB to {rss_after} KiB"),
    );
    eprintln!(
        "storm: 2000 visits ({resets} resets), fds {fds_before} → {}, RSS {rss_before} → {rss_after} KiB",
        open_fds(pid)
    );
}

#[test]
fn udp_server_answers_500_random_datagrams_exactly_or_with_the_error_reply() {
    let mut rng = Rng::new(0x5eed_0500);
    let number_like = b"0123456789.eE+-_ infINFnaNA";
    let datagrams: Vec<Vec<u8>> = (0..500)
        .map(|_| {
            let length = rng.below(1501);
            match rng.below(3) {
                0 => (0..length).map(|_| rng.below(256) as u8).collect(),
                1 => (0..length.min(40))
                    .map(|_| *rng.pick(number_like))
                    .collect(),
                _ => format!(
                    "{}{}{}.{}e{}{}",
                    rng.pick(&["", " ", "\t", "\n"]),
                    rng.pick(&["", "-", "+"]),
                    rng.below(1000),
                    rng.below(1000),
                    rng.below(40) as i64 - 20,
                    rng.pick(&["", " ", "\r\n"]),
                )
                .into_bytes(),
            }
        })
        .collect();
    // What the listing replies to each: the server reads at most 1024 bytes.
    let truncated: Vec<Vec<u8>> = datagrams
        .iter()
        .map(|d| d[..d.len().min(1024)].to_vec())
        .collect();
    let expected = python_lines(
        &format!(
            "import sys\n\
             for line in sys.stdin:\n\
             \x20   try:\n\
             \x20       print('{CONVERTED}'+str(float(bytes.fromhex(line.strip()))*1.8+32))\n\
             \x20   except ValueError:\n\
             \x20       print('rejected')"
        ),
        &truncated,
    );
    let mut converted = 0;
    let socket = local_udp_socket();
    for ((datagram, head), expected) in datagrams.iter().zip(&truncated).zip(&expected) {
        let (mut server, addr) = Proc::server(rust("udp-server"));
        socket.send_to(datagram, addr).expect("send");
        let mut reply = vec![0u8; 2048];
        let length = socket
            .recv(&mut reply)
            .unwrap_or_else(|e| server.fail(format!("no reply to {datagram:?}: {e}")));
        let reply = String::from_utf8_lossy(&reply[..length]).into_owned();
        if expected == "rejected" {
            let shown = if head.len() > 64 {
                format!("{}…", bytes_repr(&head[..64]))
            } else {
                bytes_repr(head)
            };
            server.assert_reply(reply, format!("{NOT_A_TEMPERATURE}{shown}{TRY_A_NUMBER}"));
            server.assert_exit_code(1);
        } else {
            server.assert_reply(reply, expected);
            server.assert_exit_code(0);
            converted += 1;
        }
        server.assert_no_panic();
    }
    assert!(converted >= 100, "only {converted} of 500 were numbers");
    eprintln!(
        "udp storm: 500 datagrams, {converted} converted, {} error replies",
        500 - converted
    );
}
