//! udp-server：教程「UDP编程」里服务器 udp_server.py 的 Rust 版，逐行对照。
//! 等一个装着摄氏温度的数据报，回复 `转换后的温度(单位:华氏温度):<华氏温度>`（和 Python
//! 的 `float(data)*1.8+32` 算得一样），然后退出。两个终端里运行：
//!
//! ```text
//! cargo run -p udp-server       # 终端 1：等一个温度
//! cargo run -p udp-client       # 终端 2：输入 37，看到 98.60000000000001
//! cargo xtask demo udp          # 或者一条命令看到两边
//! ```
//!
//! 与教程程序的不同及原因：本 crate 的 README.md。

// py: import socket
use std::borrow::Cow;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

use listing_support::{
    builtins::{bytes_repr, float_str, parse_float, print},
    program::{self, HostPort},
    stop::{OrFail, Stop},
};

fn run(listen_on: HostPort) -> Result<(), Stop> {
    // py: s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
    // py: s.bind(('127.0.0.1',8888))
    // std 在 UdpSocket::bind 里创建并绑定套接字；地址是教程的 127.0.0.1:8888，除非命令行给了别的
    let s = UdpSocket::bind(&listen_on).or_fail(|| format!("无法绑定 {listen_on}"))?;
    program::listening_on(s.local_addr())?;
    // py: print('绑定UDP到8888端口')
    // 教程的原话写着 8888；实际地址见 stderr 的 listening on 那一行
    print(&["绑定UDP到8888端口"])?;
    // py: data,addr=s.recvfrom(1024)
    // 收下整个数据报，和 recvfrom(1024) 一样只留前 1024 个字节
    let mut buffer = vec![0u8; 65_536];
    let (length, addr) =
        s.recv_from(&mut buffer).or_fail(|| format!("在 {listen_on} 上接收失败"))?;
    let data = &buffer[..length.min(1024)];
    // py: data=float(data)*1.8+32
    // 不是数字时，教程程序因 ValueError 崩溃、客户端永远等待；这里先告诉客户端
    let data = celsius(&s, data, addr)? * 1.8 + 32.0;
    // py: send_data='转换后的温度(单位:华氏温度):'+str(data)
    let send_data = format!("转换后的温度(单位:华氏温度):{}", float_str(data));
    // py: print('Recrived from %s:%s.'%addr)
    print(&[&format!("Recrived from {}:{}.", addr.ip(), addr.port())])?;
    // py: s.sendto(send_data.encode(),addr)				#encode()将字符串类型转byte
    s.send_to(send_data.as_bytes(), addr).or_fail(|| format!("向 {addr} 发送回复失败"))?;
    // py: s.close()
    drop(s);
    Ok(())
}

/// 命令行参数 `[ADDR]`、`--help`（说明来自本 crate 的 Cargo.toml）和退出码；默认地址是教程
/// bind 里的那个。
fn main() -> ExitCode {
    program::main(listing_support::about!(), "127.0.0.1:8888", run)
}

/// `float(data)`，全角的数字也认。转换不了时，给 `addr` 回一条错误信息（客户端打印它然后结束），
/// 服务器带着错误结束，就像教程程序崩溃那样，只是说清楚了原因
fn celsius(s: &UdpSocket, data: &[u8], addr: SocketAddr) -> Result<f64, Stop> {
    if let Some(celsius) = parse_float(&full_width_to_ascii(data)) {
        return Ok(celsius);
    }
    let reply = format!(
        "无法把输入转换为温度: {}。请输入一个数字，例如 37 (type a number, such as 37)",
        shown(data)
    );
    let not_a_number = io::Error::new(io::ErrorKind::InvalidData, "不是温度数字，已回复错误信息");
    s.send_to(reply.as_bytes(), addr)
        .and(Err(not_a_number))
        .or_fail(|| format!("{addr} 发来的 {}", shown(data)))
}

/// 把中文输入法打出的全角数字、正负号、小数点和全角空格（`２５`、`－４０`、`３６．６`）换成
/// ASCII；其他的不变。这是扩展：教程程序不认它们
fn full_width_to_ascii(data: &[u8]) -> Cow<'_, [u8]> {
    match std::str::from_utf8(data) {
        Ok(text) if !text.is_ascii() => {
            let ascii = text.chars().map(|ch| match ch {
                '０'..='９' | '＋' | '－' | '．' => {
                    char::from_u32(u32::from(ch) - 0xFEE0).unwrap_or(ch)
                }
                '\u{3000}' => ' ',
                other => other,
            });
            Cow::Owned(ascii.collect::<String>().into_bytes())
        }
        _ => Cow::Borrowed(data),
    }
}

/// 错误回复里最多显示收到的多少个字节
const SHOWN_LIMIT: usize = 64;

/// 收到的内容：最多 `SHOWN_LIMIT` 个字节的 Python bytes repr（截断时后面加 `…`）；如果是
/// ASCII 以外的文字（`三十七`），repr 读不懂，就再照原样显示文字
fn shown(data: &[u8]) -> String {
    let head = &data[..data.len().min(SHOWN_LIMIT)];
    let cut = if data.len() > SHOWN_LIMIT { "…" } else { "" };
    let mut shown = format!("{}{cut}", bytes_repr(head));
    // 截断可能切开最后一个字：只显示它前面的文字
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
