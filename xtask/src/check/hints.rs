//! What a failed step shows: expected above what came, a `^` where they differ, and a hint.

use super::steps::visible;
use super::Failed;
use crate::pairings::Program;
use crate::text::{cut, width, wrap};

/// The hints for what a program's stderr holds, in the order looked for: 中文, then English.
const BY_STDERR: [(&str, &str); 7] = [
    (
        "name 's' is not defined",
        "教程的 tcp_client.py 把套接字叫作 web，却用 s 连接：写成 s=socket.socket()\n\
         (the listing makes `web` but connects `s`: write s=socket.socket())",
    ),
    (
        "name 'resave' is not defined",
        "教程里的 resave.join() 用了没有定义的名字 resave：删掉这一行\n\
         (`resave` is never defined: delete resave.join())",
    ),
    (
        "could not convert string to float",
        "float() 转换不了不是数字的输入（ValueError），程序就崩溃了，客户端一直等：\
         用 try/except ValueError 回复一条错误信息\n\
         (catch the ValueError and reply with an error message)",
    ),
    (
        "a bytes-like object is required",
        "send、sendall、sendto 要的是 bytes：发送前用 .encode()\n\
         (sockets send bytes: call .encode() on the str first)",
    ),
    (
        "Address already in use",
        "端口被占用：先停掉另一个终端里的服务器；它刚停止的话，关闭过的连接还会占着端口\
         约一分钟（TIME_WAIT）：等一会儿，或者 bind 之前加上 \
         s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         (the port is taken: stop the other server, or wait a minute, or set SO_REUSEADDR)",
    ),
    (
        "10048",
        "端口被占用：先停掉另一个终端里的服务器，或者等一分钟\n\
         (the port is taken: stop the other server, or wait a minute)",
    ),
    (
        "ConnectionRefused",
        "连接被拒绝：那个地址上没有服务器，检查 host 和 port（教程用 8080、12345、8888）\n\
         (connection refused: no server there, check the host and the port)",
    ),
];

/// A hint as the check shows it, under its step: wrapped to 80 columns.
pub fn shown(hint: &str) -> String {
    let lines = wrap(hint, 80 - width("      提示 / hint: "), 80 - 8);
    format!("      提示 / hint: {}\n", lines.join("\n        "))
}

/// Expected above got (from where it lines up best), escaped, with `^` under the first difference.
pub fn differs(expected: &[u8], got: &[u8]) -> String {
    let (start, same) = aligned(expected, got);
    let from = same.saturating_sub(30);
    let more = if from > 0 { "…" } else { "" };
    let show =
        |bytes: &[u8]| format!("{more}{}", cut(&visible(&String::from_utf8_lossy(bytes)), 58));
    let got = match got.is_empty() {
        true => "（什么也没有 / nothing）".into(),
        false => show(got.get(start + from..).unwrap_or_default()),
    };
    let caret = " ".repeat(width("得到 / got:      ") + width(&show(&expected[from..same])));
    format!(
        "      期望 / expected: {}\n      得到 / got:      {got}\n      \
         {caret}^ 从这里起不同 / differs from here\n",
        show(&expected[from..])
    )
}

/// Where in `got` the text meant as `expected` starts, and how many bytes of it are the same.
fn aligned(expected: &[u8], got: &[u8]) -> (usize, usize) {
    let common = |at: usize| got[at..].iter().zip(expected).take_while(|(a, b)| a == b).count();
    let line_start = |at: usize| at == 0 || got[at - 1] == b'\n';
    let starts = (0..got.len().min(4096)).filter(|&at| line_start(at) || common(at) >= 4);
    let start = starts.max_by_key(|&at| (common(at), usize::MAX - at)).unwrap_or(0);
    (start, common(start))
}

