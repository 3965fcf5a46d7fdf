//! The clients against servers that misbehave, and the chat server against
//! peers that flood it: a clean message, a bounded time, no panic, escaped
//! output, nothing lost.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread::{self, JoinHandle};

use listing_support::builtins::text::decode_all;

use crate::support::{rust, Proc, Rng, HANG_GUARD};

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

const GARBAGE: &[u8] = b"\xff\xfe\x1b[2J\x1b]0;pwned\x07ok\xc3";
const GARBAGE_SHOWN: &str = "\\xff\\xfe\\x1b[2J\\x1b]0;pwned\\x07ok\\xc3";
const MEGABYTE: usize = 1 << 20;

/// A server that misbehaves. With `hear_out`, it first reads what the
/// client sends up to the client's end of stream (tcp-client sends its line
/// and ends its side), so that closing later does not reset the connection.
fn hostile_server(misbehaviour: Misbehaviour, hear_out: bool) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
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
    let mut command = rust(program);
    command.arg(addr.to_string());
    Proc::start(command)
}

fn assert_no_panic(proc: &Proc) {
    assert!(
        !proc.stderr_text().contains("panicked"),
        "{}",
        proc.report()
    );
}

#[test]
fn tcp_client_against_misbehaving_servers() {
    for misbehaviour in [
        Misbehaviour::Reset,
        Misbehaviour::Garbage,
        Misbehaviour::CloseAtOnce,
        Misbehaviour::Megabyte,
    ] {
        let (addr, server) = hostile_server(misbehaviour, true);
        let mut client = client("tcp-client", addr);
        client.type_in(b"hello\n");
        client.close_stdin();
        let code = client.wait_exit().code();
        assert_no_panic(&client);
        let stdout = client.stdout_text();
        match misbehaviour {
            Misbehaviour::Reset => {
                assert_eq!(code, Some(1), "{}", client.report());
                assert!(
                    client.stderr_text().contains("Connection reset by peer"),
                    "{}",
                    client.report()
                );
            }
            Misbehaviour::Garbage => {
                assert_eq!(code, Some(0), "{}", client.report());
                assert!(
                    stdout.ends_with(&format!("接收到的数据为: {GARBAGE_SHOWN}\n")),
                    "{}",
                    client.report()
                );
            }
            Misbehaviour::CloseAtOnce => {
                // Either the send fails or the reply is empty: a message
                // or an empty reply, never a hang.
                assert!(matches!(code, Some(0 | 1)), "{}", client.report());
            }
            Misbehaviour::Megabyte => {
                assert_eq!(code, Some(0), "{}", client.report());
                let expected = format!("接收到的数据为: {}\n", "m".repeat(1024));
                assert!(stdout.ends_with(&expected), "{}", client.report());
            }
        }
        server.join().expect("test server");
    }
}

/// The text of all the messages a chat program printed, joined: each print
/// is the prefix, the text, and one newline.
fn chat_content(stdout: &str) -> String {
    let stdout = stdout.replace("请输入要发送的数据:", "");
    stdout
        .split("接收到的数据为: ")
        .skip(1)
        .map(|piece| piece.strip_suffix('\n').unwrap_or(piece))
        .collect()
}

#[test]
fn chat_client_against_misbehaving_servers() {
    for misbehaviour in [
        Misbehaviour::Reset,
        Misbehaviour::Garbage,
        Misbehaviour::CloseAtOnce,
        Misbehaviour::Megabyte,
    ] {
        let (addr, server) = hostile_server(misbehaviour, false);
        let mut client = client("chat-client", addr);
        client.wait_stdout("已连接\n");
        if let Misbehaviour::Reset = misbehaviour {
            client.type_in(b"anyone?\n");
        }
        let code = client.wait_exit().code();
        assert_no_panic(&client);
        let content = chat_content(&client.stdout_text());
        match misbehaviour {
            Misbehaviour::Reset => {
                assert_eq!(code, Some(1), "{}", client.report());
                assert!(
                    client.stderr_text().contains("连接被对方重置"),
                    "{}",
                    client.report()
                );
            }
            Misbehaviour::Garbage => {
                assert_eq!(code, Some(0), "{}", client.report());
                assert_eq!(content, GARBAGE_SHOWN, "{}", client.report());
            }
            Misbehaviour::CloseAtOnce => {
                assert_eq!(code, Some(0), "{}", client.report());
                assert!(
                    client.stderr_text().contains("对方已关闭连接"),
                    "{}",
                    client.report()
                );
            }
            Misbehaviour::Megabyte => {
                assert_eq!(code, Some(0), "{}", client.report());
                assert_eq!(content.len(), MEGABYTE, "{}", client.stderr_text());
                assert!(content.bytes().all(|b| b == b'm'));
            }
        }
        server.join().expect("test server");
    }
}

