//! The plumbing around each listing: the `[ADDR]` argument and `--help`
//! ([`main`]), addresses ([`HostPort`]), the readiness line
//! ([`listening_on`]), connecting with a time limit ([`connect_each`]) and
//! exit codes: 0 done (also when stdout's reader has gone), 1 a runtime
//! failure, 2 a usage error. The conventions: crates/README.md.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, ErrorKind, Write};
use std::net::{Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use crate::console::{end_prompt_line, set_name, warn};
use crate::socket::gethostname;
use crate::stop::{OrFail, Stop, Unresolved};

/// The calling crate's name and description, from its Cargo.toml: what
/// [`main`] names the program by and its `--help` says it does.
#[macro_export]
macro_rules! about {
    () => {
        (env!("CARGO_PKG_NAME"), env!("CARGO_PKG_DESCRIPTION"))
    };
}

/// The host of a default address that stands for this machine's name, as
/// the chat listings' `host=socket.gethostname()`.
pub const HOSTNAME: &str = "socket.gethostname()";

/// `host:port` as given (a name or an IP; IPv6 in brackets), checked but
/// not resolved: std's calls resolve it, IPv4 addresses first, as the
/// listings' `AF_INET` sockets mean a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort(String);

impl HostPort {
    /// Checks `host:port`; the error says what is missing, for the usage.
    pub fn parse(text: &str) -> Result<HostPort, String> {
        let form = "写作 host:port，例如 127.0.0.1:8080；IPv6 写作 [::1]:8080";
        let (host, port) = text.rsplit_once(':').unwrap_or(("", text));
        let ipv6 = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
        if host.is_empty() && port.parse::<u16>().is_ok() {
            Err(format!("地址 {text:?} 缺少主机：写作 host:port，例如 127.0.0.1:{port}"))
        } else if host.is_empty() || !text.contains(':') {
            Err(format!(
                "地址 {text:?} 缺少{}：{form}",
                if text.contains(':') { "主机" } else { "端口" }
            ))
        } else if ipv6.map_or(host.contains(['[', ']', ':']), |ip| ip.parse::<Ipv6Addr>().is_err())
        {
            Err(format!("地址 {text:?} 不对：{form}"))
        } else if port.parse::<u16>().is_err() {
            Err(format!("地址 {text:?} 的端口必须是 0 到 65535 之间的整数"))
        } else {
            Ok(HostPort(text.to_string()))
        }
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What `TcpListener::bind(&addr)`, `connect` and `send_to` resolve: IPv4
/// addresses first. A name that does not resolve fails with a message of
/// its own, which [`OrFail`] passes on as it is.
impl ToSocketAddrs for HostPort {
    type Iter = std::vec::IntoIter<SocketAddr>;

    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        let unresolved = |why| io::Error::other(Unresolved(format!("无法解析地址 {self}: {why}")));
        let mut addrs: Vec<SocketAddr> = self.0.to_socket_addrs().map_err(unresolved)?.collect();
        addrs.sort_by_key(SocketAddr::is_ipv6);
        Ok(addrs.into_iter())
    }
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    Help,
    /// Run, at the address given (`None`: the default).
    Run(Option<HostPort>),
}

/// Reads `[ADDR]` and `-h`/`--help`; the error is for the usage.
pub fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Request, String> {
    let mut addr = None;
    for arg in args {
        let arg = arg.to_str().ok_or_else(|| format!("参数 {arg:?} 不是 UTF-8 文本"))?;
        match arg {
            "-h" | "--help" => return Ok(Request::Help),
            _ if arg.starts_with('-') => return Err(format!("未知选项 {arg:?}")),
            _ if addr.is_some() => return Err(format!("多余的参数 {arg:?}")),
            _ => addr = Some(HostPort::parse(arg)?),
        }
    }
    Ok(Request::Run(addr))
}

/// The keys that end typed input on this OS.
pub const END_OF_INPUT: &str =
    if cfg!(windows) { "Ctrl-Z 再按回车 (Ctrl-Z, then Enter)" } else { "Ctrl-D" };

/// The usage text, with the default address and the keys that end input.
pub fn usage((name, description): (&str, &str), default: &str) -> String {
    let default = match default.strip_prefix(HOSTNAME) {
        Some(port) => {
            let here = gethostname().unwrap_or_else(|_| "?".into());
            format!("本机主机名{port}，同 socket.gethostname()\n{:14}这台机器上是 {here}{port}", "")
        }
        None => default.to_string(),
    };
    format!(
        "{name}: {description}\n\n用法 / usage: {name} [ADDR]\n\n\
         \x20 ADDR        写作 host:port (IPv6: [::1]:8080)\n\
         \x20             默认 / default: {default}\n\
         \x20 -h, --help  显示本帮助 / show this help\n\n\
         停止程序 / stop: Ctrl-C\n\
         结束键盘输入 / end typed input: {END_OF_INPUT}\n",
    )
}

/// Runs a program: reads the command line, calls `run` with the address
/// (`default` if it names none), and turns how it ended into an exit code,
/// saying why on stderr.
pub fn main(
    about: (&'static str, &'static str),
    default: &str,
    run: impl FnOnce(HostPort) -> Result<(), Stop>,
) -> ExitCode {
    set_name(about.0);
    let ended = match parse_args(std::env::args_os().skip(1)) {
        Ok(Request::Help) => {
            let _ = io::stdout().write_all(usage(about, default).as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            warn(format!("{message}\n\n{}", usage(about, default)));
            return ExitCode::from(2);
        }
        Ok(Request::Run(Some(addr))) => run(addr),
        Ok(Request::Run(None)) => match default.strip_prefix(HOSTNAME) {
            Some(port) => gethostname()
                .or_fail(|| {
                    format!("无法取得本机主机名，请在命令行上指定地址，例如 127.0.0.1{port}")
                })
                .and_then(|host| run(HostPort(host + port))),
            None => run(HostPort(default.to_string())),
        },
    };
    ExitCode::from(exit_code(ended))
}

/// 0 or 1 for how a program ended, said on stderr if it failed.
fn exit_code(ended: Result<(), Stop>) -> u8 {
    // Input ended at a prompt: the shell's prompt must not follow ours.
    end_prompt_line();
    match ended {
        Ok(()) | Err(Stop::StdoutClosed) => 0,
        Err(Stop::Failed(message)) => {
            warn(message);
            1
        }
    }
}

/// Ends the program from any thread, as [`main`] ends it: the chats' two
/// threads (one may be blocked reading stdin, which nothing interrupts),
/// hello-server's waiting clients.
pub fn exit(ended: Result<(), Stop>) -> ! {
    std::process::exit(exit_code(ended).into())
}

/// The readiness line, `listening on {addr}`, a server's first line on
/// stderr once it is bound: tests and demos wait for it. Takes what
/// `local_addr()` returned.
pub fn listening_on(local_addr: io::Result<SocketAddr>) -> Result<SocketAddr, Stop> {
    let addr = local_addr.or_fail(|| "无法读取监听地址")?;
    let _ = io::stderr().write_all(format!("listening on {addr}\n").as_bytes());
    Ok(addr)
}

/// How long one connection attempt may take (the OS alone waits minutes).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `connect` on each address `addr` resolves to, in turn, until one
/// connects: what `TcpStream::connect` does, with the program's own call
/// (`TcpStream::connect_timeout`) in its code. A refusal says to start
/// `partner` first.
pub fn connect_each<T>(
    addr: &HostPort,
    partner: &str,
    mut connect: impl FnMut(&SocketAddr) -> io::Result<T>,
) -> Result<T, Stop> {
    let mut failed =
        (addr.to_string(), io::Error::new(ErrorKind::NotFound, "没有地址 (no address)"));
    for at in addr.to_socket_addrs().or_fail(|| "")? {
        match connect(&at) {
            Ok(connected) => return Ok(connected),
            // A name is shown with the address it stood for.
            Err(error) if addr.0.parse::<SocketAddr>().is_err() => {
                failed = (format!("{addr} ({at})"), error)
            }
            Err(error) => failed = (at.to_string(), error),
        }
    }
    let (shown, error) = failed;
    let what_to_do = match error.kind() {
        ErrorKind::ConnectionRefused if partner == "chat-server" => {
            "\n  请先启动 chat-server (start chat-server first)；如果它已经在运行，\
             \n  它可能正在和别的客户端聊天：它一次只接受一个客户端"
                .to_string()
        }
        ErrorKind::ConnectionRefused => format!("\n  请先启动 {partner} (start {partner} first)"),
        ErrorKind::TimedOut => {
            let no_answer = "10 秒内没有应答，请检查地址和防火墙 (no answer in 10 s)";
            return Err(io::Error::new(ErrorKind::TimedOut, no_answer))
                .or_fail(|| format!("无法连接 {shown}"));
        }
        _ => String::new(),
    };
    Err(error).or_fail(|| format!("无法连接 {shown}")).map_err(|stop| stop.and(&what_to_do))
}

/// Whether a read ended because its time-out passed (`WouldBlock` on Unix,
/// `TimedOut` on Windows).
pub fn timed_out(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Stdin ended before the line the program needs (`what`) was typed.
pub fn nothing_typed(what: &str) -> Stop {
    Stop::Failed(format!(
        "标准输入已结束 ({END_OF_INPUT})，没有读到{what} (stdin ended before a line was typed)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn hp(text: &str) -> HostPort {
        HostPort(text.to_string())
    }

    #[test]
    fn addresses_in_every_accepted_form() {
        for good in ["127.0.0.1:8080", "localhost:0", "[::1]:65535", "vm:12345"] {
            assert_eq!(HostPort::parse(good), Ok(hp(good)));
            assert_eq!(hp(good).to_string(), good);
        }
    }

    #[test]
    fn malformed_addresses_are_refused_saying_what_is_missing() {
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
            "8888",
        ] {
            assert!(HostPort::parse(bad).is_err(), "{bad} was accepted");
        }
        let missing_host = HostPort::parse("8888").err().unwrap_or_default();
        assert!(missing_host.contains("缺少主机"), "{missing_host}");
        assert!(missing_host.contains("127.0.0.1:8888"), "{missing_host}");
        let missing_port = HostPort::parse("abc").err().unwrap_or_default();
        assert!(missing_port.contains("缺少端口"), "{missing_port}");
        assert!(HostPort::parse(":80").err().unwrap_or_default().contains("缺少主机"));
    }

    #[test]
    fn command_lines() {
        assert_eq!(parse_args(args(&[])), Ok(Request::Run(None)));
        assert_eq!(parse_args(args(&["-h"])), Ok(Request::Help));
        assert_eq!(parse_args(args(&["x:1", "--help"])), Ok(Request::Help));
        assert_eq!(parse_args(args(&["[::1]:7"])), Ok(Request::Run(Some(hp("[::1]:7")))));
        assert!(parse_args(args(&["--verbose"])).is_err());
        assert!(parse_args(args(&["a:1", "b:2"])).is_err());
        assert!(parse_args(args(&["abc"])).is_err());
    }

    #[test]
    fn or_fail_puts_the_context_before_the_os_reason() {
        let error = io::Error::new(io::ErrorKind::ConnectionRefused, "Connection refused");
        let failed: Result<(), Stop> = Err(error).or_fail(|| "无法连接 127.0.0.1:8080");
        assert_eq!(failed, Err(Stop::Failed("无法连接 127.0.0.1:8080: Connection refused".into())));
    }

    #[test]
    fn a_busy_port_also_says_what_to_do() {
        let error = io::Error::new(io::ErrorKind::AddrInUse, "Address already in use");
        let failed: Result<(), Stop> = Err(error).or_fail(|| "无法绑定 127.0.0.1:8080");
        let Err(Stop::Failed(message)) = failed else {
            panic!("not a failure: {failed:?}"); // test: the assertion itself
        };
        assert!(
            message.starts_with("无法绑定 127.0.0.1:8080: Address already in use\n  端口已被占用"),
            "{message}"
        );
        assert!(message.contains("127.0.0.1:0"), "{message}");
    }

    #[test]
    fn a_refused_connection_names_the_program_to_start() {
        let refused = connect_each(&hp("127.0.0.1:9"), "hello-server", |_| -> io::Result<()> {
            Err(io::Error::from(io::ErrorKind::ConnectionRefused))
        });
        let Err(Stop::Failed(message)) = refused else {
            panic!("connected to nothing"); // test: the assertion itself
        };
        assert!(message.starts_with("无法连接 127.0.0.1:9: "), "{message}");
        assert!(message.contains("请先启动 hello-server"), "{message}");
    }

    #[test]
    fn names_resolve_ipv4_first_and_an_unknown_one_says_so_alone() {
        let addrs: Vec<SocketAddr> =
            hp("127.0.0.1:9").to_socket_addrs().into_iter().flatten().collect();
        assert_eq!(addrs[0].to_string(), "127.0.0.1:9");
        let bound = std::net::TcpListener::bind(hp("no-such-host.invalid:9"));
        let Err(Stop::Failed(message)) = bound.or_fail(|| "无法绑定 no-such-host.invalid:9")
        else {
            panic!("an .invalid name resolved"); // test: the assertion itself
        };
        assert!(message.starts_with("无法解析地址 no-such-host.invalid:9: "), "{message}");
    }
}
