//! `cargo xtask compare`: a crate's `// py:` annotations (DESIGN §2) as two
//! columns, Python | Rust, in the terminal or as a markdown table; and
//! `--check`, which checks the annotations of every crate.
//!
//! A group is a run of `// py:` lines and the Rust after them, up to the
//! next `// py:` line or the end of the enclosing top-level item (a line
//! starting with `}` in column 0, which is included).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::width::{expand_tabs, pad, width, wrap};
use crate::{out, workspace_root, TaskError};

/// The six programs and the listing each mirrors.
pub const PROGRAMS: [(&str, &str); 6] = [
    ("hello-server", "hello_server.py"),
    ("tcp-client", "tcp_client.py"),
    ("chat-server", "chat_server.py"),
    ("chat-client", "chat_client.py"),
    ("udp-server", "udp_server.py"),
    ("udp-client", "udp_client.py"),
];

const MARKER: &str = "// py:";

pub const HELP: &str = "\
cargo xtask compare <crate> [--markdown]
cargo xtask compare --check [--listings DIR]
cargo xtask compare --update-readmes

Shows a crate's main.rs beside the tutorial listing it mirrors, from its
`// py:` annotations: Python on the left, the Rust that does its job on the
right. Fitted to $COLUMNS (else 100 columns); --markdown prints the table
that the crate's README holds.

--check checks every crate: annotations present, each group followed by Rust
code or by a comment saying why there is none, and the README's table the same
as --markdown prints now. With --listings DIR (the tutorial's listings/ folder)
it also checks that the quoted lines are the listing's lines, all of them, in
order.

--update-readmes writes each crate's table into its README, between the
markers `<!-- compare:begin … -->` and `<!-- compare:end -->`.

crates: hello-server tcp-client chat-server chat-client udp-server udp-client
";

/// One Python group and its Rust.
#[derive(Debug, PartialEq, Eq)]
pub struct Group {
    /// Line number (1-based) of the first `// py:` line.
    pub line: usize,
    pub python: Vec<String>,
    pub rust: Vec<String>,
}

/// Reads the groups of a `main.rs`.
pub fn parse(source: &str) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    // Whether Rust lines still belong to the last group.
    let mut open = false;
    for (index, line) in source.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(quote) = trimmed.strip_prefix(MARKER) {
            let quote = quote.strip_prefix(' ').unwrap_or(quote).to_string();
            match groups.last_mut() {
                Some(group) if open && group.rust.is_empty() => group.python.push(quote),
                _ => groups.push(Group {
                    line: index + 1,
                    python: vec![quote],
                    rust: Vec::new(),
                }),
            }
            open = true;
        } else if open {
            if let Some(group) = groups.last_mut() {
                group.rust.push(line.to_string());
            }
            if line.starts_with('}') {
                open = false;
            }
        }
    }
    for group in &mut groups {
        tidy(&mut group.rust);
    }
    groups
}

/// Drops blank lines at both ends and the indentation all lines share.
fn tidy(lines: &mut Vec<String>) {
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    while lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
    }
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    for line in lines.iter_mut() {
        *line = line.get(indent..).unwrap_or("").to_string();
    }
}

/// The crate's `main.rs`.
fn main_rs(krate: &str) -> PathBuf {
    workspace_root()
        .join("crates")
        .join(krate)
        .join("src/main.rs")
}

fn read(path: &Path) -> Result<String, TaskError> {
    std::fs::read_to_string(path)
        .map_err(|error| TaskError::failed(format!("cannot read {}: {error}", path.display())))
}

fn listing_of(krate: &str) -> Result<&'static str, TaskError> {
    PROGRAMS
        .iter()
        .find(|(name, _)| *name == krate)
        .map(|(_, listing)| *listing)
        .ok_or_else(|| TaskError::usage(format!("unknown crate {krate:?}")))
}

/// The groups of a crate, read from its `main.rs`.
pub fn groups_of(krate: &str) -> Result<Vec<Group>, TaskError> {
    listing_of(krate)?;
    Ok(parse(&read(&main_rs(krate))?))
}

/// Two columns fitted to `total` display columns.
pub fn render_columns(krate: &str, groups: &[Group], total: usize) -> String {
    let python: Vec<Vec<String>> = groups
        .iter()
        .map(|g| g.python.iter().map(|l| expand_tabs(l, 4)).collect())
        .collect();
    let widest = python.iter().flatten().map(|l| width(l)).max().unwrap_or(0);
    let total = total.max(40);
    let left = widest.clamp(16, total * 2 / 5);
    let right = total - left - 3;
    let listing = listing_of(krate).unwrap_or("?");
    let mut out = String::new();
    let rule = format!("{}─┼─{}\n", "─".repeat(left), "─".repeat(right));
    push_row(
        &mut out,
        &[format!("Python: listings/{listing}")],
        &[format!("Rust: crates/{krate}/src/main.rs")],
        left,
        right,
    );
    for (group, python) in groups.iter().zip(&python) {
        out.push_str(&rule);
        push_row(&mut out, python, &group.rust, left, right);
    }
    out
}

