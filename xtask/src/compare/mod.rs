//! `cargo xtask compare`: a crate's `// py:` groups (`groups.rs`) shown as
//! Python beside Rust, in the terminal (`terminal.rs`, colours from
//! `highlight.rs`), as the crate README's line-by-line section
//! (`--markdown`, here), or as offline pages (`--html`, `page.rs`); and
//! `--check`, which checks the annotations of every crate (here).

pub mod groups;
pub mod highlight;
pub mod page;
pub mod terminal;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::pairings::PROGRAMS;
use crate::text::expand_tabs;
use crate::text::Paint;
use crate::{out, workspace, Args, TaskError};
use groups::{groups_of, program, Group};

pub const HELP: &str = include_str!("../help/compare.txt");

/// Where a crate's README keeps its line-by-line section.
const TABLE_BEGIN: &str = "<!-- compare:begin (made by `cargo xtask compare --markdown`) -->";
const TABLE_END: &str = "<!-- compare:end -->";

pub fn run(args: &[String]) -> Result<(), TaskError> {
    let flags = ["--markdown", "--html", "--check", "--update-readmes"];
    let args = Args::parse(args, &flags, &["--listings"])?;
    if args.help {
        out(HELP);
        return Ok(());
    }
    let html = args.has("--html");
    // A crate's name, and (with --html) the folder.
    let (mut krate, mut dir) = (None, None);
    for word in &args.words {
        match program(word) {
            Ok(_) if krate.is_none() => krate = Some(*word),
            Err(_) if html && dir.is_none() => dir = Some(PathBuf::from(word)),
            Err(unknown) if krate.is_none() => return Err(unknown),
            _ => return Err(TaskError::usage(format!("多余的参数 / extra argument {word:?}"))),
        }
    }
    if args.has("--update-readmes") {
        return update_readmes();
    }
    if args.has("--check") {
        let listings = args.value("--listings").map(Path::new);
        let all = PROGRAMS.map(|program| problems(program.name, listings));
        let all = all.into_iter().collect::<Result<Vec<_>, _>>()?.concat();
        if all.is_empty() {
            out("compare --check: the annotations of all 6 crates are in order\n");
            return Ok(());
        }
        let found =
            format!("compare --check found {} problem(s):\n  {}", all.len(), all.join("\n  "));
        return Err(TaskError::failed(found));
    }
    if html {
        if args.has("--markdown") {
            return Err(TaskError::usage("--html and --markdown go separately"));
        }
        let dir = dir.unwrap_or_else(page::default_dir);
        let index = page::write_pages(&dir)?;
        let open = krate.map_or(index, |krate| dir.join(format!("{krate}.html")));
        let open = std::fs::canonicalize(&open).unwrap_or(open);
        // A `file://` address to paste into a browser.
        let path = open.display().to_string().replace('\\', "/");
        let path = path.strip_prefix("//?/").unwrap_or(&path);
        let slash = if path.starts_with('/') { "" } else { "/" };
        let pages = PROGRAMS.len();
        out(&format!(
            "wrote {pages} pages and an index to {}\nopen: file://{slash}{path}\n",
            dir.display()
        ));
        return Ok(());
    }
    let krate = krate.ok_or_else(|| {
        let names = crate::pairings::program_names();
        TaskError::usage(format!("要对照哪个 crate？/ which crate? ({names}; or --check, --html)"))
    })?;
    let groups = groups_of(krate)?;
    if args.has("--markdown") {
        out(&render_markdown(&groups));
    } else {
        let listing = program(krate)?.listing;
        let paint = Paint::detect();
        out(&terminal::render(krate, listing, &groups, terminal::columns(), paint));
    }
    Ok(())
}

/// The README's line-by-line view: for each group, its listing lines in a
/// Python block and its Rust in a Rust block, which GitHub highlights and a
/// phone shows without squeezing two columns.
pub fn render_markdown(groups: &[Group]) -> String {
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
        let python: Vec<String> = group.python.iter().map(|l| expand_tabs(l)).collect();
        for (lang, lines) in [("python", &python), ("rust", &group.rust)] {
            // The fence is longer than any run of backticks inside.
            let runs = lines.iter().flat_map(|l| l.split(|c| c != '`'));
            let fence = "`".repeat(runs.map(str::len).max().unwrap_or(0).max(2) + 1);
            let _ = writeln!(out, "{fence}{lang}");
            for line in lines {
                let _ = writeln!(out, "{}", line.trim_end());
            }
            let _ = writeln!(out, "{fence}\n");
        }
    }
    out
}

