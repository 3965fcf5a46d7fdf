//! Hostile input and misuse: nothing a user, the network or the OS can do
//! may reach a panic.

use std::path::Path;

use assert_cmd::Command as AssertCommand;
use predicates::prelude::*;

use crate::support::{bin, workspace_root, HANG_GUARD};

const PROGRAMS: [&str; 6] = [
    "hello-server",
    "tcp-client",
    "chat-server",
    "chat-client",
    "udp-server",
    "udp-client",
];

/// The non-test lines of a Rust source file: everything before its
/// `#[cfg(test)]` module.
fn shipped_lines(source: &str) -> impl Iterator<Item = (usize, &str)> {
    source
        .lines()
        .enumerate()
        .take_while(|(_, line)| line.trim() != "#[cfg(test)]")
        .map(|(index, line)| (index + 1, line))
}

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn shipped_code_has_no_unexplained_unwrap_expect_panic_or_unreachable() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    assert!(files.len() >= 7, "found only {files:?}");
    let mut offenders = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("read");
        for (number, line) in shipped_lines(&source) {
            let code = line.split("//").next().unwrap_or_default();
            let risky = ["unwrap(", "expect(", "panic!", "unreachable!"]
                .iter()
                .any(|word| code.contains(word));
            // Allowed only with a comment on the same line saying why.
            if risky && !line.contains("//") {
                offenders.push(format!("{}:{number}: {}", file.display(), line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "unexplained:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn every_binary_refuses_bad_arguments_with_usage_and_exit_2() {
    for program in PROGRAMS {
        for bad in [
            &["abc"][..],
            &["1.2.3.4:99999"],
            &["[::1"],
            &["--frob"],
            &["a:1", "b:2"],
        ] {
            AssertCommand::new(bin(program))
                .args(bad)
                .timeout(HANG_GUARD)
                .assert()
                .code(2)
                .stdout("")
                .stderr(predicate::str::contains(format!("usage: {program} [ADDR]")))
                .stderr(predicate::str::contains("panicked").not());
        }
        AssertCommand::new(bin(program))
            .arg("--help")
            .timeout(HANG_GUARD)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("usage: {program} [ADDR]")));
    }
}

#[test]
fn every_binary_names_an_address_that_does_not_resolve_and_exits_1() {
    for program in PROGRAMS {
        AssertCommand::new(bin(program))
            .arg("no-such-host.invalid:9")
            .write_stdin("25\n")
            .timeout(HANG_GUARD)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "无法解析地址 no-such-host.invalid:9",
            ))
            .stderr(predicate::str::contains("panicked").not());
    }
}

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

fn storm(rng: &mut crate::support::Rng, count: usize) -> Vec<Visit> {
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

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| dir.count())
        .unwrap_or(0)
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
    use std::io::Write;
    use std::net::{Shutdown, TcpStream};

    use crate::support::{python, read_to_end_guarded, rust, Proc, Rng, HELLO_REPLY};
    use listing_support::builtins::repr::bytes_repr;

    let (server, addr) = Proc::server(rust("hello-server"));
    let pid = server.pid();
    let mut resetter = python("resetter.py");
    resetter.arg(addr.to_string());
    let mut resetter = Proc::start(resetter);
    // Warm up, then take the baseline.
    for _ in 0..20 {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .write_all(b"GET /warm HTTP/1.1\r\n\r\n")
            .expect("send");
        assert_eq!(
            read_to_end_guarded(&mut stream).expect("reply"),
            HELLO_REPLY
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
                other => panic!("visit {index} {visit:?} got {other:?}\n{}", server.report()),
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
    let mut last = TcpStream::connect(addr).expect("connect");
    last.write_all(b"GET /last HTTP/1.1\r\n\r\n").expect("send");
    assert_eq!(read_to_end_guarded(&mut last).expect("reply"), HELLO_REPLY);
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
            panic!(
                "visit {index} {visit:?}: expected its line, found {:?}\n{}",
                lines.front(),
                server.report()
            );
        }
    }
    assert_eq!(
        Vec::from(lines),
        ["b'GET /last HTTP/1.1\\r\\n\\r\\n'"],
        "lines left over"
    );
    assert!(server.stderr_text().contains("Connection reset by peer"));

    // Every connection closed, and the memory back where it was.
    let deadline = std::time::Instant::now() + HANG_GUARD;
    while open_fds(pid) > fds_before && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert_eq!(
        open_fds(pid),
        fds_before,
        "descriptors leaked\n{}",
        server.report()
    );
    let rss_after = rss_kib(pid);
    assert!(
        rss_after <= rss_before + 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    eprintln!(
        "storm: 2000 visits ({resets} resets), fds {fds_before} → {}, RSS {rss_before} → {rss_after} KiB",
        open_fds(pid)
    );
}

