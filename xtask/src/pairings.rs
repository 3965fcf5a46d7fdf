//! The table of the pairings, which demo, trace, bench and the end-to-end
//! tests read: the six programs and the listings they mirror; the four
//! pairings of the tutorial, which programs talk in each and which side a
//! reader's own program may play; and each pairing's scripted session, the
//! lines typed and what each side must print. A typed line or a prompt is
//! written here, once.

use Role::{Client, Server};
use Step::{
    Connects, Ends, Exits, ExitsUnlikeTheListing, Get, Pause, Prints, Reply, Says, SendsLate,
    Start, Stopped, Types,
};

// What the programs print, as the listings print it.

/// hello-server's first stdout line.
pub const HELLO_BANNER: &str = "服务器等待客户端连接...\n";
/// The reply every hello server sends.
pub const HELLO_REPLY: &str = "HTTP/1.1 200 OK\r\n\r\nhello world";
/// tcp-client's prompt (no colon, as in its listing).
pub const TCP_PROMPT: &str = "请输入要发送的数据";
/// The chat programs' prompt.
pub const CHAT_PROMPT: &str = "请输入要发送的数据:";
/// What tcp-client and the chat programs print before a received message.
pub const RECEIVED: &str = "接收到的数据为: ";
/// chat-server's line once its one client is connected.
pub const CHAT_SERVER_CONNECTED: &str = "连接已经建立\n";
/// chat-client's line once it is connected.
pub const CHAT_CLIENT_CONNECTED: &str = "已连接\n";
/// The chat programs' note on stderr when the other side has gone.
pub const PEER_CLOSED: &str = "对方已关闭连接";
/// udp-client's prompt.
pub const UDP_PROMPT: &str = "请输入要转换的温度(单位:摄氏度):";
/// udp-server's first stdout line.
pub const UDP_BANNER: &str = "绑定UDP到8888端口\n";
/// What udp-server prints before the client's address (the tutorial's
/// spelling).
pub const FROM: &str = "Recrived from ";
/// What udp-server's reply starts with when it converted the input.
pub const CONVERTED: &str = "转换后的温度(单位:华氏温度):";
/// What udp-server's reply starts with when it could not.
pub const NOT_A_TEMPERATURE: &str = "无法把输入转换为温度: ";
/// What that reply ends with: what to type instead.
pub const TRY_A_NUMBER: &str = "。请输入一个数字，例如 37 (type a number, such as 37)";

/// A program and the tutorial listing it mirrors.
#[derive(Debug, PartialEq, Eq)]
pub struct Program {
    /// The crate and its binary.
    pub name: &'static str,
    /// The listing's file; the test peer that plays it in tests/peers/
    /// has the same name.
    pub listing: &'static str,
    /// What it shows, without a newline, before each line it reads.
    pub prompt: Option<&'static str>,
}

impl Program {
    const fn new(name: &'static str, listing: &'static str, prompt: Option<&'static str>) -> Self {
        Program { name, listing, prompt }
    }
}

pub const HELLO_SERVER: Program = Program::new("hello-server", "hello_server.py", None);
pub const TCP_CLIENT: Program = Program::new("tcp-client", "tcp_client.py", Some(TCP_PROMPT));
pub const CHAT_SERVER: Program = Program::new("chat-server", "chat_server.py", Some(CHAT_PROMPT));
pub const CHAT_CLIENT: Program = Program::new("chat-client", "chat_client.py", Some(CHAT_PROMPT));
pub const UDP_SERVER: Program = Program::new("udp-server", "udp_server.py", None);
pub const UDP_CLIENT: Program = Program::new("udp-client", "udp_client.py", Some(UDP_PROMPT));

/// The six programs, in the tutorial's order.
pub const PROGRAMS: [&Program; 6] =
    [&HELLO_SERVER, &TCP_CLIENT, &CHAT_SERVER, &CHAT_CLIENT, &UDP_SERVER, &UDP_CLIENT];

/// The program called `name`.
pub fn program(name: &str) -> Option<&'static Program> {
    PROGRAMS.into_iter().find(|program| program.name == name)
}

/// The names of the six programs, for messages.
pub fn program_names() -> String {
    PROGRAMS.map(|program| program.name).join(", ")
}

/// The two sides of a pairing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

impl Role {
    /// The side across: the client for the server, and the other way.
    pub fn other(self) -> Role {
        match self {
            Server => Client,
            Client => Server,
        }
    }
}

