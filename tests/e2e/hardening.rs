//! Hostile input and misuse: nothing a user, the network or the OS can do
//! may reach a panic.

use std::path::Path;

use assert_cmd::Command as AssertCommand;
use predicates::prelude::*;

use crate::support::{bin, workspace_root, HANG_GUARD};

const PROGRAMS: [&str; 6] = [
    "hello-server",
    "tcp-client",
    "chat-server",
    "chat-client",
    "udp-server",
    "udp-client",
];

/// The non-test lines of a Rust source file: everything before its
/// `#[cfg(test)]` module.
fn shipped_lines(source: &str) -> impl Iterator<Item = (usize, &str)> {
    source
        .lines()
        .enumerate()
        .take_while(|(_, line)| line.trim() != "#[cfg(test)]")
        .map(|(index, line)| (index + 1, line))
}

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn shipped_code_has_no_unexplained_unwrap_expect_panic_or_unreachable() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    assert!(files.len() >= 7, "found only {files:?}");
    let mut offenders = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("read");
        for (number, line) in shipped_lines(&source) {
            let code = line.split("//").next().unwrap_or_default();
            let risky = ["unwrap(", "expect(", "panic!", "unreachable!"]
                .iter()
                .any(|word| code.contains(word));
            // Allowed only with a comment on the same line saying why.
            if risky && !line.contains("//") {
                offenders.push(format!("{}:{number}: {}", file.display(), line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "unexplained:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn every_binary_refuses_bad_arguments_with_usage_and_exit_2() {
    for program in PROGRAMS {
        for bad in [
            &["abc"][..],
            &["1.2.3.4:99999"],
            &["[::1"],
            &["--frob"],
            &["a:1", "b:2"],
        ] {
            AssertCommand::new(bin(program))
                .args(bad)
                .timeout(HANG_GUARD)
                .assert()
                .code(2)
                .stdout("")
                .stderr(predicate::str::contains(format!("usage: {program} [ADDR]")))
                .stderr(predicate::str::contains("panicked").not());
        }
        AssertCommand::new(bin(program))
            .arg("--help")
            .timeout(HANG_GUARD)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("usage: {program} [ADDR]")));
    }
}

#[test]
fn every_binary_names_an_address_that_does_not_resolve_and_exits_1() {
    for program in PROGRAMS {
        AssertCommand::new(bin(program))
            .arg("no-such-host.invalid:9")
            .write_stdin("25\n")
            .timeout(HANG_GUARD)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "无法解析地址 no-such-host.invalid:9",
            ))
            .stderr(predicate::str::contains("panicked").not());
    }
}
