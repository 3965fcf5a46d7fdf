//! udp-server and udp-client: the tutorial's conversions across every
//! pairing of Rust and Python, input the listing cannot convert, full-width
//! input, and the client with no server.

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;

use crate::support::{python, run, rust, Proc, HANG_GUARD};

const PROMPT: &str = "请输入要转换的温度(单位:摄氏度):";
const BANNER: &str = "绑定UDP到8888端口\n";

/// One conversation: a fresh server, one client typing `typed`. Returns
/// both, ended.
fn converse(server: Command, client: Command, typed: &[u8]) -> (Proc, Proc) {
    let (mut server, addr) = Proc::server(server);
    let mut client = client;
    client.arg(addr.to_string());
    let client = run(client, typed);
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
        assert_eq!(
            client.stdout_text(),
            format!("{PROMPT}转换后的温度(单位:华氏温度):{fahrenheit}\n"),
            "{}",
            client.report()
        );
        assert_eq!(
            normalised_server_stdout(&server),
            format!("{BANNER}Recrived from 127.0.0.1:PORT.\n"),
            "{}",
            server.report()
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
            ("rust↔rust", rust("udp-server"), rust("udp-client")),
            (
                "rust server↔python client",
                rust("udp-server"),
                python("udp_client.py"),
            ),
            (
                "python server↔rust client",
                python("udp_server.py"),
                rust("udp-client"),
            ),
        ];
        for (pairing, server, client) in pairings {
            let (server, client) = converse(server, client, typed.as_bytes());
            assert_eq!(
                client.stdout(),
                python_client.stdout(),
                "{pairing}, input {typed:?}\n{}\nPython:\n{}",
                client.report(),
                python_client.report()
            );
            assert_eq!(
                normalised_server_stdout(&server),
                normalised_server_stdout(&python_server),
                "{pairing}, input {typed:?}\n{}\nPython:\n{}",
                server.report(),
                python_server.report()
            );
        }
    }
}

/// Sends one datagram to a fresh server and returns the server and the reply.
fn datagram_to(server: Command, datagram: &[u8]) -> (Proc, Vec<u8>) {
    let (mut server, addr) = Proc::server(server);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
    socket.send_to(datagram, addr).expect("send");
    let mut reply = vec![0u8; 4096];
    let length = socket
        .recv(&mut reply)
        .unwrap_or_else(|e| panic!("no reply: {e}\n{}", server.report()));
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
    let (_, ours) = datagram_to(rust("udp-server"), &datagram);
    let (_, theirs) = datagram_to(python("udp_server.py"), &datagram);
    assert_eq!(
        String::from_utf8_lossy(&ours),
        "转换后的温度(单位:华氏温度):33.8"
    );
    assert_eq!(ours, theirs);
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
        assert_eq!(
            String::from_utf8_lossy(&reply),
            format!("无法把输入转换为温度: {shown}"),
            "{}",
            server.report()
        );
        server.assert_exit_code(1);
        assert_eq!(server.stdout_text(), BANNER, "{}", server.report());
        assert!(
            server.stderr_text().contains("不是温度数字"),
            "{}",
            server.report()
        );
    }
    let long = [b'z'; 100];
    let (_, reply) = datagram_to(rust("udp-server"), &long);
    let expected = format!("无法把输入转换为温度: b'{}'…", "z".repeat(64));
    assert_eq!(String::from_utf8_lossy(&reply), expected);
}

#[test]
fn the_client_prints_an_error_reply_and_exits_0() {
    let (_, mut client) = converse(rust("udp-server"), rust("udp-client"), b"hot\n");
    client.assert_exit_code(0);
    assert_eq!(
        client.stdout_text(),
        format!("{PROMPT}无法把输入转换为温度: b'hot'\n"),
        "{}",
        client.report()
    );
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
        assert_eq!(
            client.stdout_text(),
            format!("{PROMPT}转换后的温度(单位:华氏温度):{fahrenheit}\n"),
            "{}",
            client.report()
        );
    }
}

fn client_to(addr: SocketAddr, typed: &[u8]) -> Proc {
    let mut command = rust("udp-client");
    command.arg(addr.to_string());
    run(command, typed)
}

#[test]
fn with_no_server_the_client_says_so_and_ends() {
    let nobody = {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket.local_addr().expect("local_addr")
    };
    let mut client = client_to(nobody, b"25\n");
    client.assert_exit_code(1);
    let expected = format!("没有收到 {nobody} 的回复");
    assert!(
        client.stderr_text().contains(&expected),
        "{}",
        client.report()
    );
    assert!(
        client.stderr_text().contains("udp-server"),
        "{}",
        client.report()
    );
}

#[test]
fn with_a_silent_server_the_client_times_out() {
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = silent.local_addr().expect("local_addr");
    let mut client = client_to(addr, b"25\n");
    client.assert_exit_code(1);
    assert!(
        client.stderr_text().contains("3 秒内没有回复"),
        "{}",
        client.report()
    );
    // It did send the temperature.
    silent.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
    let mut got = [0u8; 16];
    assert_eq!(silent.recv(&mut got).ok(), Some(2));
    assert_eq!(&got[..2], b"25");
}

#[test]
fn end_of_input_sends_nothing() {
    let (mut server, addr) = Proc::server(rust("udp-server"));
    let mut client = client_to(addr, b"");
    client.assert_exit_code(1);
    assert!(
        client.stderr_text().contains("什么也没有发送"),
        "{}",
        client.report()
    );
    // The server is still waiting for its first datagram: ours.
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.send_to(b"100", addr).expect("send");
    server.assert_exit_code(0);
    let port = socket.local_addr().expect("local_addr").port();
    assert_eq!(
        server.stdout_text(),
        format!("{BANNER}Recrived from 127.0.0.1:{port}.\n")
    );
}
