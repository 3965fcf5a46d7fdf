//! What the six programs share around their listing: the `[ADDR]` argument,
//! `--help`, the readiness line, messages on stderr, lines on stdout, and
//! exit codes (DESIGN §3–4).
//!
//! Exit codes: 0 done, 1 a runtime failure, 2 a usage error.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write};
use std::net::{Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use crate::hostname::gethostname;

/// What a binary tells `main` about itself.
pub struct Program {
    /// The binary's name, which starts each of its stderr messages.
    pub name: &'static str,
    /// One line saying what it does and which listing it mirrors.
    pub summary: &'static str,
    /// What `ADDR` is for: "listen on" or "connect to", in words.
    pub addr_role: &'static str,
    /// The address used when none is given.
    pub default_addr: DefaultAddr,
}

/// The listing's own address, used when the command line names none.
pub enum DefaultAddr {
    /// A fixed `host:port`, such as `127.0.0.1:8080`.
    Fixed(&'static str),
    /// `socket.gethostname()` with this port, as the chat listings do.
    Hostname { port: u16 },
}

/// Why a program stopped early.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Something failed at run time: the message says what and why (exit 1).
    Runtime(String),
    /// Whoever read our stdout has gone: end quietly (exit 0).
    StdoutClosed,
    /// The conversation is over and stderr already says why (exit 0).
    Ended,
}

impl Failure {
    pub fn runtime(message: impl Into<String>) -> Self {
        Failure::Runtime(message.into())
    }
}

/// `host:port` as given on the command line, checked but not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl HostPort {
    /// Parses `host:port`, `1.2.3.4:80` or `[::1]:80`. The error says what
    /// is wrong, in words for the usage message.
    pub fn parse(text: &str) -> Result<HostPort, String> {
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("地址 {text:?} 缺少 ] (IPv6 地址写作 [::1]:8080)"))?;
            if host.parse::<Ipv6Addr>().is_err() {
                return Err(format!("地址 {text:?} 的方括号里不是 IPv6 地址"));
            }
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| format!("地址 {text:?} 缺少端口 (写作 [::1]:8080)"))?;
            (host, port)
        } else {
            let (host, port) = text.rsplit_once(':').ok_or_else(|| {
                format!("地址 {text:?} 缺少端口 (写作 host:port，例如 127.0.0.1:8080)")
            })?;
            if host.contains(':') {
                return Err(format!(
                    "地址 {text:?}: IPv6 地址要写在方括号里，例如 [::1]:8080"
                ));
            }
            (host, port)
        };
        if host.is_empty() {
            return Err(format!("地址 {text:?} 缺少主机名或 IP"));
        }
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("地址 {text:?} 的端口必须是 0 到 65535 之间的整数"))?;
        Ok(HostPort {
            host: host.to_string(),
            port,
        })
    }

    /// Resolves the address, IPv4 addresses first: a name then means what
    /// it means to the listings' `AF_INET` sockets.
    pub fn resolve(&self) -> Result<Vec<SocketAddr>, Failure> {
        let resolved = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|error| Failure::runtime(format!("无法解析地址 {self}: {error}")))?;
        let mut addrs: Vec<SocketAddr> = resolved.collect();
        addrs.sort_by_key(|addr| addr.is_ipv6());
        if addrs.is_empty() {
            return Err(Failure::runtime(format!(
                "无法解析地址 {self}: 没有找到 IP 地址"
            )));
        }
        Ok(addrs)
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    Help,
    /// Run, with the address given (`None`: the default).
    Run(Option<HostPort>),
}

/// Reads `[ADDR]`, `-h`/`--help` and `--`. The error is for a usage message.
pub fn parse_args(args: &[OsString]) -> Result<Request, String> {
    let mut addr = None;
    let mut options_done = false;
    for arg in args {
        let Some(arg) = arg.to_str() else {
            return Err(format!("参数 {arg:?} 不是 UTF-8 文本"));
        };
        match arg {
            "-h" | "--help" if !options_done => return Ok(Request::Help),
            "--" if !options_done => options_done = true,
            _ if arg.starts_with('-') && !options_done => {
                return Err(format!("未知选项 {arg:?}"));
            }
            _ if addr.is_some() => return Err(format!("多余的参数 {arg:?}")),
            _ => addr = Some(HostPort::parse(arg)?),
        }
    }
    Ok(Request::Run(addr))
}

/// The usage text, naming the default address.
pub fn usage(program: &Program) -> String {
    let default = match program.default_addr {
        DefaultAddr::Fixed(addr) => addr.to_string(),
        DefaultAddr::Hostname { port } => {
            let here = gethostname().unwrap_or_else(|_| "?".to_string());
            format!("本机主机名:{port}，同 socket.gethostname()；这台机器上是 {here}:{port}")
        }
    };
    format!(
        "{summary}\n\n\
         用法 / usage: {name} [ADDR]\n\n\
         \x20 ADDR        {role}，写作 host:port (IPv6: [::1]:8080)\n\
         \x20             默认 / default: {default}\n\
         \x20 -h, --help  显示本帮助 / show this help\n",
        summary = program.summary,
        name = program.name,
        role = program.addr_role,
    )
}

