//! udp-server: `listings/udp_server.py` (教程「UDP编程」服务器) line for line
//! in Rust.
//!
//! Waits for one datagram holding a temperature in degrees Celsius, replies
//! `转换后的温度(单位:华氏温度):<Fahrenheit>` computed as Python computes
//! `float(data)*1.8+32`, and exits. Run its partner in a second terminal:
//!
//! ```text
//! cargo run -p udp-server            # terminal 1: waits for one temperature
//! cargo run -p udp-client            # terminal 2: type 37, see 98.60000000000001
//! ```
//!
//! or watch both at once with `cargo xtask demo udp`.
//!
//! Default address `127.0.0.1:8888`; the first argument overrides it
//! (`udp-server 127.0.0.1:0` takes any free port). Its first stderr line,
//! `listening on <addr>`, says where it listens. Where it differs from the
//! listing (input it cannot convert, full-width digits) and why: this
//! crate's README, "Differences from the tutorial".

// py: import socket
use std::borrow::Cow;
use std::net::UdpSocket;
use std::process::ExitCode;

use listing_support::builtins::{bytes_repr, float_str, parse_float, print};
use listing_support::program::{self, DefaultAddr, Failure, HostPort, OrFail};

fn run(host_port: HostPort) -> Result<(), Failure> {
    // py: s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
    // std creates the socket inside `UdpSocket::bind`, below.
    // py: s.bind(('127.0.0.1',8888))
    // `host_port` is the listing's `ADDR` unless the first argument names
    // another.
    let addrs = host_port.resolve()?;
    let s = UdpSocket::bind(&addrs[..]).or_fail(|| format!("无法绑定 {host_port}"))?;
    // The readiness line on stderr, for tests and `cargo xtask demo`.
    let local_addr = program::listening_on(s.local_addr())?;
    // py: print('绑定UDP到8888端口')
    // The listing's words name 8888 whatever the port; they stay as they
    // are, and the readiness line above gives the real address.
    print(&["绑定UDP到8888端口"])?;
    // py: data,addr=s.recvfrom(1024)
    // The buffer takes any datagram (on Windows one longer than the buffer
    // is an error, on Linux it is cut); the listing's 1024 bytes are kept.
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    let (length, addr) = s
        .recv_from(&mut buffer)
        .or_fail(|| format!("在 {local_addr} 上接收失败"))?;
    let data = &buffer[..length.min(1024)];
    // py: data=float(data)*1.8+32
    let Some(celsius) = parse_float(&full_width_to_ascii(data)) else {
        // The listing dies here of a ValueError and its client waits
        // forever: tell the client instead, then stop with an error.
        let reply = format!("无法把输入转换为温度: {}{TRY_A_NUMBER}", shown(data));
        let sent = s.send_to(reply.as_bytes(), addr);
        let mut message = format!("{addr} 发来的 {} 不是温度数字，已回复错误信息", shown(data));
        if let Err(error) = sent {
            message = format!(
                "{addr} 发来的 {} 不是温度数字，回复也失败了: {error}",
                shown(data)
            );
        }
        return Err(Failure::runtime(message));
    };
    let data = celsius * 1.8 + 32.0;
    // py: send_data='转换后的温度(单位:华氏温度):'+str(data)
    let send_data = format!("转换后的温度(单位:华氏温度):{}", float_str(data));
    // py: print('Recrived from %s:%s.'%addr)
    print(&[&format!("Recrived from {}:{}.", addr.ip(), addr.port())])?;
    // py: s.sendto(send_data.encode(),addr)				#encode()将字符串类型转byte
    s.send_to(send_data.as_bytes(), addr)
        .or_fail(|| format!("向 {addr} 发送回复失败"))?;
    // py: s.close()
    drop(s);
    Ok(())
}

/// `[ADDR]`, `--help` and exit codes (see crates/README.md, Conventions);
/// the help text is this crate's Cargo.toml description. The listing's
/// address is in its `bind` and `sendto` lines.
fn main() -> ExitCode {
    program::main(listing_support::about!(), DefaultAddr::Fixed(ADDR), run)
}

/// The listing's address, from `s.bind(('127.0.0.1',8888))`.
const ADDR: &str = "127.0.0.1:8888";
/// The largest UDP datagram: the receive buffer takes any whole.
const MAX_DATAGRAM: usize = 65_536;
/// What the error reply suggests instead.
const TRY_A_NUMBER: &str = "。请输入一个数字，例如 37 (type a number, such as 37)";
/// How much of unconvertible input the error reply shows.
const SHOWN_LIMIT: usize = 64;

/// Full-width digits, signs and point and the ideographic space, as Chinese
/// input methods type them (`２５`, `－４０`, `３６．６`), in their ASCII
/// forms; anything else as it is. An extension: the listing rejects them.
fn full_width_to_ascii(data: &[u8]) -> Cow<'_, [u8]> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Cow::Borrowed(data);
    };
    if text.is_ascii() {
        return Cow::Borrowed(data);
    }
    let ascii: String = text
        .chars()
        .map(|ch| match ch {
            '０'..='９' => char::from_u32(u32::from(ch) - 0xFF10 + u32::from(b'0')).unwrap_or(ch),
            '＋' => '+',
            '－' => '-',
            '．' => '.',
            '\u{3000}' => ' ',
            other => other,
        })
        .collect();
    Cow::Owned(ascii.into_bytes())
}

/// What was received, as Python's bytes repr of at most `SHOWN_LIMIT`
/// bytes, with `…` after it when cut; and when those bytes are text beyond
/// ASCII (`三十七`), the text too, as typed, since its repr is unreadable.
fn shown(data: &[u8]) -> String {
    let head = &data[..data.len().min(SHOWN_LIMIT)];
    let cut = if data.len() > SHOWN_LIMIT { "…" } else { "" };
    let mut shown = format!("{}{cut}", bytes_repr(head));
    // A cut may split the last character: show the text up to it.
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&head[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => "",
    };
    if !text.is_ascii() && !text.chars().any(char::is_control) {
        shown.push_str(&format!("（输入的是「{text}{cut}」）"));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::{full_width_to_ascii, shown};

    #[test]
    fn full_width_input_becomes_ascii() {
        let cases = [
            ("２５", "25"),
            ("－４０", "-40"),
            ("＋３６．６", "+36.6"),
            ("\u{3000}１９\u{3000}", " 19 "),
            ("2５x", "25x"),
        ];
        for (input, expected) in cases {
            assert_eq!(&*full_width_to_ascii(input.as_bytes()), expected.as_bytes());
        }
        assert_eq!(&*full_width_to_ascii(b"\xff\xfe"), b"\xff\xfe");
    }

    #[test]
    fn long_input_is_cut_in_the_error_reply() {
        assert_eq!(shown(b"abc"), "b'abc'");
        let long = [b'x'; 65];
        assert_eq!(shown(&long), format!("b'{}'…", "x".repeat(64)));
        assert_eq!(
            shown("三十七".as_bytes()),
            "b'\\xe4\\xb8\\x89\\xe5\\x8d\\x81\\xe4\\xb8\\x83'（输入的是「三十七」）"
        );
        let many = "度".repeat(30);
        assert!(shown(many.as_bytes()).ends_with(&format!("（输入的是「{}…」）", "度".repeat(21))));
        assert_eq!(shown(b"\xff\xfe"), "b'\\xff\\xfe'");
    }
}
