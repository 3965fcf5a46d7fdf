//! Which listing line made each system call, and the table rows.
//!
//! Python: the line tracer stats `/@py-line/<n>` before each line of the
//! peer runs, so a call belongs to the last marker of its thread. Rust:
//! `strace -k` gives each call's stack; `addr2line` turns the frames into
//! source lines, and the innermost one in the crate's `main.rs` names the
//! `// py:` group (as `cargo xtask compare` groups them) that made it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use super::strace::{self, Call};
use crate::compare::groups::Group;
use crate::harness;
use crate::TaskError;

/// Where a row stands in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// Before the first listing line ran: start-up, loading.
    StartUp,
    /// A listing line: `after` is the group it is or follows (-1: none),
    /// `kind` 0 the group itself, 1 a line only the test peer has, 2 Rust
    /// outside the groups; `line` orders lines of the same kind.
    Code { after: i64, kind: u8, line: usize },
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
}

impl Cell {
    fn add(&mut self, call: &Call, detailed: bool) {
        let Some(text) = strace::shown(call).filter(|_| detailed) else {
            *self.others.entry(call.name.clone()).or_default() += 1;
            self.writes = None;
            return;
        };
        // Writes in a row to one fd that make up one line (written piece
        // by piece) are one entry: how many, and what they wrote in all.
        match (strace::written(call), self.writes.as_mut()) {
            (Some((fd, bytes)), Some((last_fd, count, all)))
                if fd == *last_fd && !all.ends_with(b"\n") =>
            {
                *count += 1;
                all.extend_from_slice(&bytes);
                let line = format!(
                    "write({fd}, …) ×{count} = {} 字节 / bytes in all {}",
                    all.len(),
                    strace::preview_bytes(all, false)
                );
                if let Some(last) = self.calls.last_mut() {
                    *last = line;
                }
            }
            (written, _) => {
                self.writes = written.map(|(fd, bytes)| (fd, 1, bytes));
                self.calls.push(text);
            }
        }
    }

    pub fn total(&self) -> usize {
        self.calls.len() + self.others.values().sum::<usize>()
    }

