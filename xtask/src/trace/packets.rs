//! `--packets`: tcpdump on loopback, filtered by the pairing's port, and
//! the packets drawn as a sequence diagram between the two programs.

use std::process::Command;
use std::time::Duration;

use crate::text::{pad, width};

use super::strace::preview;
use crate::harness::{self, find, Process, HANG_GUARD};

/// How to get a capture where there is none (中文 / English).
pub const HOW_TO_CAPTURE: &str = "需要 tcpdump，并以 root 或带 CAP_NET_RAW 权限运行 / needs tcpdump, run as root or with CAP_NET_RAW: `apt-get install tcpdump`, then `sudo cargo xtask trace … --packets` (or `setcap cap_net_raw+ep $(command -v tcpdump)`)";

/// A running capture of one port on loopback.
pub struct Capture {
    process: Process,
    port: u16,
}

impl Capture {
    /// Starts tcpdump on `lo` for `port` (tcp or udp); waits until it listens.
    pub fn start(port: u16, udp: bool) -> Result<Capture, String> {
        let mut command = Command::new("tcpdump");
        let filter = format!("{} port {port}", if udp { "udp" } else { "tcp" });
        command.args(["-i", "lo", "-n", "-S", "-t", "-l", "-x", "--immediate-mode"]);
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
        Ok(Capture { process, port })
    }

