//! compare in the terminal: Python | Rust in two columns, or each group
//! stacked where two columns would squeeze the Rust, fitted to the
//! terminal's width. A line that fits its column stays whole; a longer
//! code line wraps between tokens, under its own indentation, marked ↪; a
//! comment that does not fit is reflowed, as the sentence it is, to the
//! column's width. trace fits its tables with the same [`columns`] and
//! [`wrap_text`].

use std::io::IsTerminal as _;
use std::process::{Command, Stdio};

use super::groups::Group;
use super::highlight::{lex_lines, runs, Kind, Line};
use crate::harness::answer_of;
use crate::text::Paint;
use crate::text::{char_width, expand_tabs, pad, width};

/// The narrowest the view gets, and the widest.
pub const MIN_COLUMNS: usize = 60;
pub const MAX_COLUMNS: usize = 240;

/// Below this many columns for the Rust beside the listing's widest line,
/// each group is stacked: its Python lines, then its Rust, indented.
const READABLE_RUST: usize = 44;

/// What marks a continued line.
pub const CONTINUED: &str = "\u{21aa} ";

/// The lines of each group, tabs expanded and highlighted: (Python, Rust).
pub fn lex_groups(groups: &[Group]) -> Vec<(Vec<Line>, Vec<Line>)> {
    let lex = |lines: &[String], python| {
        lex_lines(&lines.iter().map(|l| expand_tabs(l)).collect::<Vec<_>>(), python)
    };
    groups.iter().map(|group| (lex(&group.python, true), lex(&group.rust, false))).collect()
}

/// The display width of a line of code.
pub fn line_width(line: &[(char, Kind)]) -> usize {
    line.iter().map(|c| char_width(c.0)).sum()
}

/// The view, fitted to `total` display columns (kept within 60..=240):
/// Python | Rust in two columns where the listing's widest line leaves room
/// for readable Rust beside it, else each group stacked (its Rust indented
/// by 4).
pub fn render(krate: &str, listing: &str, groups: &[Group], total: usize, paint: Paint) -> String {
    let total = total.clamp(MIN_COLUMNS, MAX_COLUMNS);
    let lexed = lex_groups(groups);
    let widest = lexed.iter().flat_map(|g| &g.0).map(|l| line_width(l)).max().unwrap_or(0);
    let painted = |line: &[(char, Kind)]| -> String {
        runs(line).map(|(kind, text)| paint.paint(kind.class_and_colour().1, &text)).collect()
    };
    let prose =
        |text: &str, code| wrap_text(text, total).into_iter().map(move |l| paint.paint(code, &l));
    let mut lines: Vec<String> = prose(&format!("{krate} \u{21c4} {listing}"), "1").collect();
    let source = format!(
        "Python: 教程 {listing}，引自 main.rs 的 `// py:` 注释 \
         (the tutorial's {listing}, as main.rs's `// py:` lines quote it)"
    );
    lines.extend(
        prose(&source, "").chain(prose(&format!("Rust:   crates/{krate}/src/main.rs"), "")),
    );
    let bar = paint.paint("2", "\u{2502}");
    if widest + 3 + READABLE_RUST <= total {
        let (left, right) = (widest.max(6), total - widest.max(6) - 3);
        let rule = |cross| {
            paint.paint("2", &format!("{}{cross}{}", "─".repeat(left + 1), "─".repeat(right + 1)))
        };
        lines.push(rule('┬'));
        lines.push(format!(
            "{} {bar} {}",
            paint.paint("1", &pad("Python", left)),
            paint.paint("1", "Rust")
        ));
        for (python, rust) in &lexed {
            lines.push(rule('┼'));
            let (python, rust) = (fit(python, left, false), fit(rust, right, true));
            for row in 0..python.len().max(rust.len()) {
                let l = python.get(row).map_or(&[][..], Vec::as_slice);
                let r = rust.get(row).map_or(&[][..], Vec::as_slice);
                let gap = " ".repeat(left.saturating_sub(line_width(l)));
                lines.push(format!("{}{gap} {bar} {}", painted(l), painted(r)));
            }
        }
    } else {
        let how = "每组先列 Python，再列做同样事情的 Rust（缩进） · each group: its Python lines, then their Rust, indented";
        lines.extend(prose(how, "2"));
        for (number, (python, rust)) in lexed.iter().enumerate() {
            let label = format!("── {} ", number + 1);
            lines.push(paint.paint("2", &format!("{label}{}", "─".repeat(total - width(&label)))));
            lines.extend(fit(python, total, false).iter().map(|l| painted(l)));
            lines.extend(fit(rust, total - 4, true).iter().map(|l| format!("    {}", painted(l))));
        }
    }
    lines.iter().map(|line| format!("{}\n", line.trim_end())).collect()
}