/// One step of a scripted session.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    /// The side starts: a server on a free port (ready once its readiness
    /// line is out), a client aimed at it.
    Start(Role),
    /// The side prints these pieces, one after the other, after what it
    /// printed before.
    Prints(Role, &'static [&'static str]),
    /// The side shows its prompt, and the script types this line.
    Types(Role, &'static str),
    /// The side shows its prompt, the script types this line, and the
    /// other side prints it as received (`接收到的数据为: <line>`).
    Says(Role, &'static str),
    /// The script sends an HTTP GET, as a browser does.
    Get,
    /// The script reads the reply to its GET: the listing's, byte for byte.
    Reply,
    /// A person's pause, in milliseconds, before the next step (a slow
    /// typist); only the further runs pause: the sessions type as soon as
    /// the prompt is there.
    Pause(u64),
    /// A client connects and says nothing yet: a person typing, or a
    /// browser's idle socket (the one before, if any, closes).
    Connects,
    /// That client sends this line, then reads the listing's reply.
    SendsLate(&'static str),
    /// The side ends, whatever its exit code, without hanging or flooding.
    Ends(Role),
    /// The side exits with this code.
    Exits(Role, i32),
    /// The side exits with this code; the listing's goes on (its
    /// `send_data == 0` never holds), and the script stops it.
    ExitsUnlikeTheListing(Role, i32),
    /// The side serves on, as the listing's does: the script stops it.
    Stopped(Role),
}

/// Further runs' names: a client with no server says so and ends; a chat
/// ends when the other side has gone.
const NO_SERVER: &str = "没有服务器时说明并结束，不卡住 / no server: it says so and ends";
const OTHER_SIDE_CLOSES: &str = "对方关闭后结束，不空转 / it ends when the other side has gone";

/// A pairing of the tutorial.
pub struct Pairing {
    pub name: &'static str,
    /// The tutorial's section.
    pub section: &'static str,
    pub server: &'static Program,
    /// The client program; `None` where the script is the client (an
    /// HTTP GET, as a browser).
    pub client: Option<&'static Program>,
    /// The sides a reader's own program may play against ours.
    pub reader: &'static [Role],
    /// The session, in runs that each start the programs afresh: the first
    /// is the tutorial's own use, the others go further.
    pub runs: &'static [&'static [Step]],
    /// How many of the runs, from the first, are the tutorial's own use,
    /// which the listing (its bugs fixed) passes; `cargo xtask check`
    /// counts them as its tutorial steps.
    pub tutorial: usize,
    /// What real use brings beyond them, for `cargo xtask check`: runs that
    /// the reader's program in one part must pass, each with its name.
    pub further: &'static [(Role, &'static str, &'static [Step])],
    /// What the demo says once the session went as scripted (中文 / English).
    pub done: &'static str,
}

impl Pairing {
    /// The program that plays `role`, if one does.
    pub fn program(&self, role: Role) -> Option<&'static Program> {
        match role {
            Server => Some(self.server),
            Client => self.client,
        }
    }

    /// Whether its programs talk in UDP datagrams (no connection).
    pub fn udp(&self) -> bool {
        self.server == &UDP_SERVER
    }
}

pub const HELLO: Pairing = Pairing {
    name: "hello",
    section: "TCP编程",
    server: &HELLO_SERVER,
    client: None,
    reader: &[Server],
    runs: &[&[
        Start(Server),
        Prints(Server, &[HELLO_BANNER]),
        Get,
        Prints(Server, &["b'GET / HTTP/1.1\\r\\n"]),
        Reply,
        Stopped(Server),
    ]],
    tutorial: 1,
    further: &[
        (
            Server,
            "打字慢的人不耽误别人 / a slow typist delays nobody",
            &[Start(Server), Connects, Get, Reply, Pause(3000), SendsLate("typed after 3 s")],
        ),
        // The same server on: a new one would find its port held (TIME_WAIT).
        (
            Server,
            "浏览器的空闲连接不挡住请求 / a browser's idle socket blocks no one",
            &[Connects, Get, Reply],
        ),
    ],
    done: "回复与教程程序的逐字节相同 / the reply was exactly the listing's",
};

pub const TCP: Pairing = Pairing {
    name: "tcp",
    section: "创建TCP客户端",
    server: &HELLO_SERVER,
    client: Some(&TCP_CLIENT),
    reader: &[Client],
    runs: &[&[
        Start(Server),
        Prints(Server, &[HELLO_BANNER]),
        Start(Client),
        Types(Client, "你好, hello-server"),
        // print(data): the line's bytes as Python shows them.
        Prints(Server, &["b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd, hello-server'\n"]),
        Prints(Client, &[RECEIVED, HELLO_REPLY, "\n"]),
        Exits(Client, 0),
        Stopped(Server),
    ]],
    tutorial: 1,
    further: &[
        (
            Client,
            "空行也得到回复 / an empty line still gets its reply",
            &[
                Start(Server),
                Start(Client),
                Types(Client, ""),
                Prints(Client, &[RECEIVED, HELLO_REPLY, "\n"]),
            ],
        ),
        (Client, NO_SERVER, &[Start(Client), Ends(Client)]),
    ],
    done: "tcp-client 以 0 退出 / tcp-client exited 0",
};

