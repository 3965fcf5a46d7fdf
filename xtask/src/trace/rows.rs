//! The rows of a program's table: which listing line made each call.
//!
//! Python: the line tracer (`line_tracer.py`) stats `/@py-line/<n>` before
//! each line of the peer runs, so a call belongs to the last marker of its
//! thread. Rust: `strace -k` gives each call's stack; `addr2line` turns the
//! frames into source lines, and the innermost one in the crate's `main.rs`
//! names the `// py:` group (as compare groups them) that made it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use super::strace::{self, sent_by, Call};
use crate::compare::groups::Group;
use crate::harness::{run_to_end, HANG_GUARD};
use crate::TaskError;

/// Where a row stands in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// Before the first listing line ran: start-up, loading.
    StartUp,
    /// A listing line: `after` is the group it is or follows, `kind` 0 the
    /// group itself, 1 a line only the test peer has, 2 Rust outside the
    /// groups; `line` orders lines of one kind.
    Code { after: Option<usize>, kind: u8, line: usize },
    /// Python after its last line (the interpreter ending).
    Exit,
    /// A call no line can be named for.
    Unattributed,
}

/// What one side did for one row.
#[derive(Debug, Default, Clone)]
pub struct Cell {
    /// The calls shown one by one, short form, in order.
    pub calls: Vec<String>,
    /// The other calls, counted by name.
    pub others: BTreeMap<String, usize>,
    /// The writes in a row to one fd that the last entry of `calls` stands
    /// for: the fd, how many, and the bytes they wrote.
    writes: Option<(String, usize, Vec<u8>)>,
    /// What the calls shown put on the wire, in order (`strace::sent_by`).
    pub sent: Vec<(&'static str, Vec<u8>)>,
}

impl Cell {
    fn add(&mut self, call: &Call, detailed: bool) {
        let Some(text) = strace::shown(call).filter(|_| detailed) else {
            *self.others.entry(call.name.clone()).or_default() += 1;
            self.writes = None;
            return;
        };
        self.sent.extend(sent_by(call));
        // Writes in a row to one fd that make up one line (written piece
        // by piece) are one entry: how many, and what they wrote in all.
        match (strace::written(call), self.writes.as_mut(), self.calls.last_mut()) {
            (Some((fd, bytes)), Some((last_fd, count, all)), Some(last))
                if fd == *last_fd && !all.ends_with(b"\n") =>
            {
                *count += 1;
                all.extend_from_slice(&bytes);
                let all_bytes = strace::preview(all, 32, false);
                *last = format!(
                    "write({fd}, …) ×{count} = {} 字节 / bytes in all {all_bytes}",
                    all.len()
                );
            }
            (written, ..) => {
                self.writes = written.map(|(fd, bytes)| (fd, 1, bytes));
                self.calls.push(text);
            }
        }
    }

    pub fn total(&self) -> usize {
        self.calls.len() + self.others.values().sum::<usize>()
    }

