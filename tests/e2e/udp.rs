//! udp-server and udp-client: the tutorial's conversions across every
//! pairing of Rust and Python, input the listing cannot convert, full-width
//! input, and the client with no server.

use std::net::SocketAddr;
use std::process::Command;

use crate::support::{
    assert_bytes_eq, local_udp_socket, python, run, rust, with_addr, Proc, CONVERTED,
    NOT_A_TEMPERATURE, TRY_A_NUMBER, UDP_BANNER, UDP_PROMPT,
};

/// One conversation: a fresh server, one client typing `typed`. Returns
/// both, ended.
fn converse(server: Command, client: Command, typed: &[u8]) -> (Proc, Proc) {
    let (mut server, addr) = Proc::server(server);
    let client = run(with_addr(client, addr), typed);
    server.wait_exit();
    (server, client)
}

/// The server's stdout with the client's port replaced by `PORT`.
fn normalised_server_stdout(server: &Proc) -> String {
    let stdout = server.stdout_text();
    match stdout.find("Recrived from 127.0.0.1:") {
        Some(at) => {
            let (head, tail) = stdout.split_at(at + "Recrived from 127.0.0.1:".len());
            let rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{head}PORT{rest}")
        }
        None => stdout,
    }
}

/// The tutorial's inputs and what the listing replies to each.
const CONVERSIONS: &[(&str, &str)] = &[
    ("25", "77.0"),
    ("37", "98.60000000000001"),
    (" 36.6 ", "97.88000000000001"),
    ("1e16", "1.8000000000000032e+16"),
    ("1e-4", "32.00018"),
    ("1_000", "1832.0"),
    ("1e400", "inf"),
    ("-nan", "nan"),
];

#[test]
fn rust_pair_converts_exactly_as_the_listing() {
    let ones = "1".repeat(1024);
    let cases = CONVERSIONS.iter().copied().chain([(ones.as_str(), "inf")]);
    for (typed, fahrenheit) in cases {
        let input = format!("{typed}\n");
        let (mut server, mut client) =
            converse(rust("udp-server"), rust("udp-client"), input.as_bytes());
        server.assert_exit_code(0);
        client.assert_exit_code(0);
        client.assert_stdout_eq(format!("{UDP_PROMPT}{CONVERTED}{fahrenheit}\n"));
        server.assert_bytes_eq(
            "stdout, the client's port hidden",
            normalised_server_stdout(&server),
            format!("{UDP_BANNER}Recrived from 127.0.0.1:PORT.\n"),
        );
    }
}

#[test]
fn every_pairing_prints_what_the_python_pair_prints() {
    let inputs = ["25\n", "37\n", " 36.6 \n", "-40\n", "1e16\n", "0.000001\n"];
    for typed in inputs {
        let (python_server, python_client) = converse(
            python("udp_server.py"),
            python("udp_client.py"),
            typed.as_bytes(),
        );
        let pairings = [
            (rust("udp-server"), rust("udp-client")),
            (rust("udp-server"), python("udp_client.py")),
            (python("udp_server.py"), rust("udp-client")),
        ];
        for (server, client) in pairings {
            let (server, client) = converse(server, client, typed.as_bytes());
            client.assert_same_stdout_as(&python_client);
            server.assert_same_as(&python_server, |server| {
                normalised_server_stdout(server).into_bytes()
            });
        }
    }
}

/// Sends one datagram to a fresh server and returns the server and the reply.
fn datagram_to(server: Command, datagram: &[u8]) -> (Proc, Vec<u8>) {
    let (mut server, addr) = Proc::server(server);
    let socket = local_udp_socket();
    socket.send_to(datagram, addr).expect("send");
    let mut reply = vec![0u8; 4096];
    let length = socket
        .recv(&mut reply)
        .unwrap_or_else(|e| server.fail(format!("no reply: {e}")));
    reply.truncate(length);
    server.wait_exit();
    (server, reply)
}

#[test]
fn a_datagram_over_1024_bytes_is_cut_as_the_listing_cuts_it() {
    // Whole, this is not a number; its first 1024 bytes are "1" and spaces.
    let mut datagram = b"1".to_vec();
    datagram.resize(1099, b' ');
    datagram.push(b'x');
    let (server, ours) = datagram_to(rust("udp-server"), &datagram);
    let (_, theirs) = datagram_to(python("udp_server.py"), &datagram);
    server.assert_reply(&ours, format!("{CONVERTED}33.8"));
    assert_bytes_eq("Rust's reply against Python's", ours, theirs);
}

