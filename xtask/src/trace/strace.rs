//! Reading what `strace -f [-k] -yy -o FILE` wrote: one [`Call`] per
//! system call (an `<unfinished ...>` call joined with its `resumed` end),
//! with the stack `-k` printed under it, and a short form of each call
//! that keeps what a reader cares about (fd, address, backlog, byte
//! count, flags, result).

use std::collections::HashMap;

/// One system call as strace showed it.
#[derive(Debug, Clone)]
pub struct Call {
    pub pid: u32,
    pub name: String,
    pub args: Vec<String>,
    /// What it returned, fd annotations removed (`4`, `-1 ENOENT`).
    pub result: String,
    /// `-k` frames, innermost first: the file and the offset in it.
    pub stack: Vec<(String, u64)>,
    /// The Python line tracer's marker: `Some(n)` for a stat of
    /// `/@py-line/n`, `Some(0)` for `/@py-line/exit`.
    pub marker: Option<u32>,
}

/// The marker path the Python line tracer stats before each line runs.
pub const MARKER_PREFIX: &str = "/@py-line/";

/// Reads a whole strace output file.
pub fn parse(text: &str) -> Vec<Call> {
    let mut calls: Vec<Call> = Vec::new();
    // Per thread: the start of a call strace left unfinished, and its stack.
    let mut pending: HashMap<u32, (String, Vec<(String, u64)>)> = HashMap::new();
    // Where the next `-k` frame goes: a finished call, or a pending one.
    let mut frames_to: Option<(u32, bool)> = None;
    for line in text.lines() {
        if let Some(frame) = line.strip_prefix(" > ") {
            if let (Some(frame), Some((pid, finished))) = (parse_frame(frame), frames_to) {
                if finished {
                    if let Some(call) = calls.last_mut() {
                        call.stack.push(frame);
                    }
                } else if let Some((_, stack)) = pending.get_mut(&pid) {
                    stack.push(frame);
                }
            }
            continue;
        }
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        let rest = rest.trim_start();
        frames_to = None;
        if let Some(start) = rest.strip_suffix(" <unfinished ...>") {
            pending.insert(pid, (start.to_string(), Vec::new()));
            frames_to = Some((pid, false));
            continue;
        }
        let (whole, mut stack) = if let Some(resumed) = rest.strip_prefix("<... ") {
            let Some((_, tail)) = resumed.split_once(" resumed>") else {
                continue;
            };
            match pending.remove(&pid) {
                Some((start, stack)) => (format!("{start}{tail}"), stack),
                None => continue,
            }
        } else {
            (rest.to_string(), Vec::new())
        };
        if let Some(mut call) = parse_call(pid, &whole) {
            call.stack.append(&mut stack);
            calls.push(call);
            frames_to = Some((pid, true));
        }
    }
    calls
}

/// `/usr/lib/libc.so.6(accept4+0x13) [0x10af63]` → the file and offset.
fn parse_frame(frame: &str) -> Option<(String, u64)> {
    let open = frame.rfind(" [0x")?;
    let offset = u64::from_str_radix(frame[open + 4..].trim_end_matches(']'), 16).ok()?;
    let file = frame[..open].split('(').next()?.to_string();
    Some((file, offset))
}

/// `name(args) = result` (signals and exits are not calls).
fn parse_call(pid: u32, text: &str) -> Option<Call> {
    let open = text.find('(')?;
    let name = &text[..open];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let (args, after) = split_args(&text[open + 1..]);
    let result = after.trim_start().strip_prefix('=')?.trim();
    let marker = args
        .iter()
        .find_map(|arg| arg.trim_matches('"').strip_prefix(MARKER_PREFIX))
        .map(|line| line.parse().unwrap_or(0));
    Some(Call {
        pid,
        name: name.to_string(),
        args,
        result: short_result(result),
        stack: Vec::new(),
        marker,
    })
}

