//! Every README.md in the repository is bilingual by the rule written in
//! `crates/README.md` (Conventions): a title line, then `## 中文`, complete
//! on its own, then `## English`, saying the same, each with the same `###`
//! sections in the same order; a generated part (a crate's line-by-line
//! table) may follow both under its own `## ` heading.
//!
//! What is checked, for each README (fenced code blocks are skipped when
//! looking for headings):
//!
//! - one `## 中文` heading, and after it one `## English` heading; each part
//!   runs to the next `## ` heading;
//! - both parts have the same number of `###` sections;
//! - the Chinese part's text before its first `###`, and each Chinese
//!   section's heading and body, hold Chinese characters outside code
//!   (so a section left in English, or empty, fails);
//! - the sections correspond, in order, in two ways that a misplaced,
//!   missing or untranslated section breaks: each heading pair
//!   (Chinese, English) is one of the pairs in [`HEADINGS`] (a new section
//!   adds its pair there, which says in one place how each heading
//!   translates), and every command in a shell code block (```sh) of one
//!   section appears in a shell block of the other (its `# comment` may be
//!   translated), so a reader of either language is told the same commands.
//!
//! `checks_catch_what_they_claim` shows each check failing on a small
//! README made wrong on purpose.

use std::path::{Path, PathBuf};

use crate::support::workspace_root;

/// The `###` headings that translate each other: (中文, English).
const HEADINGS: &[(&str, &str)] = &[
    // README.md
    ("快速开始", "Quick start"),
    ("教程章节与程序", "Tutorial sections and programs"),
    ("两条命令", "The two commands"),
    ("更多工具", "More tools"),
    ("自己写一遍，再检查", "Write it yourself, then check"),
    ("目录结构", "Layout"),
    ("约定与参与", "Conventions and contributing"),
    // crates/<program>/README.md
    ("对应的教程程序", "What it mirrors"),
    ("怎样运行", "How to run it"),
    ("输入怎样结束", "How input ends"),
    ("退出码和时限", "Exit codes and time limits"),
    ("与教程的不同", "Differences from the tutorial"),
    // crates/README.md
    ("各个 crate", "The crates"),
    ("准备与平台", "Setup and platforms"),
    ("约定", "Conventions"),
    // tests/peers/README.md
    ("教程程序的对端", "Peers that are the listings"),
    ("其他对端", "The other peers"),
    ("测试怎样运行它们", "How the tests run them"),
    // xtask/README.md
    ("任务一览", "The tasks"),
    ("`cargo xtask demo`：演示", "`cargo xtask demo`"),
    ("`cargo xtask compare`：逐行对照", "`cargo xtask compare`"),
    ("`cargo xtask trace`：系统调用", "`cargo xtask trace`"),
    ("`cargo xtask check`：检查你的程序", "`cargo xtask check`"),
    ("`cargo xtask bench`：性能对比", "`cargo xtask bench`"),
    ("bench 的每一行", "The rows"),
    ("一次运行的结果", "One run"),
    ("怎样读这张表", "Reading it"),
    ("release 编译设置", "Release profile"),
    ("任务怎样启动程序", "How tasks run programs"),
    ("文件一览", "The files"),
];

#[test]
fn every_readme_is_chinese_first_then_english_with_matching_sections() {
    let root = workspace_root();
    let mut readmes = Vec::new();
    find_readmes(root, &mut readmes);
    readmes.sort();
    assert!(
        readmes.len() >= 8,
        "found only {} README.md files under {}",
        readmes.len(),
        root.display()
    );
    let mut problems = Vec::new();
    for path in &readmes {
        let text = std::fs::read_to_string(path).unwrap();
        let shown = path.strip_prefix(root).unwrap_or(path).display();
        problems.extend(check(&text).into_iter().map(|p| format!("{shown}: {p}")));
    }
    assert!(
        problems.is_empty(),
        "READMEs not bilingual by the rule in crates/README.md:\n{}",
        problems.join("\n")
    );
}

#[test]
fn checks_catch_what_they_claim() {
    let good = "# t\n\n## 中文\n\n简介。\n\n### 怎样运行\n\n运行它：\n\n```sh\ncargo run -p x   # 终端 1\n```\n\n\
                ### 与教程的不同\n\n| 教程程序 | 本程序 | 原因 |\n\n\
                ## English\n\nIntro.\n\n### How to run it\n\nRun it:\n\n```sh\ncargo run -p x   # terminal 1\n```\n\n\
                ### Differences from the tutorial\n\n| The listing | This program | Why |\n\n\
                ## 逐行对照 / Line by line\n\nanything\n";
    assert_eq!(check(good), Vec::<String>::new());
    let wrong = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        check(&good.replacen(from, to, 1))
    };
    // No Chinese part; parts in the wrong order.
    assert!(!wrong("## 中文", "## Chinese").is_empty());
    assert!(!check(
        &good
            .replace("## 中文", "## X")
            .replace("## English", "## 中文")
    )
    .is_empty());
    // A section left in English, or empty, in the Chinese part.
    assert!(!wrong("运行它：", "Run it:").is_empty());
    assert!(!wrong("\n\n| 教程程序 | 本程序 | 原因 |", "").is_empty());
    // A missing section; sections swapped; a command only in one language.
    assert!(!wrong("### 与教程的不同\n\n| 教程程序 | 本程序 | 原因 |\n\n", "").is_empty());
    assert!(!wrong("### 怎样运行", "### 与教程的不同").is_empty());
    assert!(!wrong("cargo run -p x   # terminal 1", "cargo run -p y").is_empty());
    // A `##` inside a code block is not a heading.
    assert_eq!(
        wrong(
            "```sh\ncargo run -p x   # 终端 1\n",
            "```sh\ncargo run -p x\n## English\n"
        ),
        Vec::<String>::new()
    );
}

