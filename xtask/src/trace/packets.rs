//! `--packets`: tcpdump on loopback, filtered by the pairing's port, and
//! the packets drawn as a sequence diagram between the two programs: seq
//! and ack from 0 at each side's SYN (as Wireshark shows them), the
//! listing line whose system call sent each packet, the handshake and the
//! close labelled, and what it shows, quoting the tutorial; with `--lose`
//! (`lose.rs`) the dropped packet marked lost, and TCP's resend of it.

use std::process::Command;
use std::time::Duration;

use super::rows::{Place, Row};
use super::strace::preview;
use crate::compare::terminal::wrap_text;
use crate::harness::{self, find, Process, HANG_GUARD};
use crate::text::{pad, width};

/// How to get a capture where there is none (中文 / English).
pub const HOW_TO_CAPTURE: &str = "需要 tcpdump，并以 root 或带 CAP_NET_RAW 权限运行 / needs tcpdump, run as root or with CAP_NET_RAW: `apt-get install tcpdump`, then `sudo cargo xtask trace … --packets` (or `setcap cap_net_raw+ep $(command -v tcpdump)`)";

/// A running capture of one port on loopback.
pub struct Capture {
    process: Process,
    port: u16,
    /// The datagrams a UDP run has (a lost one has no reply).
    datagrams: usize,
}

impl Capture {
    /// Starts tcpdump on `lo` for `port` (tcp or udp); waits until it
    /// listens; with `lose`, has that data-carrying packet dropped.
    pub fn start(port: u16, udp: bool, lose: Option<u32>) -> Result<Capture, String> {
        let mut command = Command::new("tcpdump");
        let filter = format!("{} port {port}", if udp { "udp" } else { "tcp" });
        command.args(["-i", "lo", "-n", "-tt", "-l", "-x", "--immediate-mode"]);
        command.arg(filter);
        let process = Process::start(command).map_err(|error| {
            let why = if error.contains("os error 2") {
                "没有 tcpdump / tcpdump is not installed"
            } else {
                &error
            };
            format!("{why}; {HOW_TO_CAPTURE}")
        })?;
        let listening = process.wait_for("`listening on lo`", HANG_GUARD, |p| {
            find(&p.stderr, b"listening on").is_some()
        });
        if listening.is_err() {
            let said = process.stderr_text().replace('\n', " ");
            return Err(format!("tcpdump: {said}; {HOW_TO_CAPTURE}"));
        }
        if let Some(n) = lose {
            super::lose::drop_nth(port, udp, n)?;
        }
        Ok(Capture { process, port, datagrams: 2 - usize::from(udp && lose.is_some()) })
    }

    /// Stops the capture once the last packets are in; returns them.
    pub fn finish(mut self) -> Vec<Packet> {
        // tcpdump prints each packet as it sees it (--immediate-mode), but
        // a busy machine may hold it back: first wait (at most 5 s) for the
        // end the run must have had, a FIN from each side or a reset (TCP),
        // the datagrams (UDP) …
        let _ = self.process.wait_for("the close", Duration::from_secs(5), |p| {
            let text = String::from_utf8_lossy(&p.stdout);
            text.matches("Flags [F").count() >= 2
                || text.contains("Flags [R")
                || text.matches(": UDP, length").count() >= self.datagrams
        });
        // … then until nothing new has come for a moment (at most 3 s).
        for _ in 0..10 {
            let seen = self.process.printed(|p| p.stdout.len());
            let quiet = self
                .process
                .wait_for("more packets", Duration::from_millis(300), |p| p.stdout.len() > seen)
                .is_err();
            if quiet {
                break;
            }
        }
        harness::terminate(self.process.pid());
        let _ = self.process.wait_exit(HANG_GUARD);
        parse(&self.process.stdout_text(), self.port)
    }
}

/// One packet as tcpdump showed it.
#[derive(Debug, Clone)]
pub struct Packet {
    /// When, in seconds (`-tt`).
    pub time: f64,
    /// Sent by the side on the pairing's port (the server).
    pub from_server: bool,
    /// `SYN`, `SYN-ACK`, `ACK`, `PSH-ACK`, `FIN-ACK`, `RST`…, or `UDP`.
    pub kind: String,
    /// TCP's numbers, from 0 at each side's SYN.
    pub seq: Option<u32>,
    pub ack: Option<u32>,
    pub payload: Vec<u8>,
    /// The other side's port.
    pub peer_port: u32,
}