/// One table row: both sides wrapped to their widths, side by side.
fn push_row(out: &mut String, python: &[String], rust: &[String], left: usize, right: usize) {
    let left_lines: Vec<String> = python.iter().flat_map(|l| wrap(l, left)).collect();
    let right_lines: Vec<String> = rust
        .iter()
        .flat_map(|l| wrap(&expand_tabs(l, 4), right))
        .collect();
    for row in 0..left_lines.len().max(right_lines.len()) {
        let l = left_lines.get(row).map_or("", String::as_str);
        let r = right_lines.get(row).map_or("", String::as_str);
        let row = format!("{} │ {}", pad(l, left), r);
        out.push_str(row.trim_end());
        out.push('\n');
    }
}

/// A markdown table, one row per group.
pub fn render_markdown(krate: &str, groups: &[Group]) -> String {
    let listing = listing_of(krate).unwrap_or("?");
    let mut out = format!("| Python (`listings/{listing}`) | Rust (`src/main.rs`) |\n|---|---|\n");
    for group in groups {
        let _ = writeln!(
            out,
            "| {} | {} |",
            markdown_cell(&group.python),
            markdown_cell(&group.rust)
        );
    }
    out
}

/// Lines as inline HTML code, which keeps indentation and may hold `|`.
fn markdown_cell(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| {
            let mut cell = String::from("<code>");
            let line = expand_tabs(line, 4);
            let indent = line.len() - line.trim_start().len();
            cell.push_str(&"&nbsp;".repeat(indent));
            for ch in line.trim_start().chars() {
                match ch {
                    '&' => cell.push_str("&amp;"),
                    '<' => cell.push_str("&lt;"),
                    '>' => cell.push_str("&gt;"),
                    '|' => cell.push_str("&#124;"),
                    '`' => cell.push_str("&#96;"),
                    '*' => cell.push_str("&#42;"),
                    '_' => cell.push_str("&#95;"),
                    '\\' => cell.push_str("&#92;"),
                    ' ' if cell.ends_with(' ') => cell.push_str("&nbsp;"),
                    _ => cell.push(ch),
                }
            }
            cell.push_str("</code>");
            cell
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Where a crate's README keeps its table.
pub const TABLE_BEGIN: &str = "<!-- compare:begin (made by `cargo xtask compare --markdown`) -->";
pub const TABLE_END: &str = "<!-- compare:end -->";

/// The table in a crate's README, if it has one.
pub fn readme_table(krate: &str) -> Result<Option<String>, TaskError> {
    let readme = read(
        &workspace_root()
            .join("crates")
            .join(krate)
            .join("README.md"),
    )?;
    let Some((_, after)) = readme.split_once(TABLE_BEGIN) else {
        return Ok(None);
    };
    Ok(after
        .split_once(TABLE_END)
        .map(|(table, _)| table.trim_start_matches('\n').to_string()))
}

/// Problems with the annotations of one crate, as readable lines.
pub fn problems(krate: &str, listings: Option<&Path>) -> Result<Vec<String>, TaskError> {
    let groups = groups_of(krate)?;
    let file = format!("crates/{krate}/src/main.rs");
    let mut found = Vec::new();
    if groups.is_empty() {
        found.push(format!("{file}: no `// py:` annotations"));
    }
    for group in &groups {
        let has_body = group
            .rust
            .iter()
            .any(|l| !l.trim().is_empty() && !l.trim().chars().all(|c| "{}();".contains(c)));
        if !has_body {
            found.push(format!(
                "{file}:{}: `// py: {}` is followed by no Rust and no comment saying why",
                group.line, group.python[0]
            ));
        }
    }
    match readme_table(krate)? {
        None => found.push(format!("crates/{krate}/README.md: no compare table between the markers")),
        Some(table) if table != render_markdown(krate, &groups) => found.push(format!(
            "crates/{krate}/README.md: the compare table is out of date (run `cargo xtask compare --markdown {krate}`)"
        )),
        Some(_) => {}
    }
    if let Some(dir) = listings {
        let listing = dir.join(listing_of(krate)?);
        let source = read(&listing)?;
        let expected: Vec<&str> = source
            .lines()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect();
        let quoted: Vec<&str> = groups
            .iter()
            .flat_map(|g| g.python.iter().map(|l| l.trim()))
            .collect();
        for (index, (ours, theirs)) in quoted.iter().zip(&expected).enumerate() {
            if ours != theirs {
                found.push(format!(
                    "{file}: quoted line {} is {ours:?}, the listing's is {theirs:?}",
                    index + 1
                ));
                break;
            }
        }
        if quoted.len() != expected.len() {
            found.push(format!(
                "{file}: quotes {} lines, {} has {} non-blank lines",
                quoted.len(),
                listing.display(),
                expected.len()
            ));
        }
    }
    Ok(found)
}

/// Writes each crate's current table into its README, between the markers
/// (added at the end, under a heading, where there are none yet).
fn update_readmes() -> Result<(), TaskError> {
    for (krate, _) in PROGRAMS {
        let path = workspace_root()
            .join("crates")
            .join(krate)
            .join("README.md");
        let readme = read(&path)?;
        let table = render_markdown(krate, &groups_of(krate)?);
        let updated = match readme.split_once(TABLE_BEGIN) {
            Some((before, after)) => {
                let after = after.split_once(TABLE_END).map_or("\n", |(_, rest)| rest);
                format!("{before}{TABLE_BEGIN}\n{table}{TABLE_END}{after}")
            }
            None => format!(
                "{}\n\n## Line by line\n\nEach row: lines of the listing, and the Rust that does their job \
                 (`cargo xtask compare {krate}` shows the same in the terminal).\n\n\
                 {TABLE_BEGIN}\n{table}{TABLE_END}\n",
                readme.trim_end()
            ),
        };
        if updated != readme {
            std::fs::write(&path, updated).map_err(|error| {
                TaskError::failed(format!("cannot write {}: {error}", path.display()))
            })?;
            out(&format!("updated {}\n", path.display()));
        }
    }
    Ok(())
}

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let mut markdown = false;
    let mut check = false;
    let mut listings: Option<PathBuf> = None;
    let mut krate: Option<&str> = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                out(HELP);
                return Ok(());
            }
            "--markdown" => markdown = true,
            "--check" => check = true,
            "--update-readmes" => return update_readmes(),
            "--listings" => {
                let dir = rest
                    .next()
                    .ok_or_else(|| TaskError::usage("--listings needs a folder"))?;
                listings = Some(PathBuf::from(dir));
            }
            other if other.starts_with('-') => {
                return Err(TaskError::usage(format!("unknown option {other:?}")))
            }
            other if krate.is_none() => krate = Some(other),
            other => return Err(TaskError::usage(format!("extra argument {other:?}"))),
        }
    }
    if check {
        let mut all = Vec::new();
        for (name, _) in PROGRAMS {
            all.extend(problems(name, listings.as_deref())?);
        }
        if all.is_empty() {
            out(&format!(
                "compare --check: the annotations of all {} crates are in order\n",
                PROGRAMS.len()
            ));
            return Ok(());
        }
        return Err(TaskError::failed(format!(
            "compare --check found {} problem(s):\n  {}",
            all.len(),
            all.join("\n  ")
        )));
    }
    let krate = krate.ok_or_else(|| TaskError::usage("which crate? (or --check)"))?;
    let groups = groups_of(krate)?;
    if markdown {
        out(&render_markdown(krate, &groups));
    } else {
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(100);
        out(&render_columns(krate, &groups, columns));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "//! header\n\
        // py: import socket\n\
        use std::net::TcpListener;\n\
        \n\
        fn run() {\n\
        \x20   // py: s.bind(x)\n\
        \x20   // py: s.listen(5)\n\
        \x20   // std binds and listens in one call.\n\
        \x20   let s = bind();\n\
        \x20   // py: s.close()\n\
        \x20   drop(s);\n\
        }\n\
        \n\
        fn helper() {}\n";

    #[test]
    fn groups_run_to_the_next_quote_or_the_end_of_the_item() {
        let groups = parse(SAMPLE);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].python, ["import socket"]);
        assert_eq!(
            groups[0].rust,
            ["use std::net::TcpListener;", "", "fn run() {"]
        );
        assert_eq!(groups[1].python, ["s.bind(x)", "s.listen(5)"]);
        assert_eq!(groups[1].line, 6);
        assert_eq!(groups[2].rust, ["    drop(s);", "}"]);
    }

    #[test]
    fn markdown_cells_keep_indentation_and_escape_what_markdown_reads() {
        let cell = markdown_cell(&["  a | b_c".to_string(), "`x`".to_string()]);
        assert_eq!(
            cell,
            "<code>&nbsp;&nbsp;a &#124; b&#95;c</code><br><code>&#96;x&#96;</code>"
        );
    }

    #[test]
    fn columns_fit_the_width() {
        let groups = parse(SAMPLE);
        let text = render_columns("hello-server", &groups, 60);
        for line in text.lines() {
            assert!(width(line) <= 60, "{line:?} is wider than 60");
        }
        assert!(text.contains("s.listen(5)"));
    }
}
