//! `cargo xtask compare`: the annotations check passes; the terminal view
//! fits 60 to 160 columns without cutting a token or losing indentation;
//! the `--html` pages hold every listing line and every group, balanced and
//! offline; and, where Chromium is installed, they render at desktop and
//! phone width.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use assert_cmd::Command as AssertCommand;
use predicates::prelude::*;

use crate::support::{bin, listing_of, run, workspace_root, Proc, HANG_GUARD, PROGRAMS};

/// What marks a continued line in the terminal view.
const CONTINUED: char = '\u{21aa}';

/// Display columns as terminals count them: CJK and full-width take two.
fn columns(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

fn expand_tabs(line: &str) -> String {
    let mut out = String::new();
    for ch in line.chars() {
        if ch == '\t' {
            let spaces = 4 - columns(&out) % 4;
            out.extend(std::iter::repeat_n(' ', spaces));
        } else {
            out.push(ch);
        }
    }
    out
}

/// The crate's `main.rs`, and its `// py:` quotes grouped as compare
/// groups them: a run of consecutive quote lines is one group.
fn quotes(krate: &str) -> (String, Vec<Vec<String>>) {
    let path = workspace_root()
        .join("crates")
        .join(krate)
        .join("src/main.rs");
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut in_run = false;
    for line in source.lines() {
        match line.trim_start().strip_prefix("// py:") {
            Some(quote) => {
                let quote = quote.strip_prefix(' ').unwrap_or(quote).to_string();
                match groups.last_mut() {
                    Some(group) if in_run => group.push(quote),
                    _ => groups.push(vec![quote]),
                }
                in_run = true;
            }
            None => in_run = false,
        }
    }
    (source, groups)
}

fn compare_at(krate: &str, width: usize) -> String {
    compare_output(krate, Some(width))
}

/// What `cargo xtask compare <krate>` prints, with `COLUMNS` set to
/// `width` or (`None`) unset.
fn compare_output(krate: &str, width: Option<usize>) -> String {
    let mut command = AssertCommand::new(bin("xtask"));
    command.args(["compare", krate]).env_remove("NO_COLOR");
    match width {
        Some(width) => command.env("COLUMNS", width.to_string()),
        None => command.env_remove("COLUMNS"),
    };
    let output = command
        .timeout(HANG_GUARD)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(output).expect("compare prints UTF-8")
}

/// The text columns of the view: in two columns, what is left and right
/// of the `│`; stacked, the whole line.
fn streams(text: &str) -> Vec<Vec<String>> {
    let two_columns = text.lines().any(|l| l.contains(" \u{2502} "));
    let mut left = Vec::new();
    let mut right = Vec::new();
    for line in text.lines() {
        match line.split_once(" \u{2502}") {
            Some((l, r)) if two_columns => {
                left.push(l.trim_end().to_string());
                right.push(r.strip_prefix(' ').unwrap_or(r).to_string());
            }
            _ => left.push(line.to_string()),
        }
    }
    vec![left, right]
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

#[test]
fn compare_check_passes_and_readme_tables_are_current() {
    let mut command = AssertCommand::new(bin("xtask"));
    command.args(["compare", "--check"]).timeout(HANG_GUARD);
    // Where the tutorial's listings sit beside the project (the developers'
    // and CI's machines), the quotes are checked against them too.
    let listings = workspace_root().join("../shared/tutorial/listings");
    if Path::new(&listings).is_dir() {
        command.arg("--listings").arg(&listings);
    } else {
        eprintln!(
            "note: {} not found; quotes not checked against the listings",
            listings.display()
        );
    }
    command
        .assert()
        .success()
        .stdout(predicate::str::contains("in order"));
}

#[test]
fn compare_shows_python_beside_rust_within_the_width() {
    let text = compare_at("udp-server", 160);
    assert!(text.contains("data,addr=s.recvfrom(1024)"), "{text}");
    assert!(text.contains(".recv_from(&mut buffer)"), "{text}");
    assert!(text.contains(" \u{2502} "), "two columns at 160:\n{text}");
    assert!(!text.contains('\x1b'), "colour codes on a pipe:\n{text}");
    // The Python is the listing as main.rs quotes it, not a file of ours.
    assert!(text.contains("the tutorial's udp_server.py"), "{text}");
    assert!(!text.contains("listings/"), "{text}");
}

#[test]
fn compare_on_a_pipe_without_columns_is_100_wide() {
    let text = compare_output("chat-client", None);
    let widest = text.lines().map(columns).max().unwrap_or(0);
    assert_eq!(widest, 100, "{text}");
}

#[test]
fn compare_fits_60_80_100_and_160_columns_without_cutting_a_token() {
    for krate in PROGRAMS {
        let (source, groups) = quotes(krate);
        let python: Vec<String> = groups.iter().flatten().map(|l| expand_tabs(l)).collect();
        let sources: Vec<String> = source
            .lines()
            .map(expand_tabs)
            .chain(python.clone())
            .collect();
        let widest = python.iter().map(|l| columns(l)).max().unwrap_or(0);
        // Strings without a space are never broken (an address, say): those
        // shown in the widest view are in every other.
        let mut strings: Vec<&str> = source
            .lines()
            .flat_map(|l| l.split('"').skip(1).step_by(2))
            .filter(|s| !s.contains(' ') && !s.is_empty() && columns(s) < 30)
            .collect();
        for width in [160, 100, 80, 60] {
            let text = compare_at(krate, width);
            if width == 160 {
                strings.retain(|string| text.contains(string));
            }
            let context = format!("compare {krate} at {width} columns:\n{text}");
            for line in text.lines() {
                assert!(
                    columns(line) <= width,
                    "{line:?} is {} columns wide; {context}",
                    columns(line)
                );
            }
            let two_columns = text.contains(" \u{2502} ");
            if width >= 160 {
                assert!(two_columns, "two columns expected; {context}");
            }
            if width <= 80 {
                assert!(!two_columns, "stacked groups expected; {context}");
            }
            // Every listing line is shown whole where it fits, in order.
            let mut rest = text.as_str();
            for line in python.iter().filter(|l| columns(l) <= width) {
                let found = rest.find(line.trim()).unwrap_or_else(|| {
                    panic!("listing line {line:?} not whole (or out of order); {context}")
                });
                rest = &rest[found..];
            }
            if two_columns {
                // The Python column is as wide as the listing's widest line.
                assert!(
                    python.iter().all(|l| text.contains(l.trim_end())),
                    "a Python line was wrapped; {context}"
                );
                assert!(widest + 3 < width, "{context}");
            }
            for string in &strings {
                assert!(
                    text.contains(string),
                    "string {string:?} was broken; {context}"
                );
            }
            for stream in streams(&text) {
                for (first, pieces) in wrapped_lines(&stream) {
                    for piece in &pieces[1..] {
                        assert_eq!(
                            indentation(piece),
                            indentation(first),
                            "{piece:?} lost the indentation of {first:?}; {context}"
                        );
                    }
                    assert_no_token_split(&pieces, &sources, &context);
                }
            }
        }
    }
}

/// Each wrapped line of a column: its first piece and all its pieces.
fn wrapped_lines(stream: &[String]) -> Vec<(&String, Vec<&String>)> {
    let mut found: Vec<(&String, Vec<&String>)> = Vec::new();
    for line in stream {
        if line.trim_start().starts_with(CONTINUED) {
            if let Some((_, pieces)) = found.last_mut() {
                pieces.push(line);
            }
        } else {
            found.push((line, vec![line]));
        }
    }
    found.retain(|(_, pieces)| pieces.len() > 1);
    found
}

/// Finds the source line the pieces were cut from, and checks that no cut
/// fell between two characters of one word (letters, digits, `_`).
fn assert_no_token_split(pieces: &[&String], sources: &[String], context: &str) {
    let parts: Vec<Vec<char>> = pieces
        .iter()
        .enumerate()
        .map(|(index, piece)| {
            let piece = if index == 0 {
                piece.as_str()
            } else {
                piece.trim_start().trim_start_matches(CONTINUED)
            };
            piece.chars().filter(|c| !c.is_whitespace()).collect()
        })
        .collect();
    let joined: String = parts.iter().flatten().collect();
    let source = sources
        .iter()
        .find(|s| s.chars().filter(|c| !c.is_whitespace()).eq(joined.chars()))
        .unwrap_or_else(|| panic!("{pieces:?} is no line of main.rs; {context}"));
    let source: Vec<char> = source.chars().collect();
    let mut at = 0;
    for part in &parts[..parts.len() - 1] {
        for _ in part {
            while source[at].is_whitespace() {
                at += 1;
            }
            at += 1;
        }
        let word = |c: Option<&char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_');
        assert!(
            !(word(source.get(at - 1)) && word(source.get(at))),
            "a word is cut in {pieces:?}; {context}"
        );
    }
}

/// A fresh folder under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("e2e-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", path.display()));
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `xtask compare --html DIR` and returns the folder.
fn write_pages(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    let mut command = Command::new(bin("xtask"));
    command.args(["compare", "--html"]).arg(&dir.0);
    let mut html = run(command, b"");
    html.assert_exit_code(0);
    assert!(
        html.stdout_text().contains("index.html"),
        "no page to open named\n{}",
        html.report()
    );
    dir
}

fn read_page(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The text of an element's content, tags dropped and entities decoded.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    unescape(&out)
}

/// Checks that every tag is closed in order (void elements aside; style
/// and script are raw text).
fn assert_balanced(page: &str, name: &str) {
    const VOID: [&str; 7] = ["meta", "br", "wbr", "img", "link", "hr", "input"];
    let mut open: Vec<String> = Vec::new();
    let mut rest = page;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let end = rest
            .find('>')
            .unwrap_or_else(|| panic!("{name}: a tag is not closed: {rest:.40}"));
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(closing) = tag.strip_prefix('/') {
            let expected = open.pop();
            assert_eq!(
                expected.as_deref(),
                Some(closing.trim()),
                "{name}: </{closing}> closes {expected:?}"
            );
            continue;
        }
        let tag_name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if VOID.contains(&tag_name.as_str()) || tag.ends_with('/') {
            continue;
        }
        if tag_name == "style" || tag_name == "script" {
            let close = format!("</{tag_name}>");
            let at = rest
                .find(&close)
                .unwrap_or_else(|| panic!("{name}: <{tag_name}> is not closed"));
            rest = &rest[at + close.len()..];
            continue;
        }
        open.push(tag_name);
    }
    assert!(open.is_empty(), "{name}: {open:?} left open");
}

/// Checks that nothing on the page comes from or points elsewhere.
fn assert_offline(page: &str, name: &str) {
    for external in ["http://", "https://", "url(", "@import"] {
        assert!(!page.contains(external), "{name} contains {external:?}");
    }
    for attribute in ["src=\"", "href=\""] {
        for value in page.split(attribute).skip(1) {
            let value = value.split('"').next().unwrap_or("");
            assert!(
                !value.starts_with("//") && !value.contains(':'),
                "{name}: {attribute}{value}\" points outside the page's folder"
            );
        }
    }
}

/// The Python lines of a page (elements carrying `data-n`), in page order.
fn python_lines_of(page: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    for piece in page.split("<span class=\"l\" data-n=\"").skip(1) {
        let (number, rest) = piece.split_once('"').expect("data-n closes");
        let content = &rest[rest.find('>').expect("tag ends") + 1..];
        // The line's own element ends at the first `</span>` that closes
        // more than its token spans opened.
        let mut depth = 0;
        let mut end = content.len();
        let mut index = 0;
        while index < content.len() {
            let tail = &content[index..];
            if tail.starts_with("<span") {
                depth += 1;
            } else if tail.starts_with("</span>") {
                if depth == 0 {
                    end = index;
                    break;
                }
                depth -= 1;
            }
            index += tail.chars().next().map_or(1, char::len_utf8);
        }
        lines.push((
            number.parse().expect("data-n is a number"),
            text_of(&content[..end]),
        ));
    }
    lines
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn compare_html_pages_hold_every_listing_line_and_group_offline() {
    let dir = write_pages("pages");
    let index = read_page(&dir.0, "index.html");
    assert_balanced(&index, "index.html");
    assert_offline(&index, "index.html");
    for krate in PROGRAMS {
        let listing = listing_of(krate);
        let name = format!("{krate}.html");
        let page = read_page(&dir.0, &name);
        assert!(
            index.contains(&format!("href=\"{name}\"")),
            "index lacks {name}"
        );
        assert_balanced(&page, &name);
        assert_offline(&page, &name);
        assert!(page.contains(&listing), "{name} does not name {listing}");
        assert!(page.contains("与教程的不同") && page.contains("Differences from the tutorial"));
        assert!(page.contains("@media print") && page.contains("max-width:760px"));
        let (_, groups) = quotes(krate);
        let expected: Vec<String> = groups.iter().flatten().map(|l| squeeze(l)).collect();
        let shown = python_lines_of(&page);
        let numbers: Vec<usize> = shown.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, (1..=expected.len()).collect::<Vec<_>>(), "{name}");
        let texts: Vec<String> = shown.iter().map(|(_, t)| squeeze(t)).collect();
        assert_eq!(texts, expected, "{name}: the listing's lines, in order");
        for number in 1..=groups.len() {
            assert!(
                page.contains(&format!("<section class=\"g\" id=\"g{number}\"")),
                "{name} lacks group {number}"
            );
        }
        assert!(!page.contains(&format!("id=\"g{}\"", groups.len() + 1)));
    }
}

/// Chromium, if it is on PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Starts Chromium taking a headless screenshot of `page` at `size`
/// (width, height) into `png`, with a fresh profile in `profile`.
fn start_screenshot(
    chromium: &Path,
    page: &Path,
    size: (u32, u32),
    png: &Path,
    profile: &Path,
) -> Proc {
    let mut command = Command::new(chromium);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // No crash reporter: it outlives the browser holding its pipes.
            "--disable-breakpad",
            "--disable-crash-reporter",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("file://{}", page.display()));
    let mut browser = Proc::start(command);
    browser.close_stdin();
    browser
}

