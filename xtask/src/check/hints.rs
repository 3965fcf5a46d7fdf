//! What a failed step shows: expected above what came, a `^` under the
//! first character that differs; and, where the failure is a known
//! mistake (the listings' own bugs, the common slips), a hint.

use super::steps::visible;
use super::Failed;
use crate::pairings::Program;
use crate::text::width;

/// The hints for what a program's stderr says, in the order they are
/// looked for: (what stderr holds, the hint).
const BY_STDERR: [(&str, &str); 7] = [
    (
        "name 's' is not defined",
        "教程的 tcp_client.py 把套接字叫作 web，却用 s 连接：写成 s=socket.socket()\n\
         \x20       (the listing makes `web` but connects `s`: write s=socket.socket())",
    ),
    (
        "name 'resave' is not defined",
        "教程里的 resave.join() 用了没有定义的名字 resave：删掉这一行\n\
         \x20       (`resave` is never defined: delete resave.join())",
    ),
    (
        "could not convert string to float",
        "float() 转换不了不是数字的输入（ValueError），程序就崩溃了，客户端一直等：用 try/except\n\
         \x20       ValueError 回复一条错误信息 (catch the ValueError and reply an error)",
    ),
    (
        "a bytes-like object is required",
        "send、sendall、sendto 要的是 bytes：发送前用 .encode()\n\
         \x20       (sockets send bytes: call .encode() on the str first)",
    ),
    (
        "Address already in use",
        "端口被占用：先停掉另一个终端里的服务器；它刚停止的话，关闭过的连接还会占着端口约一分钟\n\
         \x20       (TIME_WAIT)：等一会儿，或者 bind 之前 s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
    ),
    (
        "10048",
        "端口被占用：先停掉另一个终端里的服务器，或者等一分钟 (the port is taken: stop the other server)",
    ),
    (
        "ConnectionRefused",
        "连接被拒绝：那个地址上没有服务器，检查 host 和 port（教程用 8080、12345、8888）\n\
         \x20       (connection refused: check the host and the port)",
    ),
];

/// Expected and got, one above the other, escaped, with `^` under the
/// first difference; `got` from the start of the line where it matches the
/// start of `expected` longest (a prompt may come before what was meant).
pub fn differs(expected: &[u8], got: &[u8]) -> String {
    let common = |at: usize| got[at..].iter().zip(expected).take_while(|(a, b)| a == b).count();
    let starts = (0..got.len().min(4096)).filter(|&at| at == 0 || got[at - 1] == b'\n');
    let start = starts.max_by_key(|&at| (common(at), usize::MAX - at)).unwrap_or(0);
    let same = if got.is_empty() { 0 } else { common(start) };
    let from = same.saturating_sub(30);
    let show = |bytes: &[u8]| {
        let text: String = String::from_utf8_lossy(bytes).chars().take(60).collect();
        if from > 0 {
            format!("…{}", visible(&text))
        } else {
            visible(&text)
        }
    };
    let got_text = match got.is_empty() {
        true => "（什么也没有 / nothing）".into(),
        false => show(got.get(start + from..).unwrap_or_default()),
    };
    let before = width(&show(&expected[from.min(expected.len())..same.min(expected.len())]));
    format!(
        "      期望 / expected: {}\n      得到 / got:      {got_text}\n      {}^ 从这里起不同 / differs from here\n",
        show(&expected[from.min(expected.len())..]),
        " ".repeat(width("得到 / got:      ") + before),
    )
}

/// The hint for a known mistake, from the failed step's name, what came
/// and what the program wrote on stdout and stderr.
pub fn hint(
    program: &Program,
    step: &str,
    failed: &Failed,
    stdout: &[u8],
    stderr: &str,
) -> Option<String> {
    let got = match failed {
        Failed::Differs { got, .. } => String::from_utf8_lossy(got).into_owned(),
        Failed::Said(said) => said.clone(),
    };
    let by_stderr = BY_STDERR.iter().find(|(said, _)| stderr.contains(said)).map(|(_, hint)| *hint);
    let hint = if got.contains("上监听") && by_stderr.is_none() {
        "你的服务器要在教程的地址上 bind 和 listen：检查 host 和 port\n\
         \x20       (bind and listen on the listing's address: check the host and the port)"
    } else if got.contains("空转") || got.contains("不停地输出") || step.contains("对方关闭后")
    {
        "recv 返回 b'' 表示对方已经关闭；教程的循环会一直打印空消息：if not recvData: break\n\
         \x20       (recv returns b'' once the other side has closed: end the loop then)"
    } else if step.contains("以 0 结束")
        && got.contains("还在运行")
        && program.name.starts_with("chat")
    {
        "input() 返回字符串，send_data == 0 永远不成立：写成 send_data == '0'，然后关闭套接字并结束\n\
         \x20       (input() returns a str: compare with '0', then close and end)"
    } else if let Some(hint) = by_stderr {
        hint
    } else if got.starts_with("HTTP/1.1 200 OK") && !got.contains("\r\n\r\n") {
        "HTTP 的头部以一个空行结束：状态行后面要有 \\r\\n\\r\\n，浏览器才会显示 hello world\n\
         \x20       (the headers end with a blank line: \\r\\n\\r\\n before hello world)"
    } else if got.starts_with("GET /") {
        "教程打印的是 bytes 本身：print(data) 显示 b'GET / …'；print(data.decode()) 显示的是文字\n\
         \x20       (the listing prints the bytes, print(data), not data.decode())"
    } else if step.contains("打字慢") || step.contains("空闲连接") {
        "recv 一直等着这个不说话的客户端，别的客户端都得排队：教程的程序就是这样；可以给每个\n\
         \x20       连接一个线程 (recv waits for the silent client, everyone queues: a thread each helps)"
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
