//! `cargo xtask compare`: a crate's `// py:` annotations (each listing
//! line quoted just before the Rust that does its job; crates/README.md,
//! Conventions) shown as Python beside Rust: in the terminal, as
//! the crate README's line-by-line section (`--markdown`), or as offline
//! web pages (`--html`, in `page.rs`); and `--check`, which checks the
//! annotations of every crate.
//!
//! A group is a run of `// py:` lines and the Rust after them, up to the
//! next `// py:` line or the end of the enclosing top-level item (a line
//! starting with `}` in column 0, which is included).

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use crate::highlight::{lex_lines, Kind, Lang, Token};
use crate::paint::Paint;
use crate::width::{expand_tabs, pad, width, wrap_text, wrap_tokens};
use crate::workspace::root as workspace_root;
use crate::{out, TaskError};

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
cargo xtask compare [<crate>] --html [DIR]
cargo xtask compare --check [--listings DIR]
cargo xtask compare --update-readmes

把一个 crate 的 main.rs 和它对应的教程程序逐行对照：左边是 Python（取自 main.rs
里的 `// py:` 注释），右边是做同样事情的 Rust。宽度跟随终端（60 到 240 列）；
太窄时每组先列 Python，再列缩进的 Rust。长行在词与词之间折行，以 \u{21aa} 标出。
--html 写出离线网页（默认 target/compare/），--check 检查注释和 README 是否最新。

Shows a crate's main.rs beside the tutorial listing it mirrors, from its
`// py:` annotations: Python on the left, the Rust that does its job on the
right. Fitted to the terminal's width ($COLUMNS where set; 100 when not a
terminal; 60 to 240), stacked (each group's Python, then its Rust, indented)
where two columns would squeeze the Rust. Long lines wrap between tokens,
under their own indentation, marked with \u{21aa}. Colour on a terminal,
unless NO_COLOR is set.

--markdown prints the line-by-line section the crate's README holds: a
Python block and a Rust block per group.

--html writes one page per crate and an index into DIR (default
target/compare/), and prints the page to open. The pages work offline:
listing and Rust side by side, both highlighted, hovering or tapping a line
highlights its counterpart, with the README's differences beside them.

--check checks every crate: annotations present, each group followed by Rust
code or by a comment saying why there is none, and the README's section the
same as --markdown prints now. With --listings DIR (the tutorial's listings/
folder) it also checks that the quoted lines are the listing's lines, all of
them, in order.

--update-readmes writes each crate's section into its README, between the
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
        .ok_or_else(|| {
            TaskError::usage(format!(
                "未知的 crate / unknown crate {krate:?}: {}",
                crate::pairings::program_names()
            ))
        })
}

/// The groups of a crate, read from its `main.rs`.
pub fn groups_of(krate: &str) -> Result<Vec<Group>, TaskError> {
    listing_of(krate)?;
    Ok(parse(&read(&main_rs(krate))?))
}

/// The narrowest the terminal view gets, and the widest.
pub const MIN_COLUMNS: usize = 60;
pub const MAX_COLUMNS: usize = 240;

/// Below this many columns for the Rust beside the listing's widest line,
/// each group is stacked: its Python lines, then its Rust, indented.
const READABLE_RUST: usize = 44;

/// How far stacked Rust is indented under its Python.
const STACK_INDENT: &str = "    ";

/// Tokens in their terminal colours.
fn painted(paint: Paint, tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| paint.paint(ansi(t.kind), &t.text))
        .collect()
}

/// The terminal colour of each kind of token.
fn ansi(kind: Kind) -> &'static str {
    match kind {
        Kind::Plain => "",
        Kind::Keyword => "35",
        Kind::Builtin => "36",
        Kind::Type => "34",
        Kind::Str => "32",
        Kind::Comment => "2",
        Kind::Number => "33",
    }
}

/// The lines of each group, tabs expanded and highlighted.
pub struct Lexed {
    pub python: Vec<Vec<Vec<Token>>>,
    pub rust: Vec<Vec<Vec<Token>>>,
}

pub fn lex_groups(groups: &[Group]) -> Lexed {
    let expand =
        |lines: &[String]| -> Vec<String> { lines.iter().map(|l| expand_tabs(l, 4)).collect() };
    Lexed {
        python: groups
            .iter()
            .map(|g| lex_lines(&expand(&g.python), Lang::Python))
            .collect(),
        rust: groups
            .iter()
            .map(|g| lex_lines(&expand(&g.rust), Lang::Rust))
            .collect(),
    }
}

