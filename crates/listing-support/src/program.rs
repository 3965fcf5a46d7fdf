//! What the six programs share around their listing: the `[ADDR]`
//! argument and `--help`, [`Failure`] and exit codes, messages on stderr
//! ([`warn`]), connecting with a time limit ([`connect_each`]) and the
//! readiness line ([`listening_on`]). The conventions are written down in
//! crates/README.md, "Conventions".
//!
//! Exit codes: 0 done (also when whoever read stdout has gone), 1 a runtime
//! failure, 2 a usage error.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::net::{IpAddr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Duration;

use crate::builtins::{gethostname, leave_prompt_line, InputError, StdoutError};

/// Why a program stopped early.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Something failed at run time: the message says what and why (exit 1).
    Runtime(String),
    /// Whoever read our stdout has gone: end quietly (exit 0).
    StdoutClosed,
}

impl Failure {
    pub fn runtime(message: impl Into<String>) -> Self {
        Failure::Runtime(message.into())
    }

    /// `{context}: {the OS reason}`, as in
    /// `无法绑定 127.0.0.1:8080: Address already in use (os error 98)`.
    pub fn io(context: impl fmt::Display, error: &io::Error) -> Self {
        Failure::Runtime(format!("{context}: {error}{}", hint(error)))
    }
}

/// What to do about the errors a newcomer meets first, after the OS's
/// reason: nothing for the others.
fn hint(error: &io::Error) -> &'static str {
    match error.kind() {
        // Alternating the tutorial's Python server and ours on one port
        // meets this: the listing sets no SO_REUSEADDR, so after a server
        // that closed connections first stops, its port stays held for
        // about a minute (TIME_WAIT).
        io::ErrorKind::AddrInUse => {
            "。端口已被占用：多半是另一个终端里的服务器还在运行，先按 Ctrl-C 停掉它；如果刚停止的 \
             是教程的 Python 服务器（或刚停止的服务器之后要启动 Python 的），它关闭过的连接还会占着 \
             端口约一分钟。也可以换一个端口，例如 127.0.0.1:0 表示任选一个空闲端口 (the port is \
             taken: most likely a server still runs in another terminal, stop it with Ctrl-C; \
             after the tutorial's Python server the port stays held for about a minute; or pass \
             another port)"
        }
        _ => "",
    }
}

/// Print and the prompt of `input()` end the program quietly when stdout
/// has gone, as a closed pipe means nobody is reading.
impl From<StdoutError> for Failure {
    fn from(error: StdoutError) -> Self {
        if error.is_closed() {
            Failure::StdoutClosed
        } else {
            Failure::runtime(error.to_string())
        }
    }
}

impl From<InputError> for Failure {
    fn from(error: InputError) -> Self {
        match error {
            InputError::Prompt(error) => error.into(),
            InputError::Stdin(_) => Failure::runtime(error.to_string()),
        }
    }
}

/// Context for an `io::Error` in one short call:
/// `TcpListener::bind(..).or_fail(|| format!("无法绑定 {addr}"))?` fails
/// with `无法绑定 127.0.0.1:8080: Address already in use (os error 98)`.
pub trait OrFail<T> {
    /// The error, if any, as a [`Failure`] saying `{context}: {reason}`.
    fn or_fail<C: fmt::Display>(self, context: impl FnOnce() -> C) -> Result<T, Failure>;
}

impl<T> OrFail<T> for io::Result<T> {
    fn or_fail<C: fmt::Display>(self, context: impl FnOnce() -> C) -> Result<T, Failure> {
        self.map_err(|error| Failure::io(context(), &error))
    }
}