/// Runs a program: reads the command line, calls `run` with the address,
/// reports a failure on stderr and turns the outcome into an exit code.
pub fn main(program: &Program, run: impl FnOnce(HostPort) -> Result<(), Failure>) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let outcome = match parse_args(&args) {
        Ok(Request::Help) => {
            let _ = io::stdout().write_all(usage(program).as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            warn(program.name, format!("{message}\n\n{}", usage(program)));
            return ExitCode::from(2);
        }
        Ok(Request::Run(Some(addr))) => run(addr),
        Ok(Request::Run(None)) => default_addr(program).and_then(run),
    };
    match outcome {
        Ok(()) | Err(Failure::StdoutClosed | Failure::Ended) => ExitCode::SUCCESS,
        Err(Failure::Runtime(message)) => {
            warn(program.name, message);
            ExitCode::FAILURE
        }
    }
}

fn default_addr(program: &Program) -> Result<HostPort, Failure> {
    match program.default_addr {
        DefaultAddr::Fixed(addr) => HostPort::parse(addr).map_err(Failure::Runtime),
        DefaultAddr::Hostname { port } => match gethostname() {
            Ok(host) => Ok(HostPort { host, port }),
            Err(error) => Err(Failure::runtime(format!(
                "无法取得本机主机名 ({error})；请在命令行上指定地址，例如 127.0.0.1:{port}"
            ))),
        },
    }
}

/// Binds a server's socket to the first of `host_port`'s addresses that
/// works, with `bind` (`TcpListener::bind`, `UdpSocket::bind`), then writes
/// the readiness line. Returns the socket and the address it is bound to.
pub fn bind<S>(
    host_port: &HostPort,
    bind: impl FnOnce(&[SocketAddr]) -> io::Result<S>,
    local_addr: impl FnOnce(&S) -> io::Result<SocketAddr>,
) -> Result<(S, SocketAddr), Failure> {
    let addrs = host_port.resolve()?;
    let socket =
        bind(&addrs).map_err(|error| Failure::runtime(format!("无法绑定 {host_port}: {error}")))?;
    let bound = local_addr(&socket)
        .map_err(|error| Failure::runtime(format!("无法读取 {host_port} 的监听地址: {error}")))?;
    announce_listening(bound);
    Ok((socket, bound))
}

/// Writes `{name}: {message}` as a line on stderr. stderr is where all that
/// the Rust adds goes, so stdout stays comparable with the listing's.
pub fn warn(name: &str, message: impl fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "{name}: {message}");
}

/// The readiness line: the first line a server writes on stderr, once its
/// socket is bound, so that tests and demos know where and when to connect.
pub fn announce_listening(addr: SocketAddr) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "listening on {addr}");
    let _ = stderr.flush();
}

/// Python's `print(text)`: `text` and a newline, flushed at once, in one
/// write. A closed stdout ends the program quietly.
pub fn print_line(text: &str) -> Result<(), Failure> {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    write_stdout(&line)
}

/// Writes `text` to stdout and flushes it. stdout stays locked only for
/// this write, so that another thread can print between two of them.
pub fn write_stdout(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(stdout_failure)
}

/// A failed write to stdout, as a [`Failure`].
pub fn stdout_failure(error: io::Error) -> Failure {
    match error.kind() {
        io::ErrorKind::BrokenPipe => Failure::StdoutClosed,
        _ => Failure::runtime(format!("无法写标准输出: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn hp(host: &str, port: u16) -> HostPort {
        HostPort {
            host: host.to_string(),
            port,
        }
    }

    #[test]
    fn addresses_in_every_accepted_form() {
        assert_eq!(HostPort::parse("127.0.0.1:8080"), Ok(hp("127.0.0.1", 8080)));
        assert_eq!(HostPort::parse("localhost:0"), Ok(hp("localhost", 0)));
        assert_eq!(HostPort::parse("[::1]:65535"), Ok(hp("::1", 65535)));
        assert_eq!(hp("::1", 80).to_string(), "[::1]:80");
        assert_eq!(hp("vm", 12345).to_string(), "vm:12345");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "abc",
            "1.2.3.4:99999",
            "[::1",
            "[::1]",
            "[nothost]:80",
            "::1:80",
            ":80",
            "host:",
            "host:-1",
            "host:8o",
        ] {
            assert!(HostPort::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn command_lines() {
        assert_eq!(parse_args(&args(&[])), Ok(Request::Run(None)));
        assert_eq!(parse_args(&args(&["-h"])), Ok(Request::Help));
        assert_eq!(parse_args(&args(&["x:1", "--help"])), Ok(Request::Help));
        assert_eq!(
            parse_args(&args(&["--", "[::1]:7"])),
            Ok(Request::Run(Some(hp("::1", 7))))
        );
        assert!(parse_args(&args(&["--verbose"])).is_err());
        assert!(parse_args(&args(&["a:1", "b:2"])).is_err());
        assert!(parse_args(&args(&["abc"])).is_err());
    }

    #[test]
    fn resolution_puts_ipv4_first_and_names_the_address_on_failure() {
        let addrs = hp("127.0.0.1", 9).resolve().unwrap(); // test: an IP resolves to itself
        assert_eq!(addrs[0].to_string(), "127.0.0.1:9");
        let Err(Failure::Runtime(message)) = hp("no-such-host.invalid", 9).resolve() else {
            panic!("an .invalid name resolved"); // test: the assertion itself
        };
        assert!(message.contains("no-such-host.invalid:9"), "{message}");
    }
}