    /// The counted calls as one line: `mmap 3, futex 2`.
    pub fn others_line(&self) -> String {
        let mut counted: Vec<(&String, &usize)> = self.others.iter().collect();
        counted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        counted
            .iter()
            .map(|(name, count)| format!("{name} {count}"))
            .collect::<Vec<_>>()
            .join(", ")
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

/// The rows of one program's table.
pub struct Table {
    pub rows: Vec<Row>,
}

impl Table {
    pub fn new() -> Table {
        Table { rows: Vec::new() }
    }

    fn row(&mut self, place: Place, title: impl FnOnce() -> Vec<String>) -> &mut Row {
        let index = match self.rows.iter().position(|row| row.place == place) {
            Some(index) => index,
            None => {
                self.rows.push(Row {
                    place,
                    title: title(),
                    python: Cell::default(),
                    rust: Cell::default(),
                });
                self.rows.len() - 1
            }
        };
        &mut self.rows[index]
    }

    pub fn sort(&mut self) {
        self.rows.sort_by_key(|row| row.place);
    }
}

/// Row titles for the summary rows (中文 / English).
pub const START_UP: &str =
    "启动（第一行代码之前：加载、初始化） / start-up (before the first listing line: loading)";
pub const EXIT: &str = "最后一行之后（解释器退出） / after the last line (the interpreter ending)";
pub const UNATTRIBUTED: &str = "无法归属的调用 / calls that cannot be attributed";

fn title_of(place: Place, groups: &[Group]) -> Vec<String> {
    match place {
        Place::StartUp => vec![START_UP.to_string()],
        Place::Exit => vec![EXIT.to_string()],
        Place::Unattributed => vec![UNATTRIBUTED.to_string()],
        Place::Code { after, .. } => usize::try_from(after)
            .ok()
            .and_then(|index| groups.get(index))
            .map(|group| group.python.clone())
            .unwrap_or_default(),
    }
}

/// Text without its whitespace: listing lines match the peer's lines
/// however tabs and spaces were normalised.
fn squeezed(line: &str) -> String {
    line.chars().filter(|c| !c.is_whitespace()).collect()
}

/// For each line of the Python peer (1-based), the group quoting it.
fn peer_groups(peer: &str, groups: &[Group]) -> Vec<Option<usize>> {
    let quoted: Vec<Vec<String>> = groups
        .iter()
        .map(|group| group.python.iter().map(|l| squeezed(l)).collect())
        .collect();
    let mut cursor = 0;
    let mut found = vec![None];
    for line in peer.lines() {
        let line = squeezed(line);
        let order = (cursor..groups.len()).chain(0..cursor);
        let hit = if line.is_empty() {
            None
        } else if let Some(call) = line.split_once("address(").map(|(call, _)| call) {
            // The peer takes its address from its argument where the
            // listing writes one: `s.bind(address(…))` is `s.bind((…))`,
            // `s.sendto(d,address(…))` is `s.sendto(d,(…))`.
            order
                .filter(|_| call.ends_with('(') || call.ends_with(','))
                .find(|&index| quoted[index].iter().any(|q| q.starts_with(call)))
        } else {
            order.clone().find(|&index| quoted[index].contains(&line))
        };
        if let Some(index) = hit {
            cursor = index;
        }
        found.push(hit);
    }
    found
}

/// Adds the Python side's calls: each to the line its thread last marked.
pub fn add_python(table: &mut Table, calls: &[Call], peer: &str, groups: &[Group]) {
    let matched = peer_groups(peer, groups);
    let peer_lines: Vec<&str> = peer.lines().collect();
    // Per thread, the line it runs (0: it has left the program).
    let mut current: HashMap<u32, u32> = HashMap::new();
    let mut started = false;
    for call in calls {
        if let Some(line) = call.marker {
            started = true;
            current.insert(call.pid, line);
            continue;
        }
        let place = match current.get(&call.pid) {
            _ if !started => Place::StartUp,
            Some(0) => Place::Exit,
            Some(&line) => python_place(line as usize, &matched),
            None => Place::Unattributed,
        };
        let title = || match place {
            Place::Code { kind: 1, line, .. } => vec![format!(
                "{}    ← 仅测试用的程序有这一行 / test peer only",
                peer_lines
                    .get(line.saturating_sub(1))
                    .map_or("", |l| l.trim())
            )],
            _ => title_of(place, groups),
        };
        let detailed = matches!(place, Place::Code { .. } | Place::Unattributed);
        table.row(place, title).python.add(call, detailed);
    }
}

fn python_place(line: usize, matched: &[Option<usize>]) -> Place {
    match matched.get(line).copied().flatten() {
        Some(group) => Place::Code {
            after: group as i64,
            kind: 0,
            line: 0,
        },
        None => {
            let after = matched[..line.min(matched.len())]
                .iter()
                .rev()
                .find_map(|g| *g)
                .map_or(-1, |g| g as i64);
            Place::Code {
                after,
                kind: 1,
                line,
            }
        }
    }
}

/// The `main.rs` line each frame of the Rust program's calls stands on.
pub struct Lines {
    binary: String,
    main_rs: String,
    /// frame offset → the first `main.rs` line among its inlined frames.
    lines: HashMap<u64, Option<usize>>,
}

impl Lines {
    /// Resolves every frame in `binary` with one `addr2line` run.
    pub fn resolve(calls: &[Call], binary: &Path, krate: &str) -> Result<Lines, TaskError> {
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let main_rs = format!("crates/{krate}/src/main.rs");
        let mut offsets: Vec<u64> = calls
            .iter()
            .flat_map(|call| &call.stack)
            .filter(|(file, _)| file.ends_with(&format!("/{name}")))
            .map(|(_, offset)| *offset)
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let mut lines = HashMap::new();
        if !offsets.is_empty() {
            let bytes = std::fs::read(binary).map_err(|error| {
                TaskError::failed(format!("cannot read {}: {error}", binary.display()))
            })?;
            let segments = load_segments(&bytes);
            let mut command = std::process::Command::new("addr2line");
            command.args(["-a", "-f", "-i", "-e"]).arg(binary);
            let mut asked = Vec::new();
            for &offset in &offsets {
                // A frame's offset is a return address: the call is the
                // instruction before it.
                if let Some(address) = to_address(&segments, offset.saturating_sub(1)) {
                    command.arg(format!("{address:#x}"));
                    asked.push((address, offset));
                }
            }
            let resolved = harness::run_to_end(command, Duration::from_secs(60))?;
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
        Ok(Lines {
            binary: format!("/{name}"),
            main_rs,
            lines,
        })
    }

    /// The innermost `main.rs` line on a call's stack.
    fn line_of(&self, call: &Call) -> Option<usize> {
        call.stack
            .iter()
            .filter(|(file, _)| file.ends_with(&self.binary))
            .find_map(|(_, offset)| self.lines.get(offset).copied().flatten())
    }

    pub fn main_rs(&self) -> &str {
        &self.main_rs
    }
}

/// `(file offset, size, address)` of each loaded segment of an ELF file.
fn load_segments(elf: &[u8]) -> Vec<(u64, u64, u64)> {
    let word = |at: usize, size: usize| -> Option<u64> {
        let bytes = elf.get(at..at + size)?;
        let mut value = [0u8; 8];
        value[..size].copy_from_slice(bytes);
        Some(u64::from_le_bytes(value))
    };
    // 64-bit little-endian only (what strace -k runs on here).
    if elf.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 2, 1][..]) {
        return Vec::new();
    }
    let (Some(table), Some(entry), Some(count)) = (word(0x20, 8), word(0x36, 2), word(0x38, 2))
    else {
        return Vec::new();
    };
    (0..count)
        .filter_map(|index| {
            let at = usize::try_from(table + index * entry).ok()?;
            (word(at, 4)? == 1).then_some(())?;
            Some((word(at + 8, 8)?, word(at + 32, 8)?, word(at + 16, 8)?))
        })
        .collect()
}

fn to_address(segments: &[(u64, u64, u64)], offset: u64) -> Option<u64> {
    segments
        .iter()
        .find(|(start, size, _)| (*start..start + size).contains(&offset))
        .map(|(start, _, address)| offset - start + address)
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
            continue;
        }
        let Some(address) = current else { continue };
        let Some((file, number)) = line.rsplit_once(':') else {
            continue;
        };
        let number = number.split_whitespace().next().unwrap_or("");
        if file.ends_with(main_rs) {
            if let (Some(slot @ None), Ok(number)) = (found.get_mut(&address), number.parse()) {
                *slot = Some(number);
            }
        }
    }
    found
}