    /// The counted calls as one line, the most frequent first: `mmap 3, futex 2`.
    pub fn others_line(&self) -> String {
        let mut counted: Vec<(&String, &usize)> = self.others.iter().collect();
        counted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let counted = counted.iter().map(|(name, count)| format!("{name} {count}"));
        counted.collect::<Vec<_>>().join(", ")
    }
}

/// One row: the listing lines it stands for, and both sides' calls.
#[derive(Debug, Clone)]
pub struct Row {
    pub place: Place,
    pub title: Vec<String>,
    pub python: Cell,
    pub rust: Cell,
}

/// The row at `place`, added (titled by `title`) where there is none yet.
fn row(rows: &mut Vec<Row>, place: Place, title: impl FnOnce() -> Vec<String>) -> &mut Row {
    let index = rows.iter().position(|row| row.place == place).unwrap_or_else(|| {
        let (python, rust) = (Cell::default(), Cell::default());
        rows.push(Row { place, title: title(), python, rust });
        rows.len() - 1
    });
    &mut rows[index]
}

/// A row's title, as a summary or as its group's listing lines.
fn title_of(place: Place, groups: &[Group]) -> Vec<String> {
    let text = match place {
        Place::StartUp => "启动（第一行代码之前：加载、初始化） / start-up (before the first listing line: loading)",
        Place::Exit => "最后一行之后（解释器退出） / after the last line (the interpreter ending)",
        Place::Unattributed => "无法归属的调用 / calls that cannot be attributed",
        Place::Code { after, .. } => {
            return after.and_then(|index| groups.get(index)).map(|g| g.python.clone()).unwrap_or_default()
        }
    };
    vec![text.to_string()]
}

/// For each line of the Python peer (1-based), the group quoting it,
/// however tabs and spaces were normalised.
fn peer_groups(peer: &str, groups: &[Group]) -> Vec<Option<usize>> {
    let squeezed = |line: &str| line.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let quoted: Vec<Vec<String>> =
        groups.iter().map(|g| g.python.iter().map(|l| squeezed(l)).collect()).collect();
    let mut cursor = 0;
    let mut found = vec![None];
    for line in peer.lines().map(squeezed) {
        let order = (cursor..groups.len()).chain(0..cursor);
        // The peer takes its address from its argument where the listing
        // writes one: `s.bind(address(…))` is `s.bind((…))`,
        // `s.sendto(d,address(…))` is `s.sendto(d,(…))`.
        let hit = match line.split_once("address(") {
            _ if line.is_empty() => None,
            Some((call, _)) if call.ends_with(['(', ',']) => {
                order.clone().find(|&index| quoted[index].iter().any(|q| q.starts_with(call)))
            }
            Some(_) => None,
            None => order.clone().find(|&index| quoted[index].contains(&line)),
        };
        cursor = hit.unwrap_or(cursor);
        found.push(hit);
    }
    found
}

/// Adds the Python side's calls: each to the line its thread last marked.
pub fn add_python(rows: &mut Vec<Row>, calls: &[Call], peer: &str, groups: &[Group]) {
    let matched = peer_groups(peer, groups);
    let peer_lines: Vec<&str> = peer.lines().collect();
    // Per thread, the line it runs (0: it has left the program).
    let mut current: HashMap<u32, u32> = HashMap::new();
    for call in calls {
        if let Some(line) = call.marker {
            current.insert(call.pid, line);
            continue;
        }
        let place = match current.get(&call.pid) {
            _ if current.is_empty() => Place::StartUp,
            Some(0) => Place::Exit,
            Some(&line) => {
                let line = line as usize;
                match matched.get(line).copied().flatten() {
                    Some(group) => Place::Code { after: Some(group), kind: 0, line: 0 },
                    None => {
                        let after =
                            matched[..line.min(matched.len())].iter().rev().find_map(|g| *g);
                        Place::Code { after, kind: 1, line }
                    }
                }
            }
            None => Place::Unattributed,
        };
        let title = || match place {
            Place::Code { kind: 1, line, .. } => {
                let text = peer_lines.get(line.saturating_sub(1)).map_or("", |l| l.trim());
                vec![format!("{text}    ← 仅测试用的程序有这一行 / test peer only")]
            }
            _ => title_of(place, groups),
        };
        let detailed = matches!(place, Place::Code { .. } | Place::Unattributed);
        row(rows, place, title).python.add(call, detailed);
    }
}

/// The `main.rs` line each frame of the Rust program's calls stands on.
pub struct Lines {
    binary: String,
    pub main_rs: String,
    /// frame offset → the first `main.rs` line among its inlined frames.
    lines: HashMap<u64, Option<usize>>,
}

impl Lines {
    /// Resolves every frame in `binary` with one `addr2line` run.
    pub fn resolve(calls: &[Call], binary: &Path, krate: &str) -> Result<Lines, TaskError> {
        let name = binary.file_name().map(|n| n.to_string_lossy().into_owned());
        let binary_name = format!("/{}", name.unwrap_or_default());
        let main_rs = format!("crates/{krate}/src/main.rs");
        let frames = calls.iter().flat_map(|call| &call.stack);
        let mut offsets: Vec<u64> =
            frames.filter(|(file, _)| file.ends_with(&binary_name)).map(|f| f.1).collect();
        offsets.sort_unstable();
        offsets.dedup();
        let mut lines = HashMap::new();
        if !offsets.is_empty() {
            let elf = std::fs::read(binary).map_err(|error| {
                TaskError::failed(format!("cannot read {}: {error}", binary.display()))
            })?;
            let mut command = Command::new("addr2line");
            command.args(["-a", "-f", "-i", "-e"]).arg(binary);
            // A frame's offset is a return address: the call is the
            // instruction before it.
            let asked: Vec<(u64, u64)> = offsets
                .iter()
                .filter_map(|&offset| Some((address(&elf, offset.saturating_sub(1))?, offset)))
                .collect();
            command.args(asked.iter().map(|(address, _)| format!("{address:#x}")));
            let resolved = run_to_end(command, HANG_GUARD)?;
            if !resolved.status.success() {
                return Err(TaskError::failed(format!(
                    "addr2line failed ({}): {}\n(Debian: apt-get install binutils)",
                    resolved.status, resolved.stderr
                )));
            }
            let found = read_addr2line(&resolved.stdout, &main_rs);
            for (address, offset) in asked {
                lines.insert(offset, found.get(&address).copied().flatten());
            }
        }
        Ok(Lines { binary: binary_name, main_rs, lines })
    }

