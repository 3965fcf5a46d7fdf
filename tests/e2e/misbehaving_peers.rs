//! The clients against servers that misbehave (reset, send garbage, close
//! at once, send a megabyte, stay silent), and the chat server against
//! peers that flood it: a clean message, a bounded time, no panic, escaped
//! output, nothing lost.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use listing_support::printable::printable;

use crate::support::{
    chat_messages, local_listener, local_udp_socket, rust, with_addr, Proc, Rng,
    CHAT_CLIENT_CONNECTED, CHAT_SERVER_CONNECTED, HANG_GUARD, PEER_CLOSED, RECEIVED, UDP_PROMPT,
};

/// How a test server misbehaves once it has accepted its one client.
#[derive(Clone, Copy, Debug)]
enum Misbehaviour {
    /// Waits for the client's first bytes, then closes without reading
    /// them: the kernel resets the connection.
    Reset,
    /// Sends invalid UTF-8 and terminal escape sequences, then closes.
    Garbage,
    /// Closes as soon as it has accepted.
    CloseAtOnce,
    /// Sends 1 MiB, then closes.
    Megabyte,
}

const EVERY_MISBEHAVIOUR: [Misbehaviour; 4] = [
    Misbehaviour::Reset,
    Misbehaviour::Garbage,
    Misbehaviour::CloseAtOnce,
    Misbehaviour::Megabyte,
];

const GARBAGE: &[u8] = b"\xff\xfe\x1b[2J\x1b]0;pwned\x07ok\xc3";
const GARBAGE_SHOWN: &str = "\\xff\\xfe\\x1b[2J\\x1b]0;pwned\\x07ok\\xc3";
const MEGABYTE: usize = 1 << 20;

/// A server that misbehaves. With `hear_out`, it first reads what the
/// client sends up to the client's end of stream (tcp-client sends its line
/// and ends its side), so that closing later does not reset the connection.
fn hostile_server(misbehaviour: Misbehaviour, hear_out: bool) -> (SocketAddr, JoinHandle<()>) {
    let (listener, addr) = local_listener();
    let handle = thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let _ = stream.set_read_timeout(Some(HANG_GUARD));
        if hear_out
            && !matches!(
                misbehaviour,
                Misbehaviour::Reset | Misbehaviour::CloseAtOnce
            )
        {
            let _ = stream.read_to_end(&mut Vec::new());
        }
        match misbehaviour {
            Misbehaviour::Reset => {
                let _ = stream.peek(&mut [0u8; 1]);
            }
            Misbehaviour::Garbage => {
                let _ = stream.write_all(GARBAGE);
            }
            Misbehaviour::CloseAtOnce => {}
            Misbehaviour::Megabyte => {
                let _ = stream.write_all(&vec![b'm'; MEGABYTE]);
            }
        }
    });
    (addr, handle)
}

fn client(program: &str, addr: SocketAddr) -> Proc {
    Proc::start(with_addr(rust(program), addr))
}

#[test]
fn tcp_client_against_misbehaving_servers() {
    for misbehaviour in EVERY_MISBEHAVIOUR {
        let (addr, server) = hostile_server(misbehaviour, true);
        let mut client = client("tcp-client", addr);
        client.type_in(b"hello\n");
        client.close_stdin();
        client.wait_exit();
        client.assert_no_panic();
        match misbehaviour {
            Misbehaviour::Reset => {
                client.assert_exit_code(1);
                // Our words, then the OS's reason (its wording differs by OS).
                client.assert_stderr_contains("没有回复就关闭了连接");
                client.assert_stderr_contains("(os error ");
            }
            Misbehaviour::Garbage => {
                client.assert_exit_code(0);
                client.assert_stdout_ends_with(&format!("{RECEIVED}{GARBAGE_SHOWN}\n"));
            }
            Misbehaviour::CloseAtOnce => {
                // Either the send fails or the reply is empty: a message
                // or an empty reply, never a hang.
                client.assert_exit_code_among(&[0, 1]);
            }
            Misbehaviour::Megabyte => {
                client.assert_exit_code(0);
                client.assert_stdout_ends_with(&format!("{RECEIVED}{}\n", "m".repeat(1024)));
            }
        }
        server.join().expect("test server");
    }
}

#[test]
fn chat_client_against_misbehaving_servers() {
    for misbehaviour in EVERY_MISBEHAVIOUR {
        let (addr, server) = hostile_server(misbehaviour, false);
        let mut client = client("chat-client", addr);
        client.wait_stdout(CHAT_CLIENT_CONNECTED);
        if let Misbehaviour::Reset = misbehaviour {
            client.type_in(b"anyone?\n");
        }
        client.wait_exit();
        client.assert_no_panic();
        let content = chat_messages(&client);
        match misbehaviour {
            Misbehaviour::Reset => {
                client.assert_exit_code(1);
                client.assert_stderr_contains("连接被对方重置");
            }
            Misbehaviour::Garbage => {
                client.assert_exit_code(0);
                client.assert_bytes_eq("the messages", content, GARBAGE_SHOWN);
            }
            Misbehaviour::CloseAtOnce => {
                client.assert_exit_code(0);
                client.assert_stderr_contains(PEER_CLOSED);
            }
            Misbehaviour::Megabyte => {
                client.assert_exit_code(0);
                client.assert_holds(
                    content.len() == MEGABYTE,
                    format!("{} bytes of messages", content.len()),
                );
                client.assert_holds(content.bytes().all(|b| b == b'm'), "a byte other than m");
            }
        }
        server.join().expect("test server");
    }
}

