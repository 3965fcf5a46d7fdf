//! Every program started wrongly: bad arguments (usage, exit 2), a name
//! that does not resolve, a port already taken (a message naming it, exit
//! 1), and never a panic.

use std::net::TcpStream;

use predicates::prelude::*;

use crate::support::{
    local_udp_socket, rust, rust_assert, tcp_exchange, Proc, CHAT_SERVER_CONNECTED, HANG_GUARD,
    HELLO_REPLY, PROGRAMS,
};

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
            rust_assert(program)
                .args(bad)
                .timeout(HANG_GUARD)
                .assert()
                .code(2)
                .stdout("")
                .stderr(predicate::str::contains(format!("usage: {program} [ADDR]")))
                .stderr(predicate::str::contains("panicked").not());
        }
        rust_assert(program)
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
        rust_assert(program)
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

#[test]
fn a_second_server_on_a_busy_port_says_so_and_the_first_keeps_serving() {
    for program in ["hello-server", "chat-server", "udp-server"] {
        let (first, addr) = Proc::server(rust(program));
        rust_assert(program)
            .arg(addr.to_string())
            .timeout(HANG_GUARD)
            .assert()
            .code(1)
            // Our words, then the OS's (whose wording differs by OS), then
            // what to do about it, in words a newcomer can act on.
            .stderr(predicate::str::contains(format!(
                "{program}: 无法绑定 {addr}: "
            )))
            .stderr(predicate::str::contains("(os error "))
            .stderr(
                predicate::str::contains("端口已被占用")
                    .and(predicate::str::contains("127.0.0.1:0")),
            );
        // The first one still serves.
        match program {
            "hello-server" => {
                first.assert_reply(tcp_exchange(addr, b"GET / HTTP/1.1\r\n\r\n"), HELLO_REPLY);
            }
            "chat-server" => {
                let _client = TcpStream::connect(addr).expect("connect");
                first.wait_stdout(CHAT_SERVER_CONNECTED);
            }
            _ => {
                let socket = local_udp_socket();
                socket.send_to(b"100", addr).expect("send");
                let mut reply = [0u8; 128];
                let length = socket
                    .recv(&mut reply)
                    .expect("a reply from the first server");
                let reply = String::from_utf8_lossy(&reply[..length]);
                first.assert_holds(
                    reply.ends_with(":212.0"),
                    format!("reply {reply:?}, expected one ending in :212.0"),
                );
            }
        }
    }
}