/// tcpdump's `-tt -x` lines (the time, then the packet in hex from its IP
/// header on) → packets.
pub fn parse(text: &str, port: u16) -> Vec<Packet> {
    let mut raw: Vec<(f64, Vec<u8>)> = Vec::new();
    let time = |line: &str| line.split(' ').next().and_then(|t| t.parse().ok()).unwrap_or(0.0);
    for line in text.lines() {
        match (line.trim_start().strip_prefix("0x"), raw.last_mut()) {
            (None, _) => raw.push((time(line), Vec::new())),
            (Some(hex), Some((_, bytes))) => {
                let hex = hex.split_once(':').map_or("", |(_, hex)| hex).replace(' ', "");
                let pairs = hex.as_bytes().chunks(2).map(std::str::from_utf8);
                bytes.extend(pairs.filter_map(|pair| u8::from_str_radix(pair.ok()?, 16).ok()));
            }
            (Some(_), None) => {}
        }
    }
    let mut packets: Vec<Packet> =
        raw.iter().filter_map(|(time, ip)| decode(*time, ip, port.into())).collect();
    // Each side numbers from its SYN's seq, 0 in the diagram.
    let syn = |server: bool| {
        packets.iter().find(|p| p.kind.starts_with("SYN") && p.from_server == server)?.seq
    };
    let isn = [syn(false).unwrap_or(0), syn(true).unwrap_or(0)];
    for packet in &mut packets {
        let side = usize::from(packet.from_server);
        packet.seq = packet.seq.map(|seq| seq.wrapping_sub(isn[side]));
        packet.ack = packet.ack.map(|ack| ack.wrapping_sub(isn[1 - side]));
    }
    packets
}

/// One IPv4 or IPv6 packet carrying TCP or UDP.
fn decode(time: f64, ip: &[u8], port: u32) -> Option<Packet> {
    let number = |at: usize, size: usize| {
        Some(ip.get(at..at + size)?.iter().fold(0, |n, &b| n << 8 | u32::from(b)))
    };
    // IPv4's header gives its own length; IPv6's is 40 bytes.
    let (at, protocol, end) = match ip.first()? >> 4 {
        4 => (usize::from(ip[0] & 0xf) * 4, number(9, 1)?, number(2, 2)?),
        _ => (40, number(6, 1)?, number(4, 2)? + 40),
    };
    let (source, target) = (number(at, 2)?, number(at + 2, 2)?);
    // TCP's flag bits as names (`SYN-ACK`), and its header's length.
    let (kind, header) = match (protocol, number(at + 13, 1)) {
        (6, Some(flags)) => {
            let names = [(2, "SYN"), (1, "FIN"), (4, "RST"), (8, "PSH"), (16, "ACK")];
            let set = names.iter().filter(|(bit, _)| flags & bit != 0).map(|(_, name)| *name);
            (set.collect::<Vec<_>>().join("-"), (number(at + 12, 1)? as usize >> 4) * 4)
        }
        _ => ("UDP".to_string(), 8),
    };
    Some(Packet {
        time,
        from_server: source == port,
        seq: number(at + 4, 4).filter(|_| kind != "UDP"),
        ack: number(at + 8, 4).filter(|_| kind.contains("ACK")),
        kind,
        payload: ip.get(at + header..ip.len().min(end as usize)).unwrap_or_default().to_vec(),
        peer_port: if source == port { target } else { source },
    })
}