/// Splits `a, {b, c}, "d,e")...` at its top-level commas up to the
/// closing parenthesis; returns the arguments and what follows.
fn split_args(text: &str) -> (Vec<String>, &str) {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (at, ch) in text.char_indices() {
        if quoted {
            match ch {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => quoted = true,
            '(' | '[' | '{' => depth += 1,
            ']' | '}' => depth = depth.saturating_sub(1),
            ')' if depth == 0 => {
                let last = text[start..at].trim();
                if !last.is_empty() {
                    args.push(last.to_string());
                }
                return (args, &text[at + 1..]);
            }
            ')' => depth -= 1,
            ',' if depth == 0 => {
                args.push(text[start..at].trim().to_string());
                start = at + 1;
            }
            _ => {}
        }
    }
    (args, "")
}

/// `4<TCP:[…]>` → `4`; `-1 ENOENT (No such file…)` → `-1 ENOENT`.
fn short_result(result: &str) -> String {
    let result = strip_fd(result);
    match result.split_once(" (") {
        Some((head, _)) if head.starts_with('-') || head.starts_with('?') => head.to_string(),
        _ => result.to_string(),
    }
}

/// An fd without strace's `-yy` annotation.
pub fn strip_fd(arg: &str) -> &str {
    match arg.find('<') {
        Some(at) if at > 0 && arg[..at].chars().all(|c| c.is_ascii_digit()) => &arg[..at],
        _ => arg,
    }
}

/// What `-yy` says an fd is: `TCP:[…]`, `pipe:[…]`, `/dev/pts/0`.
fn fd_kind(arg: &str) -> &str {
    match (arg.find('<'), arg.rfind('>')) {
        (Some(open), Some(close)) if open < close => &arg[open + 1..close],
        _ => "",
    }
}

/// Whether an fd argument is a socket (strace's `-yy` names it).
pub fn is_socket(arg: &str) -> bool {
    let kind = fd_kind(arg);
    ["TCP", "UDP", "socket:", "UNIX", "NETLINK"]
        .iter()
        .any(|prefix| kind.starts_with(prefix))
}

/// Whether an fd argument is stdin, stdout or stderr.
fn is_std_stream(arg: &str) -> bool {
    matches!(strip_fd(arg), "0" | "1" | "2")
}

/// The calls a row shows one by one; the rest are counted by name.
const SOCKET_CALLS: [&str; 22] = [
    "socket",
    "bind",
    "listen",
    "accept",
    "accept4",
    "connect",
    "shutdown",
    "setsockopt",
    "getsockopt",
    "getsockname",
    "getpeername",
    "recv",
    "recvfrom",
    "recvmsg",
    "send",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "poll",
    "ppoll",
    "select",
    "pselect6",
];

/// Calls on an fd that a row shows when the fd is a socket or a std stream.
const FD_CALLS: [&str; 5] = ["read", "write", "readv", "writev", "close"];

/// The short form of a call a reader cares about, or `None` for calls
/// that are only counted.
pub fn shown(call: &Call) -> Option<String> {
    let name = call.name.as_str();
    let first = call.args.first().map_or("", String::as_str);
    if name == "ioctl" {
        // Only on a socket: `set_nonblocking` is `ioctl(fd, FIONBIO)`; on a
        // terminal ioctls are the interpreter asking what it is.
        if !is_socket(first) {
            return None;
        }
    } else if FD_CALLS.contains(&name) {
        if !(is_socket(first) || is_std_stream(first)) {
            return None;
        }
    } else if !SOCKET_CALLS.contains(&name) {
        return None;
    }
    let arg = |index: usize| call.args.get(index).map_or("", String::as_str);
    let fd = strip_fd(first);
    let result = &call.result;
    let ok = !result.starts_with('-') && !result.starts_with('?');
    if result.starts_with('?') {
        // Still waiting when the process ended (the trace stops a server
        // that serves forever, as the listing's does).
        return Some(format!(
            "{name}({fd}) = ? 没有返回：进程已结束 / never returned: the process ended"
        ));
    }
    let text = match name {
        "socket" => format!("socket({}, {}) = {result}", arg(0), arg(1)),
        "bind" | "connect" => format!("{name}({fd}, {}) = {result}", address(arg(1))),
        "listen" => format!("listen({fd}, {}) = {result}", arg(1)),
        "accept" | "accept4" => {
            let peer = if ok {
                format!(" ← {}", address(arg(1)))
            } else {
                String::new()
            };
            format!("{name}({fd}) = {result}{peer}")
        }
        "shutdown" => format!("shutdown({fd}, {}) = {result}", arg(1)),
        "ioctl" => format!("ioctl({fd}, {}, {}) = {result}", arg(1), arg(2)),
        "setsockopt" | "getsockopt" => {
            let value = option_value(arg(2), arg(3));
            format!("{name}({fd}, {}, {}{value}) = {result}", arg(1), arg(2))
        }
        "close" | "getsockname" | "getpeername" => format!("{name}({fd}) = {result}"),
        "read" | "recv" | "recvfrom" | "write" | "send" | "sendto" => {
            let peer = match (name, arg(4)) {
                ("recvfrom" | "sendto", peer) if peer.starts_with('{') => {
                    let arrow = if name == "sendto" { "→" } else { "←" };
                    format!(" {arrow} {}", address(peer))
                }
                _ => String::new(),
            };
            let data = if ok && result != "0" {
                format!(" {}", preview(arg(1)))
            } else {
                String::new()
            };
            format!("{name}({fd}, {}) = {result}{data}{peer}", arg(2))
        }
        "poll" | "ppoll" => format!("{name}({}) = {result}", cut(&call.args.join(", "), 40)),
        _ => format!("{name}({fd}) = {result}"),
    };
    Some(text)
}

/// `{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")}`
/// → `1.2.3.4:80`; other forms are kept, shortened.
fn address(arg: &str) -> String {
    let port = between(arg, "port=htons(", ")");
    let ip4 = between(arg, "inet_addr(\"", "\"");
    let ip6 = between(arg, "AF_INET6, \"", "\"");
    match (port, ip4, ip6) {
        (Some(port), Some(ip), _) => format!("{ip}:{port}"),
        (Some(port), None, Some(ip)) => format!("[{ip}]:{port}"),
        _ => cut(arg, 30),
    }
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

/// A socket option's value where it is short: a timeout as seconds.
fn option_value(name: &str, value: &str) -> String {
    if name.contains("TIMEO") {
        if let Some(quoted) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            let bytes = unescape(quoted);
            if bytes.len() >= 16 {
                // struct timeval: seconds, then microseconds.
                let field = |at: usize| {
                    let mut field = [0u8; 8];
                    field.copy_from_slice(&bytes[at..at + 8]);
                    u64::from_le_bytes(field)
                };
                let (seconds, micros) = (field(0), field(8));
                return if seconds == 0 && micros > 0 {
                    format!(", {} ms", micros as f64 / 1000.0)
                } else {
                    format!(", {seconds} s")
                };
            }
        }
    }
    if value.len() <= 12 && !value.is_empty() {
        format!(", {value}")
    } else {
        String::new()
    }
}

/// A successful `write`: its fd and the bytes (as far as strace showed
/// them).
pub fn written(call: &Call) -> Option<(String, Vec<u8>)> {
    if call.name != "write" || call.result.starts_with('-') {
        return None;
    }
    let fd = strip_fd(call.args.first()?).to_string();
    let quoted = call.args.get(1)?.trim_end_matches("...");
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    Some((fd, unescape(inner)))
}

/// The start of the bytes a call carried, as text, quoted.
fn preview(arg: &str) -> String {
    let more = arg.ends_with("...");
    let quoted = arg.trim_end_matches("...");
    let Some(inner) = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')) else {
        return String::new();
    };
    preview_bytes(&unescape(inner), more)
}