#[test]
fn udp_client_prints_a_hostile_reply_escaped_and_cut_at_1024_bytes() {
    for reply in [GARBAGE.to_vec(), vec![b'u'; 60_000]] {
        let server = local_udp_socket();
        let mut client = client("udp-client", server.local_addr().expect("addr"));
        client.type_in(b"25\n");
        let mut got = [0u8; 64];
        let (_, from) = server.recv_from(&mut got).expect("the client's datagram");
        server.send_to(&reply, from).expect("reply");
        client.assert_exit_code(0);
        client.assert_no_panic();
        let head = &reply[..reply.len().min(1024)];
        client.assert_stdout_eq(format!("{UDP_PROMPT}{}\n", printable(head)));
    }
}

/// Starts chat-server, connects a raw peer, and waits for the banner.
fn chat_server_with_raw_peer() -> (Proc, TcpStream) {
    let (server, addr) = Proc::server(rust("chat-server"));
    let peer = TcpStream::connect(addr).expect("connect");
    server.wait_stdout(CHAT_SERVER_CONNECTED);
    (server, peer)
}

/// Closes the peer, lets the server end, and returns it and the messages
/// it printed.
fn content_after_close(mut server: Proc, peer: TcpStream) -> (Proc, String) {
    drop(peer);
    server.assert_exit_code(0);
    server.assert_no_panic();
    server.assert_stderr_contains(PEER_CLOSED);
    let content = chat_messages(&server);
    (server, content)
}

#[test]
fn chat_server_receives_a_megabyte_at_once_whole() {
    let (server, mut peer) = chat_server_with_raw_peer();
    let message: Vec<u8> = (0..MEGABYTE).map(|i| b"0123456789"[i % 10]).collect();
    peer.write_all(&message).expect("send");
    let (server, content) = content_after_close(server, peer);
    server.assert_holds(
        content.len() == MEGABYTE,
        format!("{} bytes of messages", content.len()),
    );
    server.assert_bytes_eq("the messages", content, message);
}

#[test]
fn chat_server_shows_random_bytes_escaped_and_loses_none() {
    let (server, mut peer) = chat_server_with_raw_peer();
    let mut rng = Rng::new(0x5eed_0c4a);
    // Random bytes, with whole UTF-8 characters mixed in so that reads
    // split some of them.
    let mut bytes = Vec::new();
    while bytes.len() < 50_000 {
        if rng.below(3) == 0 {
            bytes.extend_from_slice("中文字".as_bytes());
        } else {
            bytes.push(rng.below(256) as u8);
        }
    }
    peer.write_all(&bytes).expect("send");
    let (server, content) = content_after_close(server, peer);
    server.assert_bytes_eq("the messages", content, printable(&bytes));
}

#[test]
fn chat_server_receives_many_tiny_writes_whole() {
    let (server, mut peer) = chat_server_with_raw_peer();
    peer.set_nodelay(true).expect("nodelay");
    let message = "一二三abc".repeat(300);
    for byte in message.as_bytes() {
        peer.write_all(&[*byte]).expect("send one byte");
    }
    let (server, content) = content_after_close(server, peer);
    server.assert_bytes_eq("the messages", content, message);
}

#[test]
fn chat_server_reads_nothing_it_should_not_from_a_silent_peer() {
    // A peer that connects and says nothing: the server waits, without
    // spinning, until its own user ends the chat.
    let (mut server, mut peer) = chat_server_with_raw_peer();
    server.close_stdin();
    server.assert_exit_code(0);
    let mut rest = Vec::new();
    peer.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
    let read = peer.read_to_end(&mut rest).ok();
    server.assert_holds(read == Some(0), format!("the peer read {read:?} bytes"));
}

#[test]
fn chat_client_waits_quietly_on_a_silent_server_until_its_user_ends() {
    let (listener, addr) = local_listener();
    let mut client = client("chat-client", addr);
    let (mut silent, _) = listener.accept().expect("accept");
    client.wait_stdout(CHAT_CLIENT_CONNECTED);
    client.close_stdin();
    let (_, cpu) = client.wait_exit_with_cpu_time();
    client.assert_exit_code(0);
    if let Some(cpu) = cpu {
        client.assert_holds(
            cpu < Duration::from_millis(100),
            format!("used {cpu:?} of CPU"),
        );
    }
    // It sent nothing, and closed its side.
    let mut got = Vec::new();
    silent.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
    let read = silent.read_to_end(&mut got).ok();
    client.assert_holds(read == Some(0), format!("the server read {read:?} bytes"));
}