/// A column's lines fitted to `columns`: a line that fits stays whole, a
/// longer one wraps between tokens; with `reflow` (Rust), a run of comment
/// lines with a line too long is one sentence, reflowed to the width.
fn fit(lines: &[Line], columns: usize, reflow: bool) -> Vec<Line> {
    let mut fitted = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let lead = comment_lead(&lines[at]).filter(|_| reflow);
        let run =
            lines[at..].iter().take_while(|l| lead.is_some() && comment_lead(l) == lead).count();
        let block = &lines[at..at + run.max(1)];
        at += block.len();
        match lead {
            Some((indent, marker))
                if block.iter().any(|l| line_width(l) > columns)
                    && columns > indent + marker.len() + 20 =>
            {
                let mut sentence = String::new();
                for line in block {
                    let words: String = line[indent + marker.len()..].iter().map(|c| c.0).collect();
                    let wide = |c: Option<char>| c.is_some_and(|c| char_width(c) == 2);
                    // Chinese runs on from line to line; words are apart.
                    let cjk = wide(sentence.chars().last()) && wide(words.trim().chars().next());
                    if !(sentence.is_empty() || cjk) {
                        sentence.push(' ');
                    }
                    sentence.push_str(words.trim());
                }
                let sentence: Line = sentence.chars().map(|c| (c, Kind::Comment)).collect();
                // Each piece under the first line's indentation and marker.
                let lead = block[0][..indent + marker.len()].iter().chain([&(' ', Kind::Comment)]);
                for piece in wrap(&sentence, columns - indent - marker.len() - 1, "") {
                    fitted.push(lead.clone().copied().chain(piece).collect());
                }
            }
            _ => fitted.extend(block.iter().flat_map(|line| wrap(line, columns, CONTINUED))),
        }
    }
    fitted
}

/// A line that is only a comment with words in it: its indentation and
/// its marker (`//`, `///` or `//!`).
fn comment_lead(line: &[(char, Kind)]) -> Option<(usize, &'static str)> {
    let indent = line.iter().take_while(|c| c.0 == ' ').count();
    let text: String = line[indent..].iter().map(|c| c.0).collect();
    let marker = ["///", "//!", "//"].into_iter().find(|m| text.starts_with(m))?;
    let comment = line[indent..].iter().all(|c| c.1 == Kind::Comment);
    (comment && !text[marker.len()..].trim().is_empty()).then_some((indent, marker))
}

/// A line of code wrapped to `columns`. Breaks fall at spaces and between
/// punctuation and words, never inside a word, a number or a short
/// string; a string or comment is broken at a space or between Chinese
/// characters first, and anything is broken only where nothing else fits.
/// Each continued line keeps the line's indentation (where it leaves room)
/// and starts with `continued` ([`CONTINUED`] in code).
fn wrap(chars: &[(char, Kind)], columns: usize, continued: &str) -> Vec<Line> {
    if columns == 0 || chars.iter().map(|c| char_width(c.0)).sum::<usize>() <= columns {
        return vec![chars.to_vec()];
    }
    let (indent, marker) = (chars.iter().take_while(|c| c.0 == ' ').count(), width(continued));
    // Deep indentation gives way before the code does.
    let keep = if columns >= indent + marker + 12 { indent } else { 0 };
    let mut pieces: Vec<Line> = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let mut piece = Vec::new();
        let room = match pieces.is_empty() {
            true => columns,
            false => {
                piece.extend(std::iter::repeat_n((' ', Kind::Plain), keep));
                piece.extend(continued.chars().map(|c| (c, Kind::Comment)));
                columns - keep - marker
            }
        };
        let cut = cut_point(chars, start, room.max(1));
        piece.extend(&chars[start..cut]);
        // Spaces at the break belong to neither line.
        while piece.len() > 1 && piece.last().is_some_and(|c| c.0 == ' ') {
            piece.pop();
        }
        pieces.push(piece);
        start = cut + chars[cut..].iter().take_while(|c| c.0 == ' ').count();
    }
    pieces
}

/// Where the piece of `chars` starting at `start` ends, for `room` columns:
/// at the best break in its last third, else in its middle third, else
/// wherever one is, else where the room ends.
fn cut_point(chars: &[(char, Kind)], start: usize, room: usize) -> usize {
    // (boundary, quality, columns used before it)
    let mut candidates: Vec<(usize, u8, usize)> = Vec::new();
    let mut used = 0;
    for at in start..chars.len() {
        let quality = if at > start { break_quality(chars, at) } else { 0 };
        if quality > 0 {
            candidates.push((at, quality, used));
        }
        let c = chars[at].0;
        if c != ' ' && used + char_width(c) > room {
            let latest = |(least, from): (u8, usize)| {
                let found = candidates.iter().rev().find(|&&(_, q, u)| q >= least && u >= from);
                found.map(|&(at, _, _)| at)
            };
            let (late, middle) = (room * 2 / 3, room / 3);
            let tries = [(2, late), (1, late), (2, middle), (1, middle), (1, 1)];
            return tries.into_iter().find_map(latest).unwrap_or(at.max(start + 1));
        }
        used += char_width(c);
    }
    chars.len()
}