/// Bytes as quoted text, cut after 32 characters.
pub fn preview_bytes(bytes: &[u8], more: bool) -> String {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut shown = String::new();
    for (count, ch) in text.chars().enumerate() {
        if count >= 32 {
            return format!("\"{shown}…\"");
        }
        match ch {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            c if c.is_control() => shown.push('·'),
            c => shown.push(c),
        }
    }
    if more {
        shown.push('…');
    }
    format!("\"{shown}\"")
}

/// strace's C escapes (`\n`, `\"`, `\344`, `\x1b`) back to bytes.
pub fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'\\' || at + 1 >= bytes.len() {
            out.push(bytes[at]);
            at += 1;
            continue;
        }
        let next = bytes[at + 1];
        at += 2;
        match next {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'f' => out.push(0x0c),
            b'x' => {
                let end = (at + 2).min(bytes.len());
                let hex = std::str::from_utf8(&bytes[at..end]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                at = end;
            }
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                let mut digits = 1;
                while digits < 3 && at < bytes.len() && (b'0'..=b'7').contains(&bytes[at]) {
                    value = value * 8 + u32::from(bytes[at] - b'0');
                    at += 1;
                    digits += 1;
                }
                out.push(u8::try_from(value).unwrap_or(b'?'));
            }
            other => out.push(other),
        }
    }
    out
}

/// `text` cut to `limit` characters, with `…` when cut.
pub fn cut(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(limit).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"12629 accept4(3<TCP:[127.0.0.1:45545]>, {sa_family=AF_INET, sin_port=htons(60382), sin_addr=inet_addr("127.0.0.1")}, [128 => 16], SOCK_CLOEXEC) = 4<TCP:[127.0.0.1:45545->127.0.0.1:60382]>
 > /usr/lib/x86_64-linux-gnu/libc.so.6(accept4+0x13) [0x10af63]
 > /target/debug/hello-server(hello_server::run+0x45e) [0x21c4e]
12629 listen(3<TCP:[127.0.0.1:45545]>, 128) = 0
12630 read(0<pipe:[1]>,  <unfinished ...>
12629 newfstatat(AT_FDCWD, "/@py-line/12", 0x7ffc, 0) = -1 ENOENT (No such file or directory)
12630 <... read resumed>"\344\275\240\n", 8192) = 4
12629 --- SIGTERM {si_signo=SIGTERM} ---
12629 write(1<pipe:[2]>, "b'GET / HTTP/1.1\\r\\n'\n", 22) = 22
12629 write(5</tmp/x>, "x", 1) = 1
"#;

    #[test]
    fn calls_stacks_markers_and_resumed_calls_are_read() {
        let calls = parse(SAMPLE);
        let names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["accept4", "listen", "newfstatat", "read", "write", "write"]
        );
        assert_eq!(calls[0].stack.len(), 2);
        assert_eq!(calls[0].stack[1].1, 0x21c4e);
        assert_eq!(calls[2].marker, Some(12));
        assert_eq!(calls[2].result, "-1 ENOENT");
        let shown: Vec<Option<String>> = calls.iter().map(shown).collect();
        assert_eq!(
            shown[0].as_deref(),
            Some("accept4(3) = 4 ← 127.0.0.1:60382")
        );
        assert_eq!(shown[1].as_deref(), Some("listen(3, 128) = 0"));
        assert_eq!(shown[3].as_deref(), Some("read(0, 8192) = 4 \"你\\n\""));
        assert_eq!(
            shown[4].as_deref(),
            Some("write(1, 22) = 22 \"b'GET / HTTP/1.1\\r\\n'\\n\"")
        );
        assert_eq!(shown[5], None);
    }
}
