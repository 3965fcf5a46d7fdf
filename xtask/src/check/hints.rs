//! What a failed step shows: what was expected beside what came, with a
//! `^` under the first character that differs; and, where the failure is a
//! known mistake (the listings' own bugs, the common slips), a hint.

use super::Failed;
use crate::pairings::Program;
use crate::text::width;

/// How much of the text before the first difference is shown.
const CONTEXT: usize = 30;

/// Expected and got, each on a line, escaped, aligned on the first
/// difference with `^` under it.
pub fn differs(expected: &[u8], got: &[u8]) -> String {
    // Where `got` matches the start of `expected` longest: that is where
    // the program meant to print it (a prompt may come before it).
    let common = |at: usize| got[at..].iter().zip(expected).take_while(|(a, b)| a == b).count();
    let start =
        (0..got.len().min(4096)).max_by_key(|&at| (common(at), usize::MAX - at)).unwrap_or(0);
    let same = if got.is_empty() { 0 } else { common(start) };
    let from = same.saturating_sub(CONTEXT);
    let show = |bytes: &[u8]| -> String {
        let text: String = String::from_utf8_lossy(bytes).escape_debug().collect();
        if from > 0 {
            format!("…{text}")
        } else {
            text
        }
    };
    let expected_text = show(&expected[from.min(expected.len())..]);
    let got_text = show(got.get(start + from..).unwrap_or_default());
    let before = show(&expected[from.min(expected.len())..same.min(expected.len())]);
    let cut = |text: String| text.chars().take(70).collect::<String>();
    let got_text =
        if got.is_empty() { "（什么也没有 / nothing）".into() } else { cut(got_text) };
    format!(
        "      期望 / expected: {}\n      得到 / got:      {got_text}\n      {}^ 从这里起不同 / differs from here\n",
        cut(expected_text),
        " ".repeat(width("得到 / got:      ") + width(&before)),
    )
}

/// The hint for a known mistake, from what the failed step was and what
/// the program printed on stdout and stderr.
pub fn hint(
    program: &Program,
    step: &str,
    failed: &Failed,
    stdout: &[u8],
    stderr: &str,
) -> Option<String> {
    let has = |text: &str| stderr.contains(text);
    let got = match failed {
        Failed::Differs { got, .. } => String::from_utf8_lossy(got).into_owned(),
        Failed::Said(said) => said.clone(),
    };
    let hint = if got.contains("上监听") && !has("Error") {
        "你的服务器要在教程的地址上 bind 和 listen：检查 host 和 port（127.0.0.1:8080、本机名:12345、127.0.0.1:8888）\n\
         \x20       (bind and listen on the listing's address: check the host and the port)"
    } else if got.contains("空转") || got.contains("不停地输出") || step.contains("对方关闭后")
    {
        "recv 返回 b'' 表示对方已经关闭；教程的循环会一直打印空消息：if not recvData: break\n\
         \x20       (recv returns b'' once the other side has closed: end the loop then)"
    } else if step.contains("结束 /")
        && got.contains("还在运行")
        && program.name.starts_with("chat")
    {
        "input() 返回字符串，send_data == 0 永远不成立：写成 send_data == '0'，之后关闭套接字并结束\n\
         \x20       (input() returns a str: compare with '0', then close and end)"
    } else if has("name 's' is not defined") {
        "教程的 tcp_client.py 把套接字叫作 web，却用 s 连接：写成 s=socket.socket()\n\
         \x20       (the listing makes `web` but connects `s`: write s=socket.socket())"
    } else if has("name 'resave' is not defined") {
        "教程里的 resave.join() 用了没有定义的名字 resave：删掉这一行\n\
         \x20       (`resave` is never defined: delete resave.join())"
    } else if has("could not convert string to float") {
        "float() 转换不了不是数字的输入，程序崩溃了，客户端会一直等：用 try/except ValueError 回复一条错误信息\n\
         \x20       (float() raises ValueError on a non-number: catch it and reply an error)"
    } else if has("a bytes-like object is required") {
        "send、sendall、sendto 要的是 bytes：发送前用 .encode()\n\
         \x20       (sockets send bytes: call .encode() on the str first)"
    } else if has("Address already in use") || has("10048") {
        "端口被占用：先停掉另一个终端里的服务器；如果它刚停止，它关闭过的连接还会占着端口约一分钟\n\
         \x20       (TIME_WAIT)：等一会儿，或者在 bind 之前 s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)"
    } else if has("ConnectionRefusedError") || has("10061") {
        "连接被拒绝：那个地址上没有服务器，检查 host 和 port（教程用的端口是 8080、12345、8888）\n\
         \x20       (connection refused: check the host and the port)"
    } else if got.starts_with("HTTP/1.1 200 OK") && !got.contains("\r\n\r\n") {
        "HTTP 的头部以一个空行结束：状态行后面要有 \\r\\n\\r\\n，浏览器才会显示 hello world\n\
         \x20       (the headers end with a blank line: \\r\\n\\r\\n before hello world)"
    } else if got.starts_with("GET /") {
        "教程打印的是 bytes 本身：print(data) 显示 b'GET / …'；print(data.decode()) 显示的是文字\n\
         \x20       (the listing prints the bytes, print(data), not data.decode())"
    } else if step.contains("打字慢") || step.contains("空闲连接") {
        "recv 一直等着这个不说话的客户端，别的客户端都得排队：教程的程序就是这样；\n\
         \x20       可以给每个连接一个线程（threading），或者 conn.settimeout(…)\n\
         \x20       (recv waits for the silent client and everyone queues: a thread per connection helps)"
    } else if step.contains("空行") {
        "空行什么也不发送，服务器还在等数据：发送之后 s.shutdown(socket.SHUT_WR) 告诉它说完了\n\
         \x20       (an empty line sends nothing: shut down the sending side after send)"
    } else if step.contains("没有服务器") && program.name == "udp-client" {
        "没有服务器时 recv 会一直等下去：在 recv 之前 s.settimeout(3)，超时就说明原因\n\
         \x20       (recv waits for ever with no server: s.settimeout(3) first)"
    } else if String::from_utf8_lossy(stdout).contains("Traceback") {
        "程序把错误信息打印到了 stdout / the program printed its error on stdout"
    } else {
        return None;
    };
    Some(hint.to_string())
}