/// Waits for a screenshot started by `start_screenshot` and reads it.
fn finish_screenshot(mut browser: Proc, png: &Path) -> Vec<u8> {
    // A hang guard for a browser starting on a busy machine.
    let status = browser
        .try_wait_exit(Duration::from_secs(90))
        .unwrap_or_else(|| panic!("chromium still running\n{}", browser.report()));
    assert!(status.success(), "chromium failed\n{}", browser.report());
    std::fs::read(png).unwrap_or_else(|error| {
        panic!(
            "no screenshot {}: {error}\n{}",
            png.display(),
            browser.report()
        )
    })
}

/// Width, height and the total size of the image data of a PNG.
fn png_facts(png: &[u8]) -> (u32, u32, usize) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be32 = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    let (width, height) = (be32(16), be32(20));
    let mut data = 0;
    let mut at = 8;
    while at + 8 <= png.len() {
        let length = be32(at) as usize;
        if &png[at + 4..at + 8] == b"IDAT" {
            data += length;
        }
        at += 12 + length;
    }
    (width, height, data)
}

#[test]
fn compare_html_pages_render_in_chromium_at_desktop_and_phone_width() {
    let Some(chromium) = chromium() else {
        eprintln!("skipped: chromium is not on PATH (.ci/install-tools installs it)");
        return;
    };
    let dir = write_pages("render");
    let mut pages: Vec<String> = PROGRAMS.iter().map(|k| format!("{k}.html")).collect();
    pages.push("index.html".to_string());
    let sizes = [("desktop", (1280, 900)), ("phone", (390, 844))];
    let mut jobs = pages
        .iter()
        .flat_map(|name| sizes.map(|(label, size)| (name, label, size)));
    // A few browsers at a time: each mostly waits on itself.
    let mut running = std::collections::VecDeque::new();
    let mut shots: Vec<(String, Vec<u8>)> = Vec::new();
    loop {
        while running.len() < 4 {
            let Some((name, label, size)) = jobs.next() else {
                break;
            };
            let page = std::fs::canonicalize(dir.0.join(name)).expect("the page exists");
            let png = dir.0.join(format!("{name}-{label}.png"));
            let profile = TempDir::new("chromium-profile");
            let browser = start_screenshot(&chromium, &page, size, &png, &profile.0);
            running.push_back((
                format!("{name} at {label} size"),
                size,
                png,
                profile,
                browser,
            ));
        }
        let Some((shown, size, png_path, _profile, browser)) = running.pop_front() else {
            break;
        };
        let png = finish_screenshot(browser, &png_path);
        let (width, height, data) = png_facts(&png);
        assert_eq!((width, height), size, "{shown}");
        // A flat page compresses to almost nothing; code and text do not.
        assert!(data > 20_000, "{shown}: only {data} bytes of image data");
        shots.push((shown, png));
    }
    assert_eq!(shots.len(), pages.len() * 2);
    for pair in shots.chunks(2) {
        assert_ne!(
            pair[0].1, pair[1].1,
            "{} and {} look the same",
            pair[0].0, pair[1].0
        );
    }
    assert_ne!(shots[0].1, shots[2].1, "two pages look the same");
    eprintln!("rendered {} pages at 1280x900 and 390x844", pages.len());
}