#[test]
fn udp_client_prints_a_hostile_reply_escaped_and_cut_at_1024_bytes() {
    for reply in [GARBAGE.to_vec(), vec![b'u'; 60_000]] {
        let server = UdpSocket::bind("127.0.0.1:0").expect("bind");
        server.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
        let mut client = client("udp-client", server.local_addr().expect("addr"));
        client.type_in(b"25\n");
        let mut got = [0u8; 64];
        let (_, from) = server.recv_from(&mut got).expect("the client's datagram");
        server.send_to(&reply, from).expect("reply");
        client.assert_exit_code(0);
        assert_no_panic(&client);
        let head = &reply[..reply.len().min(1024)];
        let expected = format!("请输入要转换的温度(单位:摄氏度):{}\n", decode_all(head));
        assert_eq!(client.stdout_text(), expected, "{}", client.report());
    }
}

/// Starts chat-server, connects a raw peer, and waits for the banner.
fn chat_server_with_raw_peer() -> (Proc, TcpStream) {
    let (server, addr) = Proc::server(rust("chat-server"));
    let peer = TcpStream::connect(addr).expect("connect");
    server.wait_stdout("连接已经建立\n");
    (server, peer)
}

/// Closes the peer, lets the server end, and returns what it printed.
fn content_after_close(mut server: Proc, peer: TcpStream) -> String {
    drop(peer);
    server.assert_exit_code(0);
    assert_no_panic(&server);
    assert!(
        server.stderr_text().contains("对方已关闭连接"),
        "{}",
        server.report()
    );
    chat_content(&server.stdout_text())
}

#[test]
fn chat_server_receives_a_megabyte_at_once_whole() {
    let (server, mut peer) = chat_server_with_raw_peer();
    let message: Vec<u8> = (0..MEGABYTE).map(|i| b"0123456789"[i % 10]).collect();
    peer.write_all(&message).expect("send");
    let content = content_after_close(server, peer);
    assert_eq!(content.len(), MEGABYTE);
    assert!(content.as_bytes() == message, "content differs");
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
    let content = content_after_close(server, peer);
    assert!(
        content == decode_all(&bytes),
        "content differs from the escaped stream"
    );
}

#[test]
fn chat_server_receives_many_tiny_writes_whole() {
    let (server, mut peer) = chat_server_with_raw_peer();
    peer.set_nodelay(true).expect("nodelay");
    let message = "一二三abc".repeat(300);
    for byte in message.as_bytes() {
        peer.write_all(&[*byte]).expect("send one byte");
    }
    let content = content_after_close(server, peer);
    assert_eq!(content, message);
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
    assert_eq!(peer.read_to_end(&mut rest).ok(), Some(0));
}

#[test]
fn chat_client_waits_quietly_on_a_silent_server_until_its_user_ends() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut client = client("chat-client", listener.local_addr().expect("addr"));
    let (mut silent, _) = listener.accept().expect("accept");
    client.wait_stdout("已连接\n");
    client.close_stdin();
    let (status, cpu) = client.wait_exit_with_cpu_time();
    assert_eq!(status.code(), Some(0), "{}", client.report());
    if let Some(cpu) = cpu {
        assert!(cpu < std::time::Duration::from_millis(100), "used {cpu:?}");
    }
    // It sent nothing, and closed its side.
    let mut got = Vec::new();
    silent.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
    assert_eq!(silent.read_to_end(&mut got).ok(), Some(0));
}