/// The hint for a known mistake, from the step's name, what came, and the program's output.
pub fn hint(
    program: &Program,
    step: &str,
    failed: &Failed,
    stdout: &[u8],
    stderr: &str,
) -> Option<String> {
    let got = match failed {
        Failed::Differs { expected, got } => match mistyped(expected, got) {
            Some(typed) => return Some(typed),
            None => String::from_utf8_lossy(got).into_owned(),
        },
        Failed::Said(said) => said.clone(),
    };
    let by_stderr = BY_STDERR.iter().find(|(said, _)| stderr.contains(said)).map(|(_, hint)| *hint);
    let (name, nothing) = (program.name, got.is_empty());
    let hint = if got.contains("上监听") && by_stderr.is_none() {
        "你的服务器要在教程的地址上 bind 和 listen：检查 host 和 port\n\
         (bind and listen on the listing's address: check the host and the port)"
    } else if got.contains("空转") || got.contains("不停地输出") || step.contains("对方关闭后")
    {
        "recv 返回 b'' 表示对方已经关闭；教程的循环会一直打印空消息：if not recvData: break\n\
         (recv returns b'' once the other side has closed: end the loop then)"
    } else if step.contains("以 0 结束") && got.contains("还在运行") && name.starts_with("chat")
    {
        "input() 返回的是字符串：写成 send_data=='0'。读的线程还停在 recv 上，程序不会退出：\
         对方关闭后 recv 返回 b''，那时结束（if not recvData: break），或者 os._exit(0)\n\
         (input() returns a str: compare with '0'; the reading thread must end too)"
    } else if let Some(hint) = by_stderr {
        hint
    } else if name == "udp-client" && step.contains("对方打印") && nothing {
        "本项目的 udp-server 什么也没收到：sendto 的地址要是 ('127.0.0.1', 8888)\n\
         (our udp-server received nothing: send to ('127.0.0.1', 8888))"
    } else if name == "udp-server" && step.contains("Recrived") && nothing {
        "你的服务器没有收到数据：bind 的地址要是 ('127.0.0.1', 8888)，客户端发往那里\n\
         (your server received nothing: bind ('127.0.0.1', 8888), where the client sends)"
    } else if got.starts_with("HTTP/1.1 200 OK") && !got.contains("\r\n\r\n") {
        "HTTP 的头部以一个空行结束：状态行后面要有 \\r\\n\\r\\n，浏览器才会显示 hello world\n\
         (the headers end with a blank line: \\r\\n\\r\\n before hello world)"
    } else if got.starts_with("GET /") {
        "教程打印的是 bytes 本身：print(data) 显示 b'GET / …'；print(data.decode()) 显示的是文字\n\
         (the listing prints the bytes, print(data), not data.decode())"
    } else if step.contains("打字慢") || step.contains("空闲连接") {
        "recv 一直等着这个不说话的客户端，别的客户端都得排队：教程的程序就是这样；\
         可以给每个连接一个线程\n\
         (recv waits for the silent client, everyone queues: a thread each helps)"
    } else if step.contains("空行") {
        "空行什么也不发送，服务器还在等数据：发送之后 s.shutdown(socket.SHUT_WR) 告诉它说完了\n\
         (an empty line sends nothing: shut down the sending side after send)"
    } else if step.contains("没有服务器") && name == "udp-client" {
        "没有服务器时 recv 会一直等下去：在 recv 之前 s.settimeout(3)，超时就说明原因\n\
         (recv waits for ever with no server: s.settimeout(3) first)"
    } else if String::from_utf8_lossy(stdout).contains("Traceback") {
        "程序把错误信息打印到了 stdout\n(the program printed its error on stdout)"
    } else {
        return None;
    };
    Some(hint.to_string())
}

/// The hint for a slip of typing: full-width for ASCII (`：` for `:`) or back, or `Recrived` fixed.
fn mistyped(expected: &[u8], got: &[u8]) -> Option<String> {
    let (start, same) = aligned(expected, got);
    let first = |bytes: &[u8]| String::from_utf8_lossy(bytes).chars().next();
    let (meant, typed) = (first(expected.get(same..)?)?, first(got.get(start + same..)?)?);
    let full_width = |ascii: char, wide: char| u32::from(wide) == u32::from(ascii) + 0xFEE0;
    if full_width(meant, typed) || meant == ' ' && typed == '\u{3000}' {
        Some(format!(
            "这里教程用的是半角（英文）的「{meant}」，你写的是全角（中文）的「{typed}」：\
             切换到英文输入法再打\n(the listing has ASCII {meant:?} here, yours full-width {typed:?})"
        ))
    } else if full_width(typed, meant) {
        Some(format!(
            "这里教程用的是全角（中文）的「{meant}」，你写的是半角的「{typed}」\n\
             (the listing has full-width {meant:?} here, yours ASCII {typed:?})"
        ))
    } else {
        let corrected = expected.starts_with(b"Recrived") && got[start..].starts_with(b"Received");
        corrected.then(|| {
            "教程原文拼作 Recrived（拼错了），检查按教程的输出逐字比较：照原文写才一致\n\
             (the listing spells it Recrived, and the check compares with its output)"
                .to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{hint, shown, BY_STDERR};
    use crate::check::Failed;
    use crate::pairings::program;
    use crate::text::width;

    #[test]
    fn every_hint_fits_80_columns_and_the_slips_of_typing_are_named() {
        let said = |text: &str| Failed::Said(text.into());
        let differs = |expected: &str, got: &str| Failed::Differs {
            expected: expected.into(),
            got: got.into(),
        };
        let mut hints: Vec<String> = BY_STDERR.iter().map(|(_, hint)| hint.to_string()).collect();
        for (name, step, failed) in [
            ("chat-server", "你的程序以 0 结束", said("还在运行")),
            ("chat-server", "对方关闭后结束", said("")),
            ("hello-server", "x", said("你的服务器没有在 127.0.0.1:8080 上监听")),
            ("udp-client", "对方打印「Recrived from 」", differs("Recrived from ", "")),
            ("udp-server", "你的程序打印「Recrived from 」", differs("Recrived from ", "")),
            (
                "hello-server",
                "x",
                differs("HTTP/1.1 200 OK\r\n\r\nhello", "HTTP/1.1 200 OK\r\nhello"),
            ),
            ("hello-server", "x", differs("b'GET /", "GET /")),
            ("hello-server", "打字慢", said("")),
            ("tcp-client", "空行", said("")),
            ("udp-client", "没有服务器", said("")),
            ("tcp-client", "x", differs("接收到的数据为: x\n", "接收到的数据为： x\n")),
            ("udp-server", "x", differs("Recrived from ", "Received from 1")),
        ] {
            let Some(program) = program(name) else { panic!("no program {name}") };
            let Some(hint) = hint(program, step, &failed, b"", "") else {
                panic!("no hint for {name}, {step}")
            };
            hints.push(hint);
        }
        assert!(hints[hints.len() - 2].contains("全角"), "{hints:#?}");
        assert!(hints[hints.len() - 1].contains("Recrived"), "{hints:#?}");
        for hint in &hints {
            let shown = shown(hint);
            assert!(shown.lines().all(|line| width(line) <= 80), "{shown}");
            assert!(shown.lines().count() <= 5, "{shown}");
        }
    }
}