/// The listing's own address, used when the command line names none.
pub enum DefaultAddr {
    /// A fixed `host:port`, such as `127.0.0.1:8080`.
    Fixed(&'static str),
    /// `socket.gethostname()` with this port, as the chat listings do.
    Hostname { port: u16 },
}

/// A program's name and one line on what it does, for `--help` and its
/// messages: [`about!`](crate::about) takes both from the program's
/// Cargo.toml.
pub struct About {
    pub name: &'static str,
    pub description: &'static str,
}

/// The calling crate's [`About`], from its Cargo.toml (`name`,
/// `description`).
#[macro_export]
macro_rules! about {
    () => {
        $crate::program::About {
            name: env!("CARGO_PKG_NAME"),
            description: env!("CARGO_PKG_DESCRIPTION"),
        }
    };
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
            .or_fail(|| format!("无法解析地址 {self}"))?;
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

/// The keys that end typed input on this OS, for help texts and messages:
/// Ctrl-D on Linux and macOS; Ctrl-Z, then Enter, on Windows.
pub const END_OF_INPUT: &str = if cfg!(windows) {
    "Ctrl-Z 再按回车 (Ctrl-Z, then Enter)"
} else {
    "Ctrl-D"
};

/// The usage text, naming the default address and the keys that end input.
pub fn usage(about: &About, default_addr: &DefaultAddr) -> String {
    let default = match default_addr {
        DefaultAddr::Fixed(addr) => addr.to_string(),
        DefaultAddr::Hostname { port } => {
            let here = gethostname().unwrap_or_else(|_| "?".to_string());
            format!("本机主机名:{port}，同 socket.gethostname()；这台机器上是 {here}:{port}")
        }
    };
    format!(
        "{name}: {description}\n\n\
         用法 / usage: {name} [ADDR]\n\n\
         \x20 ADDR        写作 host:port (IPv6: [::1]:8080)\n\
         \x20             默认 / default: {default}\n\
         \x20 -h, --help  显示本帮助 / show this help\n\n\
         停止程序 / stop: Ctrl-C\n\
         读键盘的程序（客户端、聊天）结束输入 / end of typed input (clients, chat): {END_OF_INPUT}\n",
        name = about.name,
        description = about.description,
    )
}

/// The program's name, set once by [`main`], for [`warn`].
static NAME: OnceLock<&'static str> = OnceLock::new();

/// Runs a program: reads the command line, calls `run` with the address,
/// reports a failure on stderr and turns the outcome into an exit code.
pub fn main(
    about: About,
    default_addr: DefaultAddr,
    run: impl FnOnce(HostPort) -> Result<(), Failure>,
) -> ExitCode {
    let _ = NAME.set(about.name);
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let outcome = match parse_args(&args) {
        Ok(Request::Help) => {
            let _ = io::stdout().write_all(usage(&about, &default_addr).as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            warn(format!("{message}\n\n{}", usage(&about, &default_addr)));
            return ExitCode::from(2);
        }
        Ok(Request::Run(Some(addr))) => run(addr),
        Ok(Request::Run(None)) => default_host_port(&default_addr).and_then(run),
    };
    // Input ended at a prompt (Ctrl-D): the shell's prompt comes next and
    // must not be glued to ours.
    end_prompt_line();
    ExitCode::from(exit_code(outcome))
}

/// Reports a runtime failure on stderr; 0 for done (or stdout gone), 1 for
/// a failure.
fn exit_code(outcome: Result<(), Failure>) -> u8 {
    match outcome {
        Ok(()) | Err(Failure::StdoutClosed) => 0,
        Err(Failure::Runtime(message)) => {
            warn(message);
            1
        }
    }
}

/// Ends the program from a thread other than `main`'s, as [`main`] ends it
/// for the same failure.
pub fn exit(failure: Failure) -> ! {
    std::process::exit(exit_code(Err(failure)).into())
}

fn default_host_port(default_addr: &DefaultAddr) -> Result<HostPort, Failure> {
    match *default_addr {
        DefaultAddr::Fixed(addr) => HostPort::parse(addr).map_err(Failure::Runtime),
        DefaultAddr::Hostname { port } => match gethostname() {
            Ok(host) => Ok(HostPort { host, port }),
            Err(error) => Err(Failure::runtime(format!(
                "无法取得本机主机名 ({error})；请在命令行上指定地址，例如 127.0.0.1:{port}"
            ))),
        },
    }
}

/// Writes `{program}: {message}` as a line on stderr. stderr is where all
/// that the Rust adds goes, so stdout stays comparable with the listing's.
///
/// On a terminal where a prompt is showing (the chat's `read` thread
/// reports while `write` waits for a line), the message starts on a new
/// line instead of after the prompt. The newline goes to stderr too, so
/// stdout stays as it was.
pub fn warn(message: impl fmt::Display) {
    let name = NAME.get().copied().unwrap_or("listing-support");
    let mut stderr = io::stderr().lock();
    let new_line = if leave_prompt_line() && stderr.is_terminal() {
        "\n"
    } else {
        ""
    };
    // One write for the whole line: stderr is unbuffered, and a line
    // written in pieces could be split by another thread's output.
    let _ = stderr.write_all(format!("{new_line}{name}: {message}\n").as_bytes());
}

/// Ends the line of a prompt still showing on a terminal (input ended
/// there), on stderr, so that what comes next starts on a line of its own.
pub fn end_prompt_line() {
    let mut stderr = io::stderr().lock();
    if leave_prompt_line() && stderr.is_terminal() {
        let _ = stderr.write_all(b"\n");
    }
}

/// Whether a read ended because its time-out passed (`WouldBlock` on
/// Unix, `TimedOut` on Windows).
pub fn timed_out(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// How long one connection attempt may take before the client gives up on
/// that address (the OS alone waits about two minutes).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Calls `connect` on each address `host_port` resolved to, in turn, until
/// one connects: what `TcpStream::connect` does over a list, with the
/// client's own call (`TcpStream::connect_timeout`) in the program's code.
/// The failure names the address that failed last; a refused connection
/// says which program to start first (`partner`), and `when_busy`, what
/// else a refusal can mean for that partner (empty: nothing).
pub fn connect_each<T>(
    host_port: &HostPort,
    addrs: &[SocketAddr],
    partner: &str,
    when_busy: &str,
    mut connect: impl FnMut(&SocketAddr) -> io::Result<T>,
) -> Result<T, Failure> {
    let mut last = None;
    for addr in addrs {
        match connect(addr) {
            Ok(connected) => return Ok(connected),
            Err(error) => last = Some((addr, error)),
        }
    }
    let Some((addr, error)) = last else {
        return Err(Failure::runtime(format!(
            "无法连接 {host_port}: 没有可用的地址"
        )));
    };
    // A name is shown with the address it resolved to.
    let shown = if host_port.host.parse::<IpAddr>().is_ok() {
        addr.to_string()
    } else {
        format!("{host_port} ({addr})")
    };
    Err(match error.kind() {
        io::ErrorKind::ConnectionRefused => Failure::runtime(format!(
            "无法连接 {shown}: {error}。请先启动 {partner} (start {partner} first){when_busy}"
        )),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Failure::runtime(format!(
            "无法连接 {shown}: {} 秒内没有应答，请检查地址和防火墙 \
             (no answer in {} s: check the address and any firewall)",
            CONNECT_TIMEOUT.as_secs(),
            CONNECT_TIMEOUT.as_secs(),
        )),
        _ => Failure::io(format_args!("无法连接 {shown}"), &error),
    })
}

/// The readiness line, `listening on {addr}`: the first line a server
/// writes on stderr, once its socket is bound, so that tests and demos know
/// where and when to connect. Takes what `local_addr()` returned, and
/// gives back the address.
pub fn listening_on(local_addr: io::Result<SocketAddr>) -> Result<SocketAddr, Failure> {
    let addr = local_addr.or_fail(|| "无法读取监听地址")?;
    // One write, as Python's print makes one: stderr is unbuffered.
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(format!("listening on {addr}\n").as_bytes());
    let _ = stderr.flush();
    Ok(addr)
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
    fn or_fail_puts_the_context_before_the_os_reason() {
        let error = io::Error::new(io::ErrorKind::ConnectionRefused, "Connection refused");
        let failed: Result<(), Failure> = Err(error).or_fail(|| "无法连接 127.0.0.1:8080");
        assert_eq!(
            failed,
            Err(Failure::runtime(
                "无法连接 127.0.0.1:8080: Connection refused"
            ))
        );
    }

    #[test]
    fn a_busy_port_also_says_what_to_do() {
        let error = io::Error::new(io::ErrorKind::AddrInUse, "Address already in use");
        let failed: Result<(), Failure> = Err(error).or_fail(|| "无法绑定 127.0.0.1:8080");
        let Err(Failure::Runtime(message)) = failed else {
            panic!("not a runtime failure: {failed:?}"); // test: the assertion itself
        };
        assert!(
            message.starts_with("无法绑定 127.0.0.1:8080: Address already in use。端口已被占用"),
            "{message}"
        );
        assert!(message.contains("127.0.0.1:0"), "{message}");
    }

    #[test]
    fn a_refused_connection_names_the_program_to_start() {
        let at = hp("127.0.0.1", 9);
        let addrs = at.resolve().unwrap(); // test: an IP resolves to itself
        let refused = connect_each(&at, &addrs, "hello-server", "", |_| -> io::Result<()> {
            Err(io::Error::from(io::ErrorKind::ConnectionRefused))
        });
        let Err(Failure::Runtime(message)) = refused else {
            panic!("connected to nothing"); // test: the assertion itself
        };
        assert!(message.starts_with("无法连接 127.0.0.1:9: "), "{message}");
        assert!(message.contains("请先启动 hello-server"), "{message}");
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