/// How good a place the boundary before `chars[at]` is for a line break:
/// 0 never (inside a word, number, operator or short string), 1 inside a
/// string or comment, 2 between code tokens, 3 after a space in code.
fn break_quality(chars: &[(char, Kind)], at: usize) -> u8 {
    let ((a, a_kind), (c, c_kind)) = (chars[at - 1], chars[at]);
    // Nor before closing punctuation (or an ASCII comma), which stays with
    // what it closes, nor after opening punctuation.
    if c == ' ' || "，。、：；！？）】」』》”,".contains(c) || "（【「『《“".contains(a)
    {
        return 0;
    }
    let literal = a_kind == Kind::Str && c_kind == Kind::Str;
    let prose = literal || (a_kind == Kind::Comment && c_kind == Kind::Comment);
    let word = |x: char| x.is_alphanumeric() || x == '_';
    match (a, word(a), word(c)) {
        (' ', ..) => 3 - 2 * u8::from(literal),
        _ if char_width(a) == 2 || char_width(c) == 2 => 2 - u8::from(prose),
        _ if prose => 0,
        (_, true, true) => 0,
        // Before the `.` of a method chain.
        (_, true, false) => 2 * u8::from(c == '.'),
        (_, false, true) => 2 * u8::from(!".:'\"&!#$-\\".contains(a)),
        (_, false, false) => 2 * u8::from(",;([{=".contains(a) && !")]}.,;:?=".contains(c)),
    }
}

/// For each character of a line, whether a line may break just before it
/// between two code tokens (not at a space, where a browser breaks anyway,
/// and never inside a word or a string): where a page puts `<wbr>`.
pub fn soft_breaks(line: &[(char, Kind)]) -> Vec<bool> {
    (0..line.len()).map(|at| at > 0 && break_quality(line, at) == 2).collect()
}

/// Prose wrapped to `columns` at spaces, or between Chinese characters
/// (words longer than a line are cut).
pub fn wrap_text(text: &str, columns: usize) -> Vec<String> {
    let chars: Line = text.chars().map(|c| (c, Kind::Comment)).collect();
    let pieces = wrap(&chars, columns, CONTINUED).into_iter();
    let lines = pieces.map(|piece| piece.into_iter().map(|c| c.0).collect::<String>());
    lines.map(|line| line.replacen(CONTINUED, "", 1).trim_start().to_string()).collect()
}

/// The width of the terminal stdout writes to: COLUMNS where it is set,
/// else the terminal's own answer, else 100 (not a terminal, or no way to
/// ask); kept within 60..=240.
pub fn columns() -> usize {
    let from_env = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse().ok());
    let columns = match from_env.filter(|&c: &usize| c > 0) {
        Some(columns) => columns,
        None if std::io::stdout().is_terminal() => ask_terminal().unwrap_or(100),
        None => 100,
    };
    columns.clamp(MIN_COLUMNS, MAX_COLUMNS)
}

/// Asks the terminal its width. Interactive shells do not export COLUMNS,
/// so the answer comes from `stty size` reading the terminal itself (Unix:
/// rows, then columns), or from `mode con` (Windows: lines, then columns;
/// the labels are translated).
fn ask_terminal() -> Option<usize> {
    let answer = if cfg!(windows) {
        let mut mode = Command::new("mode");
        mode.arg("con");
        answer_of(mode, Stdio::null(), Stdio::null())
    } else {
        // stty asks the terminal on its stdin; stdout is the pipe its
        // answer comes back on.
        let terminal = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").ok()?;
        let mut stty = Command::new("stty");
        stty.arg("size");
        answer_of(stty, terminal.try_clone().ok()?.into(), terminal.into())
    };
    nth_number(&answer?, 1).filter(|&columns| columns > 0)
}

/// The `n`th (0-based) whole number in a tool's answer.
fn nth_number(text: &str, n: usize) -> Option<usize> {
    text.split(|c: char| !c.is_ascii_digit()).filter_map(|number| number.parse().ok()).nth(n)
}

#[cfg(test)]
mod tests {
    use super::super::groups::{parse, SAMPLE};
    use super::super::highlight::lex_line;
    use super::*;

    fn view(source: &str, columns: usize, paint: Paint) -> String {
        render("hello-server", "hello_server.py", &parse(source), columns, paint)
    }