/// For each `main.rs` line (1-based), the group it belongs to, as
/// `cargo xtask compare` groups: from a group's first `// py:` line to the
/// next group or the end of the top-level item (a `}` in column 0).
fn main_rs_groups(source: &str, groups: &[Group]) -> Vec<Option<usize>> {
    let lines: Vec<&str> = source.lines().collect();
    let mut owner = vec![None; lines.len() + 2];
    for (index, group) in groups.iter().enumerate() {
        let next = groups.get(index + 1).map_or(lines.len() + 1, |g| g.line);
        let span = owner.iter_mut().enumerate().take(next).skip(group.line);
        for (number, slot) in span {
            *slot = Some(index);
            if lines.get(number - 1).is_some_and(|l| l.starts_with('}')) {
                break;
            }
        }
    }
    owner
}

/// Adds the Rust side's calls: each to the group its `main.rs` line is in.
pub fn add_rust(table: &mut Table, calls: &[Call], lines: &Lines, source: &str, groups: &[Group]) {
    let owner = main_rs_groups(source, groups);
    let source_lines: Vec<&str> = source.lines().collect();
    let mut started = false;
    for call in calls {
        let line = lines.line_of(call);
        started |= line.is_some();
        let place = match line {
            _ if !started => Place::StartUp,
            None => Place::Unattributed,
            Some(line) => match owner.get(line).copied().flatten() {
                Some(group) => Place::Code {
                    after: group as i64,
                    kind: 0,
                    line: 0,
                },
                None => Place::Code {
                    after: groups
                        .iter()
                        .rposition(|g| g.line < line)
                        .map_or(-1, |g| g as i64),
                    kind: 2,
                    line,
                },
            },
        };
        let title = || match place {
            Place::Code { kind: 2, line, .. } => vec![format!(
                "main.rs:{line}: {}    ← 在 `// py:` 组之外 / outside the `// py:` groups",
                source_lines.get(line - 1).map_or("", |l| l.trim())
            )],
            _ => title_of(place, groups),
        };
        let detailed = matches!(place, Place::Code { .. } | Place::Unattributed);
        table.row(place, title).rust.add(call, detailed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(
            cell.calls[0].starts_with("write(2, …) ×2 = 13"),
            "{:?}",
            cell.calls
        );
        assert_eq!(cell.calls[1], "write(2, 5) = 5 \"next\\n\"");
    }

    #[test]
    fn addr2line_output_names_the_first_main_rs_line() {
        let output = "0x0000000000022c4d\nstd::io::x\n/rust/library/std/src/io.rs:10\nhello_server::run\n/w/crates/hello-server/src/main.rs:55\n0x0000000000000010\n??\n??:0\n";
        let found = read_addr2line(output, "crates/hello-server/src/main.rs");
        assert_eq!(found.get(&0x22c4d), Some(&Some(55)));
        assert_eq!(found.get(&0x10), Some(&None));
    }

    #[test]
    fn main_rs_lines_belong_to_the_group_above_them_until_the_item_ends() {
        let source = "fn a() {\n    // py: x=1\n    let x = 1;\n    // py: y=2\n    let y = 2;\n}\nfn b() {}\n";
        let groups = crate::compare::groups::parse(source);
        let owner = main_rs_groups(source, &groups);
        assert_eq!(owner[1], None);
        assert_eq!(owner[3], Some(0));
        assert_eq!(owner[5], Some(1));
        assert_eq!(owner[6], Some(1));
        assert_eq!(owner[7], None);
    }

    #[test]
    fn peer_lines_find_their_group_whatever_the_spacing() {
        let groups = crate::compare::groups::parse("// py: web.listen(5)\t\t#最多\nlet a = 1;\n");
        let matched = peer_groups("import x\nweb.listen(5)   #最多\n", &groups);
        assert_eq!(matched, [None, None, Some(0)]);
        let groups =
            crate::compare::groups::parse("// py: s.bind(('127.0.0.1',8888))\nlet a = 1;\n");
        let matched = peer_groups(
            "s.bind(address('127.0.0.1:8888'))\nh=address('x')\n",
            &groups,
        );
        assert_eq!(matched, [None, Some(0), None]);
    }
}