fn tokens_width(tokens: &[Token]) -> usize {
    tokens.iter().map(|t| width(&t.text)).sum()
}

/// Where the Python shown comes from: the `// py:` quotes, not a file.
fn python_source(krate: &str) -> String {
    let listing = listing_of(krate).unwrap_or("?");
    format!(
        "Python: 教程 {listing}，引自 main.rs 的 `// py:` 注释 \
         (the tutorial's {listing}, as main.rs's `// py:` lines quote it)"
    )
}

/// The terminal view, fitted to `total` display columns (kept within
/// 60..=240): Python | Rust in two columns where the listing's widest line
/// leaves room for readable Rust beside it, else each group stacked.
pub fn render_terminal(krate: &str, groups: &[Group], total: usize, paint: Paint) -> String {
    let total = total.clamp(MIN_COLUMNS, MAX_COLUMNS);
    let lexed = lex_groups(groups);
    let widest = lexed
        .python
        .iter()
        .flatten()
        .map(|l| tokens_width(l))
        .max()
        .unwrap_or(0);
    let listing = listing_of(krate).unwrap_or("?");
    let mut out = String::new();
    let prose = |out: &mut String, text: &str, code: &str| {
        for line in wrap_text(text, total) {
            out.push_str(&paint.paint(code, &line));
            out.push('\n');
        }
    };
    prose(&mut out, &format!("{krate} \u{21c4} {listing}"), "1");
    prose(&mut out, &python_source(krate), "");
    prose(&mut out, &format!("Rust:   crates/{krate}/src/main.rs"), "");
    let two_columns = widest + 3 + READABLE_RUST <= total;
    if two_columns {
        let left = widest.max(6);
        let right = total - left - 3;
        let rule = |cross: &str| {
            paint.paint(
                "2",
                &format!(
                    "{}\u{2500}{cross}\u{2500}{}",
                    "\u{2500}".repeat(left),
                    "\u{2500}".repeat(right)
                ),
            )
        };
        let _ = writeln!(out, "{}", rule("\u{252c}"));
        let _ = writeln!(
            out,
            "{} {} {}",
            paint.paint("1", &pad("Python", left)),
            paint.paint("2", "\u{2502}"),
            paint.paint("1", "Rust")
        );
        for (python, rust) in lexed.python.iter().zip(&lexed.rust) {
            let _ = writeln!(out, "{}", rule("\u{253c}"));
            let left_lines: Vec<Vec<Token>> =
                python.iter().flat_map(|l| wrap_tokens(l, left)).collect();
            let right_lines: Vec<Vec<Token>> =
                rust.iter().flat_map(|l| wrap_tokens(l, right)).collect();
            for row in 0..left_lines.len().max(right_lines.len()) {
                let l = left_lines.get(row).map_or(&[][..], Vec::as_slice);
                let r = right_lines.get(row).map_or(&[][..], Vec::as_slice);
                let line = format!(
                    "{}{} {} {}",
                    painted(paint, l),
                    " ".repeat(left.saturating_sub(tokens_width(l))),
                    paint.paint("2", "\u{2502}"),
                    painted(paint, r)
                );
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
    } else {
        prose(
            &mut out,
            "每组先列 Python，再列做同样事情的 Rust（缩进） \
             · each group: its Python lines, then their Rust, indented",
            "2",
        );
        let indent = width(STACK_INDENT);
        for (number, (python, rust)) in lexed.python.iter().zip(&lexed.rust).enumerate() {
            let label = format!("\u{2500}\u{2500} {} ", number + 1);
            let _ = writeln!(
                out,
                "{}",
                paint.paint(
                    "2",
                    &format!("{label}{}", "\u{2500}".repeat(total - width(&label)))
                )
            );
            for line in python.iter().flat_map(|l| wrap_tokens(l, total)) {
                let _ = writeln!(out, "{}", painted(paint, &line));
            }
            for line in rust.iter().flat_map(|l| wrap_tokens(l, total - indent)) {
                let text = format!("{STACK_INDENT}{}", painted(paint, &line));
                out.push_str(text.trim_end());
                out.push('\n');
            }
        }
    }
    out
}

/// The width of the terminal stdout writes to: COLUMNS where it is set,
/// else the terminal's own answer, else 100 (not a terminal, or no way to
/// ask); kept within 60..=240.
pub fn terminal_columns() -> usize {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    let columns = match from_env {
        Some(columns) => columns,
        None if std::io::stdout().is_terminal() => ask_terminal().unwrap_or(100),
        None => 100,
    };
    columns.clamp(MIN_COLUMNS, MAX_COLUMNS)
}

/// Asks the terminal its width. Interactive shells do not export COLUMNS,
/// so the answer comes from `stty size` or `tput cols` reading the
/// terminal itself (Unix), or from `mode con` (Windows).
fn ask_terminal() -> Option<usize> {
    use std::process::{Command, Stdio};
    let run = |program: &str, args: &[&str], tty: bool| -> Option<String> {
        let mut command = Command::new(program);
        command.args(args);
        if tty {
            // The tool asks the terminal on its stdin or stderr; stdout is
            // the pipe its answer comes back on.
            let terminal = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/tty")
                .ok()?;
            let stdin = terminal.try_clone().ok()?;
            crate::harness::answer_of(command, stdin.into(), terminal.into())
        } else {
            crate::harness::answer_of(command, Stdio::null(), Stdio::null())
        }
    };
    if cfg!(windows) {
        // `mode con`: lines, then columns (the labels are translated).
        return run("mode", &["con"], false).and_then(|text| nth_number(&text, 1));
    }
    // `stty size`: rows, then columns; `tput cols`: columns.
    run("stty", &["size"], true)
        .and_then(|text| nth_number(&text, 1))
        .or_else(|| run("tput", &["cols"], true).and_then(|text| nth_number(&text, 0)))
        .filter(|&columns| columns > 0)
}

/// The `n`th (0-based) whole number in a tool's answer.
fn nth_number(text: &str, n: usize) -> Option<usize> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter_map(|number| number.parse().ok())
        .nth(n)
}

/// The README's line-by-line view: for each group, its listing lines in a
/// Python block and its Rust in a Rust block, which GitHub highlights and a
/// phone shows without squeezing two columns.
pub fn render_markdown(_krate: &str, groups: &[Group]) -> String {
    let mut out = String::new();
    let mut quoted = 0;
    for (number, group) in groups.iter().enumerate() {
        let first = quoted + 1;
        quoted += group.python.len();
        let lines = if first == quoted {
            format!("清单第 {first} 行 / listing line {first}")
        } else {
            format!("清单第 {first}–{quoted} 行 / listing lines {first}–{quoted}")
        };
        let _ = writeln!(out, "**{}** · {lines}\n", number + 1);
        let python: Vec<String> = group.python.iter().map(|l| expand_tabs(l, 4)).collect();
        fenced(&mut out, "python", &python);
        fenced(&mut out, "rust", &group.rust);
    }
    out
}

/// A fenced code block, its fence longer than any run of backticks inside.
fn fenced(out: &mut String, lang: &str, lines: &[String]) {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}{lang}");
    for line in lines {
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(out, "{fence}\n");
}

/// A `file://` address for a path, to paste into a browser.
fn file_url(path: &Path) -> String {
    let text = path.display().to_string().replace('\\', "/");
    let text = text.strip_prefix("//?/").unwrap_or(&text);
    if text.starts_with('/') {
        format!("file://{text}")
    } else {
        format!("file:///{text}")
    }
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
                "{}\n\n## Line by line\n\nEach listing line or run of lines, then the Rust that does its job \
                 (`cargo xtask compare {krate}` shows the same in the terminal, `--html` as a page).\n\n\
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
    // `--html` and the folder it writes to, if one is given.
    let mut html: Option<Option<PathBuf>> = None;
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
            "--html" => {
                // The folder is optional: a following word that is not a
                // crate's name and not an option is it.
                let dir = rest
                    .clone()
                    .next()
                    .filter(|next| !next.starts_with('-') && listing_of(next).is_err());
                if dir.is_some() {
                    rest.next();
                }
                html = Some(dir.map(PathBuf::from));
            }
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
    if let Some(dir) = html {
        if markdown {
            return Err(TaskError::usage("--html and --markdown go separately"));
        }
        if let Some(name) = krate {
            listing_of(name)?;
        }
        let dir = dir.unwrap_or_else(crate::page::default_dir);
        let index = crate::page::write_pages(&dir)?;
        let open = match krate {
            Some(name) => dir.join(crate::page::page_name(name)),
            None => index,
        };
        let open = std::fs::canonicalize(&open).unwrap_or(open);
        out(&format!(
            "wrote {} pages and an index to {}\nopen: {}\n",
            PROGRAMS.len(),
            dir.display(),
            file_url(&open)
        ));
        return Ok(());
    }
    let krate = krate.ok_or_else(|| {
        TaskError::usage(format!(
            "要对照哪个 crate？/ which crate? ({}; or --check, --html)",
            crate::pairings::program_names()
        ))
    })?;
    let groups = groups_of(krate)?;
    if markdown {
        out(&render_markdown(krate, &groups));
    } else {
        out(&render_terminal(
            krate,
            &groups,
            terminal_columns(),
            Paint::detect(),
        ));
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
    fn markdown_has_a_python_and_a_rust_block_per_group() {
        let text = render_markdown("hello-server", &parse(SAMPLE));
        assert_eq!(text.matches("```python\n").count(), 3);
        assert_eq!(text.matches("```rust\n").count(), 3);
        assert!(text.contains(
            "**2** · 清单第 2–3 行 / listing lines 2–3\n\n```python\ns.bind(x)\ns.listen(5)\n```"
        ));
        let mut out = String::new();
        fenced(&mut out, "rust", &["/// ```".to_string()]);
        assert!(out.starts_with("````rust\n"), "{out}");
    }

    #[test]
    fn narrow_terminals_stack_each_group_and_wide_ones_show_two_columns() {
        // A listing line of 40 columns leaves too little beside it at 60.
        let source = SAMPLE.replace("s.listen(5)", "s.listen(5)  # 40 columns of listing line");
        let groups = parse(&source);
        let stacked = render_terminal("hello-server", &groups, 60, Paint::plain());
        assert!(!stacked.contains('\u{2502}'), "{stacked}");
        assert!(
            stacked.contains(
                "\ns.bind(x)\ns.listen(5)  # 40 columns of listing line\n    // std binds"
            ),
            "{stacked}"
        );
        let wide = render_terminal("hello-server", &groups, 100, Paint::plain());
        assert!(
            wide.contains("s.listen(5)  # 40 columns of listing line \u{2502} let s = bind();"),
            "{wide}"
        );
        for text in [&stacked, &wide] {
            assert!(text.contains("the tutorial's hello_server.py"), "{text}");
            assert!(!text.contains("listings/"), "{text}");
            assert!(!text.contains('\x1b'), "{text}");
        }
        let coloured = render_terminal("hello-server", &groups, 120, Paint::always());
        assert!(coloured.contains("\x1b[35mimport\x1b[0m"), "{coloured}");
    }

    #[test]
    fn the_terminal_s_answer_is_read_from_each_tool() {
        assert_eq!(nth_number("50 132\n", 1), Some(132));
        assert_eq!(nth_number("132\n", 0), Some(132));
        let mode_con = "\r\nStatus for device CON:\r\n----------------------\r\n    \
                        Lines:          9001\r\n    Columns:        120\r\n    \
                        Keyboard rate:  31\r\n";
        assert_eq!(nth_number(mode_con, 1), Some(120));
        let mode_con_zh = "\r\n设备状态 CON:\r\n---------\r\n    行:　　　　　　 9001\r\n    列:　　　　　　 100\r\n";
        assert_eq!(nth_number(mode_con_zh, 1), Some(100));
        assert_eq!(nth_number("", 0), None);
    }

    #[test]
    fn widths_outside_60_to_240_are_clamped() {
        let groups = parse(SAMPLE);
        let narrow = render_terminal("hello-server", &groups, 10, Paint::plain());
        assert!(narrow.lines().all(|l| width(l) <= MIN_COLUMNS));
        assert!(narrow.lines().any(|l| width(l) == MIN_COLUMNS));
        let wide = render_terminal("hello-server", &groups, 1000, Paint::plain());
        assert!(wide.lines().any(|l| width(l) == MAX_COLUMNS));
    }

    #[test]
    fn columns_fit_the_width() {
        let groups = parse(SAMPLE);
        let text = render_terminal("hello-server", &groups, 60, Paint::plain());
        for line in text.lines() {
            assert!(width(line) <= 60, "{line:?} is wider than 60");
        }
        assert!(text.contains("s.listen(5)"));
    }
}