    fn wrapped(line: &str, python: bool, columns: usize) -> Vec<String> {
        let pieces = wrap(&lex_line(line, python, &mut false), columns, CONTINUED).into_iter();
        pieces.map(|piece| piece.into_iter().map(|c| c.0).collect()).collect()
    }

    #[test]
    fn narrow_terminals_stack_each_group_and_wide_ones_show_two_columns() {
        // A listing line of 40 columns leaves too little beside it at 60.
        let source = SAMPLE.replace("s.listen(5)", "s.listen(5)  # 40 columns of listing line");
        let stacked = view(&source, 60, Paint(false));
        assert!(!stacked.contains('\u{2502}'), "{stacked}");
        let group = "\ns.bind(x)\ns.listen(5)  # 40 columns of listing line\n    // std binds";
        assert!(stacked.contains(group), "{stacked}");
        let wide = view(&source, 100, Paint(false));
        let row = "s.listen(5)  # 40 columns of listing line \u{2502} let s = bind();";
        assert!(wide.contains(row), "{wide}");
        for text in [&stacked, &wide] {
            assert!(text.contains("the tutorial's hello_server.py"), "{text}");
            assert!(!text.contains("listings/") && !text.contains('\x1b'), "{text}");
        }
        let coloured = view(&source, 120, Paint(true));
        assert!(coloured.contains("\x1b[35mimport\x1b[0m"), "{coloured}");
    }

    #[test]
    fn widths_outside_60_to_240_are_clamped_and_lines_fit() {
        let narrow = view(SAMPLE, 10, Paint(false));
        assert!(narrow.lines().all(|l| width(l) <= MIN_COLUMNS));
        assert!(narrow.lines().any(|l| width(l) == MIN_COLUMNS));
        assert!(narrow.contains("s.listen(5)"));
        let wide = view(SAMPLE, 1000, Paint(false));
        assert!(wide.lines().any(|l| width(l) == MAX_COLUMNS));
    }

    #[test]
    fn a_line_that_fits_stays_whole_and_a_longer_one_breaks_between_tokens() {
        let line = "    print('接收到的数据为:', recvData)";
        assert_eq!(wrapped(line, true, width(line)), [line]);
        assert_eq!(wrapped("", false, 10), [""]);
        let line = "    default_addr: DefaultAddr::Fixed(\"127.0.0.1:8888\"),";
        let pieces = ["    default_addr: DefaultAddr::Fixed(", "    \u{21aa} \"127.0.0.1:8888\"),"];
        assert_eq!(wrapped(line, false, 40), pieces);
        // Deep indentation gives way in a narrow column.
        let line = format!("{}if send_data == b\"0\" {{ break; }}", " ".repeat(16));
        assert!(wrapped(&line, false, 20).iter().all(|piece| width(piece) <= 20));
    }

    #[test]
    fn a_long_string_breaks_at_a_space_or_between_chinese_characters() {
        let line = "let s = \"连接已经建立连接已经建立 and more words\";";
        for columns in [14, 20, 26] {
            let lines = wrapped(line, false, columns);
            assert!(lines.iter().all(|piece| width(piece) <= columns), "{lines:?}");
            let words = lines.iter().map(|l| l.trim_start().trim_start_matches(CONTINUED));
            let joined = words.collect::<Vec<_>>().join(" ");
            for word in ["let", "and", "more", "words\";"] {
                assert!(joined.split(' ').any(|w| w == word), "{word} split: {lines:?}");
            }
        }
        assert_eq!(
            wrap_text("Python: the tutorial's listing", 16),
            ["Python: the", "tutorial's", "listing"]
        );
    }

    #[test]
    fn a_comment_too_long_for_its_column_is_reflowed_as_one_sentence() {
        let lines: Vec<String> = [
            "    // 0 bytes: the server has gone (the listing prints empty messages",
            "    // forever instead).",
            "    // 服务器已经关闭，",
            "    // 不再等待。",
            "    let x = 1; // a trailing comment is code's",
        ]
        .map(String::from)
        .into();
        let lexed = lex_lines(&lines, false);
        let shown = |columns| -> Vec<String> {
            let fitted = fit(&lexed, columns, true).into_iter();
            fitted.map(|l| l.into_iter().map(|c| c.0).collect()).collect()
        };
        assert_eq!(shown(80), lines, "each line fits: none is touched");
        let reflowed = shown(44);
        assert_eq!(
            reflowed[..4],
            [
                "    // 0 bytes: the server has gone (the",
                "    // listing prints empty messages forever",
                "    // instead). 服务器已经关闭，不再等待。",
                "    let x = 1; // a trailing comment is",
            ]
        );
        assert!(reflowed
            .iter()
            .all(|l| width(l) <= 44 && !l.contains(CONTINUED) || l.contains("code's")));
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
}