/// What a diagram shows besides the packets.
pub struct Scene<'a> {
    /// The client's name and the server's (on the pairing's port).
    pub names: [&'a str; 2],
    pub port: u16,
    /// The client's table and the server's, and whose calls (Rust's or
    /// Python's) sent the packets.
    pub tables: [&'a [Row]; 2],
    pub rust: bool,
    pub lose: Option<u32>,
}

/// The packets as a sequence diagram `columns` wide (60 to 100), the
/// client on the left, the server on the right, one arrow per packet.
pub fn diagram(packets: &[Packet], scene: &Scene, columns: usize) -> String {
    let span = columns.clamp(60, 100) - 3;
    let lane = |inside: String| format!(" │{}│\n", pad(&inside, span));
    // Text on the sender's side of the lanes, wrapped.
    let note = |text: &str, right: bool| -> String {
        let indent = |piece: &str| [3, (span - 3).saturating_sub(width(piece))][usize::from(right)];
        let pieces = wrap_text(text, span - 6).into_iter();
        pieces.map(|piece| lane(format!("{}{piece}", " ".repeat(indent(&piece))))).collect()
    };
    let left = format!("{} (:{})", scene.names[0], packets.first().map_or(0, |p| p.peer_port));
    let right = format!("{} (:{})", scene.names[1], scene.port);
    let mut out = format!(" {}{right}\n", pad(&left, span + 2 - width(&right).min(span)));
    if packets.is_empty() {
        out.push_str(" (没有抓到数据包 / no packets captured)\n");
    }
    let (lost, mut stage) = (scene.lose.and_then(|n| nth_data(packets, n)), 0);
    for (index, packet) in packets.iter().enumerate() {
        let (kind, right, first) = (&packet.kind, packet.from_server, resends(packets, index));
        // A line before the handshake, the data, the close.
        let (data, close) =
            (!packet.payload.is_empty(), kind.contains("FIN") || kind.contains("RST"));
        let next = [kind == "SYN", data && packet.seq.is_some(), close];
        let next = next.iter().position(|&starts| starts).map_or(0, |at| at + 1);
        if next > stage {
            let title =
                ["三次握手 / three-way handshake", "数据 / data", "关闭连接 / closing"][next - 1];
            let chars = span - (width(title) - title.chars().count());
            out.push_str(&lane(format!("{:┈^chars$}", format!(" {title} "))));
            stage = next;
        }
        // The arrow, its label at the sender's end; a lost one stops short.
        let lost = lost == Some(index);
        // Its label: the flags, the numbers, the length and the bytes.
        let seq = packet.seq.map_or(String::new(), |seq| format!(" seq {seq}"));
        let ack = packet.ack.map_or(String::new(), |ack| format!(" ack {ack}"));
        let (length, bytes) = (packet.payload.len(), preview(&packet.payload, 32, false));
        let carried = (length > 0 || kind == "UDP").then(|| format!(" len {length} {bytes}"));
        let label = format!("{kind}{seq}{ack}{}", carried.unwrap_or_default());
        let mut pieces = wrap_text(&label, span - if lost { 24 } else { 8 });
        let last = pieces.pop().unwrap_or_default();
        out.extend(pieces.iter().map(|piece| note(piece, right)));
        let fill = (span - 5).saturating_sub(width(&last));
        let (fill, short) = ("─".repeat(fill), "─".repeat(fill.saturating_sub(16)));
        out.push_str(&lane(match (right, lost) {
            (false, false) => format!("── {last} {fill}▶"),
            (false, true) => format!("── {last} {short}✗ 丢失 / lost"),
            (true, false) => format!("◀{fill} {last} ──"),
            (true, true) => format!("    丢失 / lost ✗{short} {last} ──"),
        }));
        // The call that sent it: the connect (SYN), the first send of these
        // bytes, the first shutdown or close (FIN); the kernel sends the
        // rest (SYN-ACK, ACKs, resends) on its own.
        let wanted = [(kind == "SYN", ".connect"), (close, ".close"), (data, ".send")];
        let wanted = wanted.iter().find(|w| w.0 && first.is_none()).map_or("", |w| w.1);
        let code = scene.tables[usize::from(right)]
            .iter()
            .filter(|r| matches!(r.place, Place::Code { .. }));
        let mut sent = code.flat_map(|row| {
            [&row.python, &row.rust][usize::from(scene.rust)].sent.iter().map(|s| (s, &row.title))
        });
        let same = |((call, bytes), _): &(&(&str, Vec<u8>), &Vec<String>)| {
            *call == wanted
                && packet.payload.starts_with(&bytes[..bytes.len().min(packet.payload.len())])
        };
        if let Some(((call, _), title)) = sent.find(same) {
            // The line of its group that names the call, else the group.
            let line = title.iter().find(|line| line.contains(call)).cloned();
            let line = line.unwrap_or_else(|| title.join("; "));
            let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
            let line = if right { format!("{line} ↑") } else { format!("↑ {line}") };
            out.push_str(&note(&line, right));
        }
        if let Some(first) = first {
            let (ms, seq) = (millis(packet.time - packets[first].time), packet.seq.unwrap_or(0));
            let resent = format!("重传 / retransmission: seq {seq}, {ms} ms 后 / later");
            out.push_str(&note(&resent, right));
        }
    }
    out
}

/// Where the `n`-th packet `--lose n` counts stands: TCP's segments with
/// PSH, UDP's datagrams.
fn nth_data(packets: &[Packet], n: u32) -> Option<usize> {
    let data =
        packets.iter().enumerate().filter(|(_, p)| p.kind.contains("PSH") || p.kind == "UDP");
    data.map(|(at, _)| at).nth(n as usize - 1)
}

/// The earlier packet that `packets[index]` sends again: bytes from the
/// same seq, from the same side.
fn resends(packets: &[Packet], index: usize) -> Option<usize> {
    let key = |p: &Packet| p.seq.filter(|_| !p.payload.is_empty()).map(|seq| (p.from_server, seq));
    let again = key(&packets[index])?;
    packets[..index].iter().position(|p| key(p) == Some(again))
}

/// Seconds as milliseconds, to 0.01 ms when short.
fn millis(seconds: f64) -> String {
    let ms = seconds * 1000.0;
    format!("{ms:.*}", if ms < 10.0 { 2 } else { 0 })
}

/// What a diagram shows, 中文 then English: `{n}` the packet `--lose`
/// dropped, `{ms}` and `{seq}` its resend.
const TCP: [&str; 2] = ["前三个包是三次握手（SYN、SYN-ACK、ACK），然后才有数据；seq 给字节编号，从 SYN 的 0 算起，ack 是希望收到的下一个编号。教程：“TCP协议会通过三次握手建立可靠连接。”", "The first three packets are the three-way handshake (SYN, SYN-ACK, ACK); only then does data flow. seq numbers the bytes from 0 at the SYN; ack is the number expected next. The tutorial: “TCP协议会通过三次握手建立可靠连接。” (TCP makes a reliable connection with a three-way handshake.)"];
const RESENT: [&str; 2] = ["nftables 丢掉了第 {n} 个带数据的包（丢失），{ms} ms 后发送方的内核用同一个 seq {seq} 重发了它（重传），程序什么也没做。{sack}教程：“然后需要对每个IP包进行编号,确保对方按顺序收到,如果包丢掉了,就自动重发。”", "nftables dropped data-carrying packet {n} (lost); {ms} ms later the sender's kernel sent it again with the same seq {seq} (retransmission), the program doing nothing.{sack} The tutorial: “然后需要对每个IP包进行编号,确保对方按顺序收到,如果包丢掉了,就自动重发。” (TCP numbers every packet so that they arrive in order, and resends a lost one.)"];
const SACK: [&str; 2] = ["后面的包先到了，对方的 ACK 报告了缺口（SACK），所以不用等 200 ms 的超时。", " A later packet got there first and the other side's ACK reported the gap (SACK): no waiting for the 200 ms timeout."];
const UDP: [&str; 2] = ["UDP 没有握手：第一个包就是数据，回复也只是一个数据报，没有编号，也没有确认。教程：“使用UDP协议无需建立连接,只需知道对方的IP地址和端口号,就可以直接发数据包。”", "UDP has no handshake: the first packet is the data, the reply one datagram, with no numbers and no acknowledgements. The tutorial: “使用UDP协议无需建立连接,只需知道对方的IP地址和端口号,就可以直接发数据包。” (no connection: the other side's address and port are enough.)"];
const UDP_LOST: [&str; 2] = ["nftables 丢掉了第 {n} 个数据报（丢失）：UDP 没有编号、没有确认，谁也不会重发，客户端等不到回复。教程：“但是数据无法保证一定到达。”", "nftables dropped datagram {n} (lost): UDP has no numbers and no acknowledgements, nobody sends it again, and the client gets no reply. The tutorial: “但是数据无法保证一定到达。” (the data is not sure to arrive.)"];
const NOTHING_LOST: [&str; 2] = [
    "这次运行没有第 {n} 个带数据的包，什么也没有丢。",
    "This run had no data-carrying packet {n}: nothing was lost.",
];

/// The paragraphs under a diagram, 中文 first: what it shows, and the
/// tutorial's own sentence it belongs to.
pub fn explain(packets: &[Packet], lose: Option<u32>) -> Vec<String> {
    let lost = lose.and_then(|n| nth_data(packets, n));
    let resend = (0..packets.len()).find(|&at| lost.is_some() && resends(packets, at) == lost);
    // TCP's handshake; UDP's datagrams, or the one lost.
    let udp = usize::from(packets.iter().any(|p| p.kind == "UDP"));
    let shows = [TCP, [UDP, UDP_LOST][usize::from(lost.is_some())]][udp];
    let nothing = (lose.is_some() && lost.is_none()).then_some(NOTHING_LOST);
    let parts = [Some(shows), nothing, resend.map(|_| RESENT)];
    let gap = resend.zip(lost).map_or(0.0, |(at, first)| packets[at].time - packets[first].time);
    let seq = resend.and_then(|at| packets[at].seq).unwrap_or(0);
    let values = &[lose.unwrap_or(0).to_string(), millis(gap), seq.to_string()];
    let text = |language: usize| {
        parts.iter().flatten().map(move |text| {
            let sack = if gap < 0.1 { SACK[language] } else { "" };
            let text = text[language].replace("{sack}", sack).replace("{n}", &values[0]);
            text.replace("{ms}", &values[1]).replace("{seq}", &values[2])
        })
    };
    text(0).chain(text(1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tcpdump's lines: a SYN, a SYN-ACK, `hi` (then sent again).
    const SAMPLE: &str = "1.0 IP 127.0.0.1.50000 > 127.0.0.1.8080: Flags [S], length 0
\t0x0000:  4500 003c 10d0 4000 4006 2bea 7f00 0001
\t0x0010:  7f00 0001 c350 1f90 91a3 ab31 0000 0000
\t0x0020:  a002 ffd7 fe30 0000 0204 ffd7 0402 080a
1.00002 IP 127.0.0.1.8080 > 127.0.0.1.50000: Flags [S.], length 0
\t0x0000:  4500 003c 0000 4000 4006 3cba 7f00 0001
\t0x0010:  7f00 0001 1f90 c350 0b9e 1964 91a3 ab32
\t0x0020:  a012 ffcb fe30 0000 0204 ffd7 0402 080a
1.0001 IP 127.0.0.1.50000 > 127.0.0.1.8080: Flags [P.], length 2
\t0x0000:  4500 0036 10d2 4000 4006 2bee 7f00 0001
\t0x0010:  7f00 0001 c350 1f90 91a3 ab32 0b9e 1965
\t0x0020:  8018 0040 fe2a 0000 0101 080a 2b2d f9e5
\t0x0030:  ca63 4a02 6869
";

    #[test]
    fn packets_are_numbered_from_the_syn_and_a_loss_and_its_resend_drawn() {
        let again = SAMPLE.lines().skip(8).map(|line| line.replace("1.0001", "1.2051") + "\n");
        let packets = parse(&(SAMPLE.to_string() + &again.collect::<String>()), 8080);
        let numbers: Vec<_> = packets.iter().map(|p| (p.kind.as_str(), p.seq, p.ack)).collect();
        let syn_ack = ("SYN-ACK", Some(0), Some(1));
        assert_eq!(numbers[..3], [("SYN", Some(0), None), syn_ack, ("PSH-ACK", Some(1), Some(1))]);
        assert_eq!((&packets[3].payload[..], packets[0].peer_port), (&b"hi"[..], 50000));
        let (names, tables) = (["c", "s"], [&[][..], &[]]);
        let drawn =
            diagram(&packets, &Scene { names, port: 8080, tables, rust: false, lose: Some(1) }, 80);
        let shown = ["── SYN seq 0 ─", "─✗ 丢失 / lost", "seq 1, 205 ms 后 / later"];
        assert!(shown.iter().all(|s| drawn.contains(s)), "{drawn}");
        assert!(drawn.lines().all(|line| width(line) <= 80), "{drawn}");
        assert!(explain(&packets, Some(1))[1].contains("205 ms 后发送方的内核用同一个 seq 1 重发"));
    }
}
