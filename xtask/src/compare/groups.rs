//! A crate's `// py:` groups: each run of `// py:` lines (the listing's
//! lines, quoted; crates/README.md, Conventions) with the Rust after it, up
//! to the next `// py:` line or the end of the enclosing top-level item (a
//! line starting with `}` in column 0, which is included). compare shows
//! them; trace names with them the listing line behind a system call.

use std::path::PathBuf;

use crate::pairings::{self, Program};
use crate::{workspace, TaskError};

/// One Python group and its Rust.
#[derive(Debug, PartialEq, Eq)]
pub struct Group {
    /// Line number (1-based) of the first `// py:` line, and of the group's
    /// last line in `main.rs`.
    pub line: usize,
    pub last: usize,
    pub python: Vec<String>,
    /// Its Rust, without blank lines at either end and the indentation
    /// all its lines share.
    pub rust: Vec<String>,
}

/// Reads the groups of a `main.rs`.
pub fn parse(source: &str) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    // Whether Rust lines still belong to the last group.
    let mut open = false;
    for (index, line) in source.lines().enumerate() {
        if let Some(quote) = line.trim_start().strip_prefix("// py:") {
            let quote = quote.strip_prefix(' ').unwrap_or(quote).to_string();
            match groups.last_mut() {
                Some(group) if open && group.rust.is_empty() => group.python.push(quote),
                _ => groups.push(Group {
                    line: index + 1,
                    last: index + 1,
                    python: vec![quote],
                    rust: Vec::new(),
                }),
            }
            open = true;
        } else if let Some(group) = groups.last_mut().filter(|_| open) {
            group.rust.push(line.to_string());
            group.last = index + 1;
            open = !line.starts_with('}');
        }
    }
    for group in &mut groups {
        let lines = &mut group.rust;
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        let blank = lines.iter().take_while(|l| l.trim().is_empty()).count();
        lines.drain(..blank);
        let text = lines.iter().filter(|l| !l.trim().is_empty());
        let indent = text.map(|l| l.len() - l.trim_start().len()).min();
        for line in lines.iter_mut() {
            *line = line.get(indent.unwrap_or(0)..).unwrap_or("").to_string();
        }
    }
    groups
}

/// The program called `krate`, or a usage error naming the six.
pub fn program(krate: &str) -> Result<&'static Program, TaskError> {
    pairings::program(krate).ok_or_else(|| {
        let names = pairings::program_names();
        TaskError::usage(format!("未知的 crate / unknown crate {krate:?}: {names}"))
    })
}

/// The crate's `main.rs`.
pub fn main_rs(krate: &str) -> PathBuf {
    workspace::root().join(format!("crates/{krate}/src/main.rs"))
}

/// The groups of a crate, read from its `main.rs`.
pub fn groups_of(krate: &str) -> Result<Vec<Group>, TaskError> {
    program(krate)?;
    Ok(parse(&workspace::read(&main_rs(krate))?))
}

#[cfg(test)]
pub const SAMPLE: &str = "//! header\n\
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_run_to_the_next_quote_or_the_end_of_the_item() {
        let groups = parse(SAMPLE);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].python, ["import socket"]);
        assert_eq!(groups[0].rust, ["use std::net::TcpListener;", "", "fn run() {"]);
        assert_eq!(groups[1].python, ["s.bind(x)", "s.listen(5)"]);
        assert_eq!((groups[1].line, groups[1].last), (6, 9));
        assert_eq!(groups[2].rust, ["    drop(s);", "}"]);
        assert_eq!((groups[2].line, groups[2].last), (10, 12));
    }
}