    /// Stops the capture once the last packets are in; returns them.
    pub fn finish(mut self) -> Vec<Packet> {
        // tcpdump prints each packet as it sees it (--immediate-mode), but
        // a busy machine may hold it back: first wait (at most 5 s) for the
        // end the run must have had, a FIN from each side or a reset (TCP),
        // the datagram and its reply (UDP) …
        let _ = self.process.wait_for("the close", Duration::from_secs(5), |p| {
            let text = String::from_utf8_lossy(&p.stdout);
            text.matches("Flags [F").count() >= 2
                || text.contains("Flags [R")
                || text.matches(": UDP, length").count() >= 2
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
    /// Sent by the side on the pairing's port (the server).
    pub from_server: bool,
    /// `SYN`, `SYN-ACK`, `ACK`, `PSH-ACK`, `FIN-ACK`, `RST`…, or `UDP`.
    pub kind: String,
    pub seq: Option<String>,
    pub ack: Option<String>,
    pub length: usize,
    pub payload: Vec<u8>,
    /// The other side's port.
    pub peer_port: String,
}

/// tcpdump's `-t -n -S -x` lines → packets: each its header line, then
/// its bytes in hex, of which the last `length` are what it carried.
pub fn parse(text: &str, port: u16) -> Vec<Packet> {
    let mut packets: Vec<(Packet, Vec<u8>)> = Vec::new();
    for line in text.lines() {
        if let Some((_, hex)) = line.trim_start().strip_prefix("0x").and_then(|l| l.split_once(':'))
        {
            let digits: Vec<u8> = hex.bytes().filter(u8::is_ascii_hexdigit).collect();
            let bytes = digits
                .chunks(2)
                .filter_map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok());
            if let Some((_, raw)) = packets.last_mut() {
                raw.extend(bytes);
            }
            continue;
        }
        let rest = line.strip_prefix("IP ").or_else(|| line.strip_prefix("IP6 "));
        let Some((ends, details)) = rest.and_then(|rest| rest.split_once(": ")) else {
            continue;
        };
        let Some((source, target)) = ends.split_once(" > ") else {
            continue;
        };
        let from_server = source.ends_with(&format!(".{port}"));
        let peer = if from_server { target } else { source };
        let field = |name: &str| {
            details.split(", ").find_map(|part| part.strip_prefix(name)).map(str::to_string)
        };
        let length = field("length ").and_then(|l| l.split_whitespace().next()?.parse().ok());
        // tcpdump's flag letters as names: `S.` → `SYN-ACK`.
        let kind = match details.strip_prefix("Flags [").and_then(|f| f.split_once(']')) {
            Some((flags, _)) => {
                let names = [('S', "SYN"), ('F', "FIN"), ('R', "RST"), ('P', "PSH"), ('.', "ACK")];
                let names = names.iter().filter(|(letter, _)| flags.contains(*letter));
                names.map(|(_, name)| *name).collect::<Vec<_>>().join("-")
            }
            None => "UDP".to_string(),
        };
        packets.push((
            Packet {
                from_server,
                kind,
                seq: field("seq "),
                ack: field("ack "),
                length: length.unwrap_or(0),
                payload: Vec::new(),
                peer_port: peer.rsplit('.').next().unwrap_or("").to_string(),
            },
            Vec::new(),
        ));
    }
    let packets = packets.into_iter().map(|(mut packet, raw)| {
        packet.payload = raw[raw.len().saturating_sub(packet.length)..].to_vec();
        packet
    });
    packets.collect()
}

/// The packets as a sequence diagram: the client on the left, the server
/// on the right, one arrow per packet.
pub fn diagram(packets: &[Packet], client: &str, server: &str, port: u16) -> String {
    // What each arrow says: the flags, the numbers, the length and the bytes.
    let labels: Vec<String> = packets
        .iter()
        .map(|packet| {
            let seq = packet.seq.as_ref().map_or(String::new(), |seq| format!(" seq {seq}"));
            let ack = packet.ack.as_ref().map_or(String::new(), |ack| format!(" ack {ack}"));
            let carried = preview(&packet.payload, 20, false);
            let data = packet.length > 0 || packet.kind == "UDP";
            let data =
                if data { format!(" len {} {carried}", packet.length) } else { String::new() };
            format!("{}{seq}{ack}{data}", packet.kind)
        })
        .collect();
    // Every arrow as long as the longest label needs, so the lanes align.
    let span = labels.iter().map(|l| width(l) + 6).max().unwrap_or(0).max(56);
    let client_port = packets.first().map_or("?", |p| p.peer_port.as_str());
    let (left, right) = (format!("{client} (:{client_port})"), format!("{server} (:{port})"));
    let mut out = format!(" {}{right}\n", pad(&left, span + 2 - width(&right).min(span)));
    if packets.is_empty() {
        out.push_str(" (没有抓到数据包 / no packets captured)\n");
    }
    for (packet, label) in packets.iter().zip(&labels) {
        let fill = "─".repeat(span.saturating_sub(width(label) + 4));
        let arrow = match packet.from_server {
            true => format!("◀─ {label} {fill}"),
            false => format!("{fill} {label} ─▶"),
        };
        out.push_str(&format!(" │{arrow}│\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "IP 127.0.0.1.50000 > 127.0.0.1.8080: Flags [S], seq 100, win 65495, options [mss 65495], length 0
\t0x0000:  4500 003c 0000 4000 4006 0000 7f00 0001
IP 127.0.0.1.8080 > 127.0.0.1.50000: Flags [S.], seq 900, ack 101, win 65483, length 0
IP 127.0.0.1.50000 > 127.0.0.1.8080: Flags [P.], seq 101:103, ack 901, win 512, length 2
\t0x0000:  4500 0036 0000 4000 4006 0000 7f00 0001
\t0x0010:  6869
";

    #[test]
    fn packets_are_read_with_flags_numbers_and_bytes() {
        let packets = parse(SAMPLE, 8080);
        assert_eq!(packets.len(), 3);
        assert_eq!(packets[0].kind, "SYN");
        assert!(!packets[0].from_server);
        assert_eq!(packets[1].kind, "SYN-ACK");
        assert_eq!(packets[1].ack.as_deref(), Some("101"));
        assert_eq!(packets[2].kind, "PSH-ACK");
        assert_eq!(packets[2].payload, b"hi");
        let drawn = diagram(&packets, "client", "server", 8080);
        assert!(drawn.contains("SYN seq 100 ─▶"), "{drawn}");
        assert!(drawn.contains("◀─ SYN-ACK seq 900 ack 101 "), "{drawn}");
        assert!(drawn.contains("len 2 \"hi\""), "{drawn}");
    }
}