#[test]
fn udp_server_answers_500_random_datagrams_exactly_or_with_the_error_reply() {
    use std::net::UdpSocket;

    use crate::differential::python_lines;
    use crate::support::{rust, Proc, Rng};
    use listing_support::builtins::repr::bytes_repr;

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
        "import sys\n\
         for line in sys.stdin:\n\
         \x20   try:\n\
         \x20       print('转换后的温度(单位:华氏温度):'+str(float(bytes.fromhex(line.strip()))*1.8+32))\n\
         \x20   except ValueError:\n\
         \x20       print('rejected')",
        &truncated,
    );
    let mut converted = 0;
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
    for ((datagram, head), expected) in datagrams.iter().zip(&truncated).zip(&expected) {
        let (mut server, addr) = Proc::server(rust("udp-server"));
        socket.send_to(datagram, addr).expect("send");
        let mut reply = vec![0u8; 2048];
        let length = socket
            .recv(&mut reply)
            .unwrap_or_else(|e| panic!("no reply to {datagram:?}: {e}\n{}", server.report()));
        let reply = String::from_utf8_lossy(&reply[..length]).into_owned();
        if expected == "rejected" {
            let shown = if head.len() > 64 {
                format!("{}…", bytes_repr(&head[..64]))
            } else {
                bytes_repr(head)
            };
            assert_eq!(
                reply,
                format!("无法把输入转换为温度: {shown}"),
                "{}",
                server.report()
            );
            server.assert_exit_code(1);
        } else {
            assert_eq!(&reply, expected, "{}", server.report());
            server.assert_exit_code(0);
            converted += 1;
        }
        assert!(
            !server.stderr_text().contains("panicked"),
            "{}",
            server.report()
        );
    }
    assert!(converted >= 100, "only {converted} of 500 were numbers");
    eprintln!(
        "udp storm: 500 datagrams, {converted} converted, {} error replies",
        500 - converted
    );
}

#[test]
fn a_second_server_on_a_busy_port_says_so_and_the_first_keeps_serving() {
    use std::io::Write;
    use std::net::{TcpStream, UdpSocket};

    use crate::support::{read_to_end_guarded, rust, Proc, HELLO_REPLY};

    for program in ["hello-server", "chat-server", "udp-server"] {
        let (first, addr) = Proc::server(rust(program));
        AssertCommand::new(bin(program))
            .arg(addr.to_string())
            .timeout(HANG_GUARD)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(format!(
                "{program}: 无法绑定 {addr}: Address already in use (os error 98)"
            )));
        // The first one still serves.
        match program {
            "hello-server" => {
                let mut stream = TcpStream::connect(addr).expect("connect");
                stream.write_all(b"GET / HTTP/1.1\r\n\r\n").expect("send");
                assert_eq!(
                    read_to_end_guarded(&mut stream).expect("reply"),
                    HELLO_REPLY
                );
            }
            "chat-server" => {
                let _client = TcpStream::connect(addr).expect("connect");
                first.wait_stdout("连接已经建立\n");
            }
            _ => {
                let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
                socket.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
                socket.send_to(b"100", addr).expect("send");
                let mut reply = [0u8; 128];
                let length = socket
                    .recv(&mut reply)
                    .expect("a reply from the first server");
                assert!(String::from_utf8_lossy(&reply[..length]).ends_with(":212.0"));
            }
        }
    }
}

#[test]
fn hello_server_serves_the_next_past_idle_clients_and_frees_them_when_they_leave() {
    use std::io::Write;
    use std::net::TcpStream;

    use crate::support::{read_to_end_guarded, rust, Proc, HELLO_REPLY};

    let (server, addr) = Proc::server(rust("hello-server"));
    let fds_before = open_fds(server.pid());
    let idle: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(addr).expect("connect an idle client"))
        .collect();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .write_all(b"GET /after-three-idle HTTP/1.1\r\n\r\n")
        .expect("send");
    assert_eq!(
        read_to_end_guarded(&mut stream).expect("reply"),
        HELLO_REPLY
    );
    server.wait_stdout("b'GET /after-three-idle HTTP/1.1\\r\\n\\r\\n'\n");
    // The idle clients leave: each prints `b''`, as in the listing.
    drop(idle);
    server.wait_stdout_count("b''\n", 3);
    assert_eq!(
        server.stdout_text(),
        "服务器等待客户端连接...\nb'GET /after-three-idle HTTP/1.1\\r\\n\\r\\n'\nb''\nb''\nb''\n"
    );
    drop(stream);
    let deadline = std::time::Instant::now() + HANG_GUARD;
    while open_fds(server.pid()) > fds_before && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert_eq!(open_fds(server.pid()), fds_before, "{}", server.report());
}