/// README.md files under `dir`, skipping build output and hidden folders.
fn find_readmes(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                find_readmes(&path, found);
            }
        } else if name == "README.md" {
            found.push(path);
        }
    }
}

/// One `###` section: its heading, its prose (code removed) and the
/// commands of its shell blocks.
#[derive(Default)]
struct Section {
    heading: String,
    prose: String,
    commands: Vec<String>,
}

/// What is wrong with `text` by the rule; empty when nothing is.
fn check(text: &str) -> Vec<String> {
    let parts = parts(text);
    let (Some(chinese), Some(english)) = (find_part(&parts, "中文"), find_part(&parts, "English"))
    else {
        return vec!["needs a `## 中文` part and a `## English` part".to_string()];
    };
    if chinese.0 > english.0 {
        return vec!["`## 中文` must come before `## English`".to_string()];
    }
    let (chinese, english) = (chinese.1, english.1);
    let mut problems = Vec::new();
    if chinese.len() != english.len() {
        problems.push(format!(
            "`## 中文` has {} `###` sections, `## English` has {}: [{}] against [{}]",
            chinese.len() - 1,
            english.len() - 1,
            headings(chinese),
            headings(english)
        ));
    }
    // The text before the first `###` is section 0, with no heading.
    for (index, (zh, en)) in chinese.iter().zip(english).enumerate() {
        let name = if index == 0 {
            "the text before the first `###`".to_string()
        } else {
            format!(
                "section {index} (`### {}` / `### {}`)",
                zh.heading, en.heading
            )
        };
        if index > 0 && !has_chinese(&strip_code_spans(&zh.heading)) {
            problems.push(format!("{name}: the Chinese heading has no Chinese"));
        }
        if index > 0 && !HEADINGS.contains(&(zh.heading.as_str(), en.heading.as_str())) {
            problems.push(format!(
                "{name}: not a pair in tests/e2e/readmes.rs HEADINGS (a misplaced section, or a new pair to add there)"
            ));
        }
        let english_only = !en.prose.trim().is_empty() || !en.commands.is_empty();
        if (index > 0 || english_only) && !has_chinese(&zh.prose) {
            problems.push(format!(
                "{name}: the Chinese section is empty or has no Chinese outside code"
            ));
        }
        for (commands, other, language) in [
            (&zh.commands, &en.commands, "English"),
            (&en.commands, &zh.commands, "Chinese"),
        ] {
            for command in commands.iter().filter(|c| !other.contains(c)) {
                problems.push(format!(
                    "{name}: `{command}` is missing from the {language} section"
                ));
            }
        }
    }
    problems
}

/// The `## ` parts of `text`, each as its heading and its sections
/// (section 0 being the text before the first `###`).
fn parts(text: &str) -> Vec<(String, Vec<Section>)> {
    let mut parts: Vec<(String, Vec<Section>)> = Vec::new();
    let mut fence: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(info) = fence.as_ref() {
            if trimmed.starts_with("```") {
                fence = None;
            } else if let Some(section) = parts.last_mut().and_then(|p| p.1.last_mut()) {
                if matches!(info.as_str(), "sh" | "shell" | "bash" | "console") {
                    let command = line.split(" #").next().unwrap_or(line).trim();
                    if !command.is_empty() && !command.starts_with('#') {
                        section.commands.push(command.to_string());
                    }
                }
            }
            continue;
        }
        if let Some(info) = trimmed.strip_prefix("```") {
            fence = Some(info.trim().to_string());
        } else if let Some(heading) = line.strip_prefix("## ") {
            parts.push((heading.trim().to_string(), vec![Section::default()]));
        } else if let Some(heading) = line.strip_prefix("### ") {
            if let Some(part) = parts.last_mut() {
                part.1.push(Section {
                    heading: heading.trim().to_string(),
                    ..Section::default()
                });
            }
        } else if let Some(section) = parts.last_mut().and_then(|p| p.1.last_mut()) {
            section.prose.push_str(&strip_code_spans(line));
            section.prose.push('\n');
        }
    }
    parts
}

/// The one part whose heading is `heading`, with its position.
fn find_part<'a>(
    parts: &'a [(String, Vec<Section>)],
    heading: &str,
) -> Option<(usize, &'a Vec<Section>)> {
    let mut found = parts
        .iter()
        .enumerate()
        .filter(|(_, (h, _))| h == heading)
        .map(|(at, (_, sections))| (at, sections));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

fn headings(sections: &[Section]) -> String {
    sections[1..]
        .iter()
        .map(|s| s.heading.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `line` without its `code spans`, whose text is the same in both
/// languages.
fn strip_code_spans(line: &str) -> String {
    line.split('`').step_by(2).collect()
}

/// Chinese characters (the CJK Unified Ideographs).
fn has_chinese(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(u32::from(c), 0x3400..=0x4DBF | 0x4E00..=0x9FFF))
}
