//! hello-server: the HTTP reply, its stdout against the Python listing's,
//! and every fault the listing does not survive.

use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpStream};

use predicates::prelude::*;

use crate::support::{
    open_fds, poll_until, proc_describes_programs, python, python3, read_to_end_guarded, run, rust,
    rust_assert, tcp_exchange, with_addr, Proc, HANG_GUARD, HELLO_BANNER, HELLO_REPLY,
};

fn hello_server() -> (Proc, SocketAddr) {
    Proc::server(rust("hello-server"))
}

#[test]
fn a_get_from_a_plain_tcp_stream_gets_hello_world() {
    let (server, addr) = hello_server();
    let reply = tcp_exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    server.assert_reply(reply, HELLO_REPLY);
    server.wait_stdout("b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'\n");
}

#[test]
fn a_get_from_python_urllib_gets_hello_world() {
    let (server, addr) = hello_server();
    let mut client = python3();
    client.args([
        "-c",
        "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read())",
        &format!("http://{addr}/tutorial"),
    ]);
    run(client, b"").assert_stdout_eq("b'hello world'\n");
    server.wait_stdout("b'GET /tutorial HTTP/1.1\\r\\n");
}

/// Requests of every kind the repr must show: both quotes, a backslash,
/// every byte value, UTF-8, nothing at all, and a long one.
fn varied_requests(port: u16) -> Vec<Vec<u8>> {
    vec![
        format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").into_bytes(),
        b"it's a \"quote\" and a \\ backslash\r\n\r\n".to_vec(),
        b"it's only one kind\n\n".to_vec(),
        (0u8..=255).collect(),
        "中文请求\r\n\r\n".as_bytes().to_vec(),
        Vec::new(),
        vec![b'x'; 1000],
    ]
}

#[test]
fn stdout_is_the_python_listings_for_the_same_requests() {
    let (rust_server, rust_addr) = hello_server();
    let (python_server, python_addr) = Proc::server(python("hello_server.py"));
    for (server, addr) in [(&rust_server, rust_addr), (&python_server, python_addr)] {
        let requests = varied_requests(addr.port());
        for request in &requests {
            let mut stream = TcpStream::connect(addr).expect("connect");
            stream.write_all(request).expect("send");
            if request.is_empty() {
                stream.shutdown(Shutdown::Write).expect("shutdown");
            }
            let reply = read_to_end_guarded(&mut stream).expect("reply");
            server.assert_reply(reply, HELLO_REPLY);
        }
        // The banner, then one line per request.
        server.wait_stdout_count("\n", requests.len() + 1);
    }
    // Each server's own address, in the Host header, reads ADDR.
    rust_server.assert_same_as(&python_server, |server| {
        let mut stdout = server.stdout_text();
        for addr in [rust_addr, python_addr] {
            stdout = stdout.replace(&addr.to_string(), "ADDR");
        }
        stdout.into_bytes()
    });
}

#[test]
fn an_idle_client_delays_nobody_and_is_answered_when_it_speaks() {
    let (server, addr) = hello_server();
    let mut idle = TcpStream::connect(addr).expect("connect the idle client");
    let reply = tcp_exchange(addr, b"GET /after-idle HTTP/1.1\r\n\r\n");
    server.assert_reply(reply, HELLO_REPLY);
    server.wait_stdout("b'GET /after-idle HTTP/1.1\\r\\n\\r\\n'\n");
    idle.write_all(b"GET /idle HTTP/1.1\r\n\r\n")
        .expect("the idle client is still connected");
    let idle_got = read_to_end_guarded(&mut idle).expect("the idle client's reply");
    server.assert_reply(idle_got, HELLO_REPLY);
    server.wait_stdout("b'GET /idle HTTP/1.1\\r\\n\\r\\n'\n");
    server.assert_stdout_eq(format!(
        "{HELLO_BANNER}b'GET /after-idle HTTP/1.1\\r\\n\\r\\n'\nb'GET /idle HTTP/1.1\\r\\n\\r\\n'\n"
    ));
}

#[test]
fn the_next_is_served_past_idle_clients_which_are_freed_when_they_leave() {
    let (server, addr) = hello_server();
    let count_fds = proc_describes_programs("idle_clients_are_closed_one_by_one");
    let fds_before = open_fds(server.pid());
    let idle: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(addr).expect("connect an idle client"))
        .collect();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .write_all(b"GET /after-three-idle HTTP/1.1\r\n\r\n")
        .expect("send");
    server.assert_reply(
        read_to_end_guarded(&mut stream).expect("reply"),
        HELLO_REPLY,
    );
    server.wait_stdout("b'GET /after-three-idle HTTP/1.1\\r\\n\\r\\n'\n");
    // The idle clients leave: each prints `b''`, as in the listing.
    drop(idle);
    server.wait_stdout_count("b''\n", 3);
    server.assert_stdout_eq(format!(
        "{HELLO_BANNER}b'GET /after-three-idle HTTP/1.1\\r\\n\\r\\n'\nb''\nb''\nb''\n"
    ));
    drop(stream);
    if !count_fds {
        return;
    }
    poll_until(HANG_GUARD, || open_fds(server.pid()) <= fds_before);
    let fds_after = open_fds(server.pid());
    server.assert_holds(
        fds_after == fds_before,
        format!("descriptors {fds_before} → {fds_after}"),
    );
}

#[test]
fn a_client_that_resets_is_reported_and_the_server_keeps_serving() {
    let (server, addr) = hello_server();
    run(with_addr(python("reset_client.py"), addr), b"").assert_exit_code(0);
    let mut after = with_addr(python("reset_client.py"), addr);
    after.arg("GET /reset HTTP/1.1\r\n\r\n");
    run(after, b"").assert_exit_code(0);
    // The OS's wording of the reset differs by OS: match our own words.
    server.wait_stderr("的连接: 读取请求失败: ");
    for _ in 0..3 {
        server.assert_reply(tcp_exchange(addr, b"GET / HTTP/1.1\r\n\r\n"), HELLO_REPLY);
    }
    server.wait_stdout_count("b'GET / HTTP/1.1\\r\\n\\r\\n'\n", 3);
}

#[test]
fn a_large_request_gets_the_reply_and_a_clean_end_not_a_reset() {
    let (server, addr) = hello_server();
    for size in [1024, 1500, 4000, 60_000] {
        let head = format!("POST /upload HTTP/1.1\r\nContent-Length: {size}\r\n\r\n");
        let mut request = head.into_bytes();
        request.resize(request.len() + size, b'a');
        server.assert_reply(tcp_exchange(addr, &request), HELLO_REPLY);
    }
    // The request line without its blank line: may be incomplete too.
    server.assert_reply(tcp_exchange(addr, b"GET / HTTP/1.1\r\nHost"), HELLO_REPLY);
    server.wait_stdout_count("b'POST /upload HTTP/1.1\\r\\nContent-Length: ", 4);
}

#[test]
fn help_names_the_listings_address() {
    rust_assert("hello-server")
        .arg("--help")
        .timeout(HANG_GUARD)
        .assert()
        .success()
        .stdout(predicate::str::contains("127.0.0.1:8080")); // the documented default, not a port in use
}

#[test]
fn a_name_that_does_not_resolve_is_a_runtime_error() {
    rust_assert("hello-server")
        .arg("no-such-host.invalid:0")
        .timeout(HANG_GUARD)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "无法解析地址 no-such-host.invalid:0",
        ));
}