/// A crate's README: its path, and its text before, between and after the
/// markers of its line-by-line section (every crate's README has them).
fn readme(krate: &str) -> Result<(PathBuf, [String; 3]), TaskError> {
    let path = workspace::root().join(format!("crates/{krate}/README.md"));
    let text = workspace::read(&path)?;
    let (before, rest) = text.split_once(TABLE_BEGIN).unwrap_or((&text, ""));
    let Some((table, after)) = rest.split_once(TABLE_END) else {
        let markers = format!("`{TABLE_BEGIN}` … `{TABLE_END}`");
        return Err(TaskError::failed(format!("{}: no {markers}", path.display())));
    };
    Ok((path, [before, table, after].map(String::from)))
}

/// Problems with the annotations of one crate, as readable lines.
fn problems(krate: &str, listings: Option<&Path>) -> Result<Vec<String>, TaskError> {
    let groups = groups_of(krate)?;
    let file = format!("crates/{krate}/src/main.rs");
    let mut found = Vec::new();
    if groups.is_empty() {
        found.push(format!("{file}: no `// py:` annotations"));
    }
    for group in &groups {
        let code =
            |l: &String| !l.trim().is_empty() && !l.trim().chars().all(|c| "{}();".contains(c));
        if !group.rust.iter().any(code) {
            found.push(format!(
                "{file}:{}: `// py: {}` is followed by no Rust and no comment saying why",
                group.line, group.python[0]
            ));
        }
    }
    if readme(krate)?.1[1].trim_start_matches('\n') != render_markdown(&groups) {
        found.push(format!(
            "crates/{krate}/README.md: the compare table is out of date (run `cargo xtask compare --update-readmes`)"
        ));
    }
    if let Some(dir) = listings {
        let listing = dir.join(program(krate)?.listing);
        let source = workspace::read(&listing)?;
        let expected: Vec<&str> = source.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let quoted: Vec<&str> =
            groups.iter().flat_map(|g| g.python.iter().map(|l| l.trim())).collect();
        let differ = quoted.iter().zip(&expected).position(|(ours, theirs)| ours != theirs);
        if let Some(at) = differ {
            let (ours, theirs) = (quoted[at], expected[at]);
            found.push(format!(
                "{file}: quoted line {} is {ours:?}, the listing's is {theirs:?}",
                at + 1
            ));
        }
        if quoted.len() != expected.len() {
            let (ours, theirs) = (quoted.len(), expected.len());
            found.push(format!(
                "{file}: quotes {ours} lines, {} has {theirs} non-blank lines",
                listing.display()
            ));
        }
    }
    Ok(found)
}

/// Writes each crate's current section into its README, between the
/// markers.
fn update_readmes() -> Result<(), TaskError> {
    for program in PROGRAMS {
        let (path, [before, table, after]) = readme(program.name)?;
        let current = render_markdown(&groups_of(program.name)?);
        if table != format!("\n{current}") {
            workspace::write(
                &path,
                &format!("{before}{TABLE_BEGIN}\n{current}{TABLE_END}{after}"),
            )?;
            out(&format!("updated {}\n", path.display()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::groups::{parse, SAMPLE};
    use super::*;

    #[test]
    fn markdown_has_a_python_and_a_rust_block_per_group() {
        let text = render_markdown(&parse(SAMPLE));
        assert_eq!(text.matches("```python\n").count(), 3);
        assert_eq!(text.matches("```rust\n").count(), 3);
        assert!(text.contains(
            "**2** · 清单第 2–3 行 / listing lines 2–3\n\n```python\ns.bind(x)\ns.listen(5)\n```"
        ));
        let fenced = render_markdown(&parse("// py: x\n/// ```\n"));
        assert!(fenced.contains("````rust\n"), "{fenced}");
    }
}