    /// The innermost `main.rs` line on a call's stack.
    fn line_of(&self, call: &Call) -> Option<usize> {
        let frames = call.stack.iter().filter(|(file, _)| file.ends_with(&self.binary));
        frames.filter_map(|(_, offset)| self.lines.get(offset).copied().flatten()).next()
    }
}

/// The address of a file `offset` in a 64-bit little-endian ELF file (what
/// strace -k runs on here): in the loaded segment that holds it.
fn address(elf: &[u8], offset: u64) -> Option<u64> {
    let word = |at: u64, size: usize| -> Option<u64> {
        let bytes = elf.get(usize::try_from(at).ok()?..)?.get(..size)?;
        Some(bytes.iter().rev().fold(0, |n, &b| n << 8 | u64::from(b)))
    };
    if elf.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 2, 1][..]) {
        return None;
    }
    let (table, entry, count) = (word(0x20, 8)?, word(0x36, 2)?, word(0x38, 2)?);
    (0..count).find_map(|index| {
        let at = table + index * entry;
        let (start, size) = (word(at + 8, 8)?, word(at + 32, 8)?);
        let loaded = word(at, 4)? == 1 && (start..start + size).contains(&offset);
        loaded.then(|| Some(offset - start + word(at + 16, 8)?)).flatten()
    })
}

/// `addr2line -a -f -i` output → for each address, the first line in
/// `main_rs` among its (inlined) frames, innermost first.
fn read_addr2line(output: &str, main_rs: &str) -> HashMap<u64, Option<usize>> {
    let mut found = HashMap::new();
    let mut current: Option<u64> = None;
    for line in output.lines() {
        if let Some(hex) = line.strip_prefix("0x") {
            current = u64::from_str_radix(hex, 16).ok();
            if let Some(address) = current {
                found.insert(address, None);
            }
        } else if let Some((_, number)) =
            line.rsplit_once(':').filter(|(file, _)| file.ends_with(main_rs))
        {
            let number = number.split_whitespace().next().and_then(|n| n.parse().ok());
            if let Some(slot @ None) = current.and_then(|address| found.get_mut(&address)) {
                *slot = number;
            }
        }
    }
    found
}

/// Adds the Rust side's calls: each to the group its `main.rs` line is in.
pub fn add_rust(
    rows: &mut Vec<Row>,
    calls: &[Call],
    lines: &Lines,
    source: &str,
    groups: &[Group],
) {
    let source_lines: Vec<&str> = source.lines().collect();
    let mut started = false;
    for call in calls {
        let line = lines.line_of(call);
        started |= line.is_some();
        let place = match line {
            _ if !started => Place::StartUp,
            None => Place::Unattributed,
            Some(line) => match groups.iter().position(|g| (g.line..=g.last).contains(&line)) {
                Some(group) => Place::Code { after: Some(group), kind: 0, line: 0 },
                None => {
                    Place::Code { after: groups.iter().rposition(|g| g.line < line), kind: 2, line }
                }
            },
        };
        let title = || match place {
            Place::Code { kind: 2, line, .. } => {
                let text = source_lines.get(line - 1).map_or("", |l| l.trim());
                vec![format!(
                    "main.rs:{line}: {text}    ← 在 `// py:` 组之外 / outside the `// py:` groups"
                )]
            }
            _ => title_of(place, groups),
        };
        let detailed = matches!(place, Place::Code { .. } | Place::Unattributed);
        row(rows, place, title).rust.add(call, detailed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::groups::parse;

    #[test]
    fn pieces_of_one_line_are_one_entry_and_lines_stay_apart() {
        let calls = strace::parse(
            "1 write(2<pipe:[1]>, \"listening \", 10) = 10\n\
             1 write(2<pipe:[1]>, \"on\\n\", 3) = 3\n\
             1 write(2<pipe:[1]>, \"next\\n\", 5) = 5\n",
        );
        let mut cell = Cell::default();
        for call in &calls {
            cell.add(call, true);
        }
        assert_eq!(cell.calls.len(), 2, "{:?}", cell.calls);
        assert!(cell.calls[0].starts_with("write(2, …) ×2 = 13"), "{:?}", cell.calls);
        assert_eq!(cell.calls[1], "write(2, 5) = 5 \"next\\n\"");
    }

    #[test]
    fn addr2line_output_names_the_first_main_rs_line() {
        let output =
            "0x0000000000022c4d\nstd::io::x\n/rust/library/std/src/io.rs:10\nhello_server::run\n\
                      /w/crates/hello-server/src/main.rs:55\n0x0000000000000010\n??\n??:0\n";
        let found = read_addr2line(output, "crates/hello-server/src/main.rs");
        assert_eq!(found.get(&0x22c4d), Some(&Some(55)));
        assert_eq!(found.get(&0x10), Some(&None));
    }

    #[test]
    fn peer_lines_find_their_group_whatever_the_spacing() {
        let groups = parse("// py: web.listen(5)\t\t#最多\nlet a = 1;\n");
        let matched = peer_groups("import x\nweb.listen(5)   #最多\n", &groups);
        assert_eq!(matched, [None, None, Some(0)]);
        let groups = parse("// py: s.bind(('127.0.0.1',8888))\nlet a = 1;\n");
        let matched = peer_groups("s.bind(address('127.0.0.1:8888'))\nh=address('x')\n", &groups);
        assert_eq!(matched, [None, Some(0), None]);
    }
}