pub const CHAT: Pairing = Pairing {
    name: "chat",
    section: "执行TCP服务器和客户端",
    server: &CHAT_SERVER,
    client: Some(&CHAT_CLIENT),
    reader: &[Server, Client],
    runs: &[&[
        Start(Server),
        Start(Client),
        Prints(Server, &[CHAT_SERVER_CONNECTED]),
        Prints(Client, &[CHAT_CLIENT_CONNECTED]),
        Says(Server, "你好，客户端"),
        Says(Client, "hello, server"),
        Says(Server, "0"),
        ExitsUnlikeTheListing(Server, 0),
        Exits(Client, 0),
    ]],
    tutorial: 1,
    further: &[
        (
            Server,
            OTHER_SIDE_CLOSES,
            &[
                Start(Server),
                Start(Client),
                Prints(Client, &[CHAT_CLIENT_CONNECTED]),
                Says(Client, "0"),
                Ends(Server),
            ],
        ),
        (
            Client,
            OTHER_SIDE_CLOSES,
            &[
                Start(Server),
                Start(Client),
                Prints(Server, &[CHAT_SERVER_CONNECTED]),
                Says(Server, "0"),
                Ends(Client),
            ],
        ),
        (Client, NO_SERVER, &[Start(Client), Ends(Client)]),
    ],
    done: "两边都以 0 退出 / both sides exited 0",
};

/// One run of udp-server and udp-client (the server answers once), with
/// what the server prints between the typed line and the reply.
macro_rules! conversion {
    ($typed:literal, [$($server:expr),*], $reply:expr, $server_exits:literal) => {
        &[
            Start(Server),
            Prints(Server, &[UDP_BANNER]),
            Start(Client),
            Types(Client, $typed),
            $(Prints(Server, $server),)*
            Prints(Client, $reply),
            Exits(Client, 0),
            Exits(Server, $server_exits),
        ]
    };
}

pub const UDP: Pairing = Pairing {
    name: "udp",
    section: "UDP编程",
    server: &UDP_SERVER,
    client: Some(&UDP_CLIENT),
    reader: &[Server, Client],
    runs: &[
        conversion!("37", [&[FROM]], &[CONVERTED, "98.60000000000001\n"], 0),
        conversion!("-40", [&[FROM]], &[CONVERTED, "-40.0\n"], 0),
        conversion!("36.6", [&[FROM]], &[CONVERTED, "97.88000000000001\n"], 0),
        // Full-width, as Chinese input methods type: the listing rejects it.
        conversion!("３６．６", [&[FROM]], &[CONVERTED, "97.88000000000001\n"], 0),
        conversion!("abc", [], &[NOT_A_TEMPERATURE, "b'abc'", TRY_A_NUMBER, "\n"], 1),
    ],
    tutorial: 3,
    further: &[
        // Any answer will do: what the reader's server says is its own.
        (
            Server,
            "不是数字时回复，不崩溃 / no number: it answers",
            &[
                Start(Server),
                Prints(Server, &[UDP_BANNER]),
                Start(Client),
                Types(Client, "abc"),
                Exits(Client, 0),
            ],
        ),
        (Client, NO_SERVER, &[Start(Client), Types(Client, "37"), Ends(Client)]),
    ],
    done: "运行五次；客户端都以 0 退出，服务器 0、0、0、0 和 1（abc 不是温度）\n   \
           five runs; the clients exited 0, the servers 0, 0, 0, 0 and 1 (abc is no temperature)",
};

/// The four pairings, in the tutorial's order.
pub const PAIRINGS: [&Pairing; 4] = [&HELLO, &TCP, &CHAT, &UDP];

/// The pairing called `name`, or a usage error naming the four.
pub fn pairing(name: &str) -> Result<&'static Pairing, crate::TaskError> {
    let found = PAIRINGS.into_iter().find(|pairing| pairing.name == name);
    found.ok_or_else(|| {
        crate::TaskError::usage(format!(
            "未知的一对程序 / unknown pairing {name:?}: hello, tcp, chat, udp"
        ))
    })
}

/// The request of [`Step::Get`], near enough what a browser sends.
pub fn get_request(host: &str, agent: &str) -> String {
    format!("GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {agent}\r\n\r\n")
}

/// The line a run types, and what its side then prints, joined (the
/// bench's UDP conversion).
pub fn typed_and_printed(run: &[Step], role: Role) -> Option<(&'static str, String)> {
    let typed = run.iter().find_map(|step| match step {
        Types(side, line) if *side == role => Some(*line),
        _ => None,
    })?;
    let printed = run.iter().rev().find_map(|step| match step {
        Prints(side, pieces) if *side == role => Some(pieces.concat()),
        _ => None,
    })?;
    Some((typed, printed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_program_plays_in_a_pairing_and_prompts_before_it_types() {
        for program in PROGRAMS {
            let plays = PAIRINGS
                .iter()
                .any(|pairing| pairing.server == program || pairing.client == Some(program));
            assert!(plays, "{} plays in no pairing", program.name);
        }
        for pairing in PAIRINGS {
            for step in pairing.runs.iter().copied().flatten() {
                if let Types(role, _) | Says(role, _) = step {
                    let program = pairing.program(*role);
                    assert!(program.and_then(|p| p.prompt).is_some(), "{step:?}");
                }
            }
        }
        assert_eq!(
            typed_and_printed(UDP.runs[0], Client),
            Some(("37", "转换后的温度(单位:华氏温度):98.60000000000001\n".to_string()))
        );
    }
}