#[test]
fn input_the_listing_cannot_convert_gets_an_error_reply() {
    let cases: &[(&[u8], &str)] = &[
        (b"abc", "b'abc'"),
        (b"", "b''"),
        (b"1__0", "b'1__0'"),
        (b"0x10", "b'0x10'"),
        (b"1,5", "b'1,5'"),
        (b"\xff\xfe25", "b'\\xff\\xfe25'"),
        (b"2\x005", "b'2\\x005'"),
    ];
    for (datagram, shown) in cases {
        let (mut server, reply) = datagram_to(rust("udp-server"), datagram);
        server.assert_reply(reply, format!("{NOT_A_TEMPERATURE}{shown}{TRY_A_NUMBER}"));
        server.assert_exit_code(1);
        server.assert_stdout_eq(UDP_BANNER);
        server.assert_stderr_contains("不是温度数字");
    }
    let long = [b'z'; 100];
    let (server, reply) = datagram_to(rust("udp-server"), &long);
    server.assert_reply(
        reply,
        format!("{NOT_A_TEMPERATURE}b'{}'…{TRY_A_NUMBER}", "z".repeat(64)),
    );
}

#[test]
fn the_client_prints_an_error_reply_and_exits_0() {
    let (_, mut client) = converse(rust("udp-server"), rust("udp-client"), b"hot\n");
    client.assert_exit_code(0);
    client.assert_stdout_eq(format!(
        "{UDP_PROMPT}{NOT_A_TEMPERATURE}b'hot'{TRY_A_NUMBER}\n"
    ));
}

#[test]
fn full_width_input_from_chinese_input_methods_converts() {
    let cases = [
        ("２５", "77.0"),
        ("－４０", "-40.0"),
        ("３６．６", "97.88000000000001"),
        ("\u{3000}３７\u{3000}", "98.60000000000001"),
    ];
    for (typed, fahrenheit) in cases {
        let input = format!("{typed}\n");
        let (_, client) = converse(rust("udp-server"), rust("udp-client"), input.as_bytes());
        client.assert_stdout_eq(format!("{UDP_PROMPT}{CONVERTED}{fahrenheit}\n"));
    }
}

#[test]
fn chinese_that_is_no_number_is_named_as_typed_in_the_reply() {
    let (_, client) = converse(
        rust("udp-server"),
        rust("udp-client"),
        "三十七\n".as_bytes(),
    );
    client.assert_stdout_eq(format!(
        "{UDP_PROMPT}{NOT_A_TEMPERATURE}b'\\xe4\\xb8\\x89\\xe5\\x8d\\x81\\xe4\\xb8\\x83'（输入的是「三十七」）{TRY_A_NUMBER}\n"
    ));
}

fn client_to(addr: SocketAddr, typed: &[u8]) -> Proc {
    run(with_addr(rust("udp-client"), addr), typed)
}

#[test]
fn with_no_server_the_client_says_so_and_ends() {
    let nobody = local_udp_socket().local_addr().expect("local_addr");
    let mut client = client_to(nobody, b"25\n");
    client.assert_exit_code(1);
    client.assert_stderr_contains(&format!("没有收到 {nobody} 的回复"));
    client.assert_stderr_contains("udp-server");
}

#[test]
fn with_a_silent_server_the_client_times_out() {
    let silent = local_udp_socket();
    let addr = silent.local_addr().expect("local_addr");
    let mut client = client_to(addr, b"25\n");
    client.assert_exit_code(1);
    client.assert_stderr_contains("3 秒内没有回复");
    // It did send the temperature.
    let mut got = [0u8; 16];
    let length = silent.recv(&mut got).ok();
    client.assert_holds(length == Some(2), format!("sent {length:?} bytes"));
    client.assert_bytes_eq("what it sent", &got[..2], b"25");
}

#[test]
fn end_of_input_sends_nothing() {
    let (mut server, addr) = Proc::server(rust("udp-server"));
    let mut client = client_to(addr, b"");
    client.assert_exit_code(1);
    client.assert_stderr_contains("什么也没有发送");
    // The server is still waiting for its first datagram: ours.
    let socket = local_udp_socket();
    socket.send_to(b"100", addr).expect("send");
    server.assert_exit_code(0);
    let port = socket.local_addr().expect("local_addr").port();
    server.assert_stdout_eq(format!("{UDP_BANNER}Recrived from 127.0.0.1:{port}.\n"));
}
