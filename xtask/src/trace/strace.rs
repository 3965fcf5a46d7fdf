//! Reading what `strace -f [-k] -yy -o FILE` wrote: one [`Call`] per
//! system call (an `<unfinished ...>` call joined with its `resumed` end),
//! with the stack `-k` printed under it; and the short form of each call a
//! reader cares about (fd, address, backlog, byte count, flags, result).

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

/// Reads a whole strace output file.
pub fn parse(text: &str) -> Vec<Call> {
    let mut calls: Vec<Call> = Vec::new();
    // Per thread: the start of a call strace left unfinished, and its stack.
    let mut pending: HashMap<u32, (String, Vec<(String, u64)>)> = HashMap::new();
    // Where the next `-k` frame goes: a finished call, or a pending one.
    let mut frames_to: Option<(u32, bool)> = None;
    for line in text.lines() {
        if let Some(frame) = line.strip_prefix(" > ") {
            // `/usr/lib/libc.so.6(accept4+0x13) [0x10af63]`: the file and offset.
            let frame = frame.rfind(" [0x").and_then(|open| {
                let offset = frame[open + 4..].trim_end_matches(']');
                let file = frame[..open].split('(').next()?.to_string();
                Some((file, u64::from_str_radix(offset, 16).ok()?))
            });
            let stack = match frames_to {
                Some((_, true)) => calls.last_mut().map(|call| &mut call.stack),
                Some((pid, false)) => pending.get_mut(&pid).map(|(_, stack)| stack),
                None => None,
            };
            if let (Some(stack), Some(frame)) = (stack, frame) {
                stack.push(frame);
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
        let (whole, mut stack) = match rest.strip_prefix("<... ") {
            Some(resumed) => {
                let tail = resumed.split_once(" resumed>").map(|(_, tail)| tail);
                let Some(((start, stack), tail)) = pending.remove(&pid).zip(tail) else {
                    continue;
                };
                (format!("{start}{tail}"), stack)
            }
            None => (rest.to_string(), Vec::new()),
        };
        if let Some(mut call) = parse_call(pid, &whole) {
            call.stack.append(&mut stack);
            calls.push(call);
            frames_to = Some((pid, true));
        }
    }
    calls
}

/// `name(args) = result` (signals and exits are not calls).
fn parse_call(pid: u32, text: &str) -> Option<Call> {
    let (name, args) = text.split_once('(')?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let (args, after) = split_args(args);
    let result = strip_fd(after.trim_start().strip_prefix('=')?.trim());
    // `-1 ENOENT (No such file…)` → `-1 ENOENT`.
    let result = match result.split_once(" (") {
        Some((head, _)) if head.starts_with(['-', '?']) => head,
        _ => result,
    };
    let marker = args.iter().find_map(|arg| arg.trim_matches('"').strip_prefix("/@py-line/"));
    let marker = marker.map(|line| line.parse().unwrap_or(0));
    let (name, result) = (name.to_string(), result.to_string());
    Some(Call { pid, name, args, result, stack: Vec::new(), marker })
}

/// Splits `a, {b, c}, "d,e")...` at its top-level commas up to the
/// closing parenthesis; returns the arguments and what follows.
fn split_args(text: &str) -> (Vec<String>, &str) {
    let (mut args, mut depth, mut start) = (Vec::new(), 0usize, 0);
    let (mut quoted, mut escaped) = (false, false);
    for (at, ch) in text.char_indices() {
        match ch {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ if quoted => {}
            '(' | '[' | '{' => depth += 1,
            ')' if depth == 0 => {
                let last = text[start..at].trim();
                if !last.is_empty() {
                    args.push(last.to_string());
                }
                return (args, &text[at + 1..]);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                args.push(text[start..at].trim().to_string());
                start = at + 1;
            }
            _ => {}
        }
    }
    (args, "")
}

/// An fd without strace's `-yy` annotation: `4<TCP:[…]>` → `4`.
fn strip_fd(arg: &str) -> &str {
    match arg.find('<') {
        Some(at) if at > 0 && arg[..at].chars().all(|c| c.is_ascii_digit()) => &arg[..at],
        _ => arg,
    }
}

/// The calls a row shows one by one (the rest are counted by name), and
/// those it shows when their fd is a socket or stdin, stdout or stderr.
const SOCKET_CALLS: &str = "socket bind listen accept accept4 connect shutdown setsockopt \
    getsockopt getsockname getpeername recv recvfrom recvmsg send sendto sendmsg sendmmsg poll \
    ppoll select pselect6";
const FD_CALLS: &str = "read write readv writev close";

/// The short form of a call a reader cares about, or `None` for calls
/// that are only counted.
pub fn shown(call: &Call) -> Option<String> {
    let name = call.name.as_str();
    let arg = |index: usize| call.args.get(index).map_or("", String::as_str);
    // What `-yy` says the first argument is: `TCP:[…]`, `pipe:[…]`, `/dev/pts/0`.
    let kind = arg(0).split_once('<').map_or("", |(_, kind)| kind);
    let socket = ["TCP", "UDP", "socket:", "UNIX", "NETLINK"].iter().any(|p| kind.starts_with(p));
    let listed = |calls: &str| calls.split_whitespace().any(|c| c == name);
    let fd = strip_fd(arg(0));
    let shown = match name {
        // Only on a socket: `set_nonblocking` is `ioctl(fd, FIONBIO)`; on a
        // terminal ioctls are the interpreter asking what it is.
        "ioctl" => socket,
        _ if listed(FD_CALLS) => socket || matches!(fd, "0" | "1" | "2"),
        _ => listed(SOCKET_CALLS),
    };
    let result = &call.result;
    let ok = !result.starts_with(['-', '?']);
    if !shown {
        return None;
    } else if result.starts_with('?') {
        // Still waiting when the process ended (the trace stops a server
        // that serves forever, as the listing's does).
        let never = "? 没有返回：进程已结束 / never returned: the process ended";
        return Some(format!("{name}({fd}) = {never}"));
    }
    Some(match name {
        "socket" => format!("socket({}, {}) = {result}", arg(0), arg(1)),
        "bind" | "connect" => format!("{name}({fd}, {}) = {result}", address(arg(1))),
        "listen" | "shutdown" => format!("{name}({fd}, {}) = {result}", arg(1)),
        "accept" | "accept4" if ok => format!("{name}({fd}) = {result} ← {}", address(arg(1))),
        "ioctl" => format!("ioctl({fd}, {}, {}) = {result}", arg(1), arg(2)),
        "setsockopt" | "getsockopt" => {
            let value = option_value(arg(2), arg(3));
            format!("{name}({fd}, {}, {}{value}) = {result}", arg(1), arg(2))
        }
        "read" | "recv" | "recvfrom" | "write" | "send" | "sendto" => {
            let peer = match (name, arg(4)) {
                ("recvfrom", peer) if peer.starts_with('{') => format!(" ← {}", address(peer)),
                ("sendto", peer) if peer.starts_with('{') => format!(" → {}", address(peer)),
                _ => String::new(),
            };
            let data = match ok && result != "0" {
                true => format!(
                    " {}",
                    quoted(arg(1)).map_or(String::new(), |(b, more)| preview(&b, 32, more))
                ),
                false => String::new(),
            };
            format!("{name}({fd}, {}) = {result}{data}{peer}", arg(2))
        }
        "poll" | "ppoll" => format!("{name}({}) = {result}", cut(&call.args.join(", "), 40)),
        _ => format!("{name}({fd}) = {result}"),
    })
}

/// `{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")}`
/// → `1.2.3.4:80`; other forms are kept, shortened.
fn address(arg: &str) -> String {
    let between = |open: &str, close: &str| {
        let start = arg.find(open)? + open.len();
        Some(&arg[start..start + arg[start..].find(close)?])
    };
    let port = between("port=htons(", ")");
    match (port, between("inet_addr(\"", "\""), between("AF_INET6, \"", "\"")) {
        (Some(port), Some(ip), _) => format!("{ip}:{port}"),
        (Some(port), None, Some(ip)) => format!("[{ip}]:{port}"),
        _ => cut(arg, 30),
    }
}

/// A socket option's value where it is short: a time-out as seconds or
/// milliseconds.
fn option_value(name: &str, value: &str) -> String {
    let timeval = quoted(value).map(|(bytes, _)| bytes).filter(|b| b.len() >= 16);
    match timeval.filter(|_| name.contains("TIMEO")) {
        // struct timeval: seconds, then microseconds.
        Some(bytes) => {
            let field = |at: usize| {
                bytes[at..at + 8].iter().rev().fold(0u64, |n, &b| n << 8 | u64::from(b))
            };
            let (seconds, micros) = (field(0), field(8));
            if seconds == 0 && micros > 0 {
                format!(", {} ms", micros as f64 / 1000.0)
            } else {
                format!(", {seconds} s")
            }
        }
        None if !value.is_empty() && value.len() <= 12 => format!(", {value}"),
        None => String::new(),
    }
}

/// A successful `write`: its fd and the bytes (as far as strace showed
/// them).
pub fn written(call: &Call) -> Option<(String, Vec<u8>)> {
    if call.name != "write" || call.result.starts_with('-') {
        return None;
    }
    let (bytes, _) = quoted(call.args.get(1)?)?;
    Some((strip_fd(call.args.first()?).to_string(), bytes))
}

/// The bytes of a quoted argument (strace's C escapes undone), and whether
/// strace cut it (`"…"...`).
pub fn quoted(arg: &str) -> Option<(Vec<u8>, bool)> {
    let inner = arg.trim_end_matches("...");
    let inner = inner.strip_prefix('"')?.strip_suffix('"')?.as_bytes();
    let mut bytes = Vec::with_capacity(inner.len());
    let mut at = 0;
    while at < inner.len() {
        let (next, rest) = (inner.get(at + 1).copied(), inner.get(at + 2..).unwrap_or_default());
        let (byte, used) = match (inner[at], next) {
            (b'\\', Some(b'n')) => (b'\n', 2),
            (b'\\', Some(b'r')) => (b'\r', 2),
            (b'\\', Some(b't')) => (b'\t', 2),
            (b'\\', Some(b'v')) => (0x0b, 2),
            (b'\\', Some(b'f')) => (0x0c, 2),
            (b'\\', Some(b'x')) => {
                let digits = &rest[..rest.len().min(2)];
                let hex =
                    std::str::from_utf8(digits).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                (hex.unwrap_or(b'?'), 2 + digits.len())
            }
            (b'\\', Some(b'0'..=b'7')) => {
                let digits =
                    1 + rest.iter().take(2).take_while(|d| (b'0'..=b'7').contains(d)).count();
                let octal = inner[at + 1..at + 1 + digits]
                    .iter()
                    .fold(0u32, |n, d| n * 8 + u32::from(d - b'0'));
                (u8::try_from(octal).unwrap_or(b'?'), 1 + digits)
            }
            (b'\\', Some(other)) => (other, 2),
            (byte, _) => (byte, 1),
        };
        bytes.push(byte);
        at += used;
    }
    Some((bytes, arg.ends_with("...")))
}

/// Bytes as quoted text, cut after `limit` characters (`…` where cut, or
/// where `more` says the bytes were already cut).
pub fn preview(bytes: &[u8], limit: usize, more: bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut shown = String::new();
    for (count, ch) in text.chars().enumerate() {
        if count >= limit {
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
    format!("\"{shown}{}\"", if more { "…" } else { "" })
}

/// `text` cut to `limit` characters, with `…` when cut.
fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// What a call put on the wire, if anything, as a listing names the call:
/// `.connect` (`connect`: a SYN), `.send` (a write to a socket: its bytes),
/// `.close` (`shutdown`, or the close of a connected socket: a FIN).
pub fn sent_by(call: &Call) -> Option<(&'static str, Vec<u8>)> {
    let fd = call.args.first()?;
    let failed = call.result.starts_with('-') && !call.result.contains("EINPROGRESS");
    if failed || !["<TCP", "<UDP", "<socket:"].iter().any(|kind| fd.contains(kind)) {
        return None;
    }
    match call.name.as_str() {
        "connect" => Some((".connect", Vec::new())),
        "shutdown" if call.args.get(1)? != "SHUT_RD" => Some((".close", Vec::new())),
        "close" if fd.contains("->") => Some((".close", Vec::new())),
        "write" | "send" | "sendto" => Some((".send", quoted(call.args.get(1)?)?.0)),
        _ => None,
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
12629 setsockopt(4<TCP:[1]>, SOL_SOCKET, SO_RCVTIMEO_OLD, "\0\0\0\0\0\0\0\0\320\7\0\0\0\0\0\0", 16) = 0
"#;

    #[test]
    fn calls_stacks_markers_and_resumed_calls_are_read() {
        let calls = parse(SAMPLE);
        let names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
        let expected = ["accept4", "listen", "newfstatat", "read", "write", "write", "setsockopt"];
        assert_eq!(names, expected);
        assert_eq!(calls[0].stack.len(), 2);
        assert_eq!(calls[0].stack[1].1, 0x21c4e);
        assert_eq!(calls[2].marker, Some(12));
        assert_eq!(calls[2].result, "-1 ENOENT");
        let shown: Vec<Option<String>> = calls.iter().map(shown).collect();
        assert_eq!(shown[0].as_deref(), Some("accept4(3) = 4 ← 127.0.0.1:60382"));
        assert_eq!(shown[1].as_deref(), Some("listen(3, 128) = 0"));
        assert_eq!(shown[3].as_deref(), Some("read(0, 8192) = 4 \"你\\n\""));
        let write = "write(1, 22) = 22 \"b'GET / HTTP/1.1\\r\\n'\\n\"";
        assert_eq!(shown[4].as_deref(), Some(write));
        assert_eq!(shown[5], None);
        let timeout = "setsockopt(4, SOL_SOCKET, SO_RCVTIMEO_OLD, 2 ms) = 0";
        assert_eq!(shown[6].as_deref(), Some(timeout));
    }
}
