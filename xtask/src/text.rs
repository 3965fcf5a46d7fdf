//! Text as terminals and pages show it: how many columns a string takes
//! (CJK and full-width characters take two), padding to a width, tabs
//! expanded, colour, and text escaped for HTML.

use std::io::IsTerminal;

/// The display width of one character.
pub fn char_width(ch: char) -> usize {
    let wide = matches!(u32::from(ch),
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        usize::from(!ch.is_control())
    }
}

/// The display width of a string.
pub fn width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// `text` padded with spaces to `columns` display columns.
pub fn pad(text: &str, columns: usize) -> String {
    format!("{text}{}", " ".repeat(columns.saturating_sub(width(text))))
}

/// `text` cut to at most `columns` display columns, `…` marking the cut.
pub fn cut(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    let mut kept = String::new();
    for ch in text.chars() {
        if width(&kept) + char_width(ch) + 1 > columns {
            break;
        }
        kept.push(ch);
    }
    kept + "…"
}

/// `text` in lines of at most `columns` display columns (the first of
/// at most `first`), broken at spaces and between wide characters, never
/// inside a word or a piece of code (`s.settimeout(3)`), nor before a
/// closing mark (`，` `）`); a `\n` in `text` always breaks. A word wider
/// than a line gets a line of its own.
pub fn wrap(text: &str, first: usize, columns: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for paragraph in text.split('\n') {
        if !lines.last().is_some_and(String::is_empty) {
            lines.push(String::new());
        }
        for unit in units(paragraph) {
            let budget = if lines.len() == 1 { first } else { columns };
            let Some(line) = lines.last_mut() else { break };
            if !line.is_empty() && width(line) + width(unit) > budget {
                lines.push(String::new());
            }
            let Some(line) = lines.last_mut() else { break };
            if !(line.is_empty() && unit == " ") {
                line.push_str(unit);
            }
        }
    }
    lines.iter_mut().for_each(|line| line.truncate(line.trim_end().len()));
    lines
}

/// The pieces a line may break between: a run of narrow characters up to
/// a space, a space, or a wide character with any closing marks after it.
fn units(text: &str) -> Vec<&str> {
    let closing = |ch: char| "，。：；、）」』！？,.:;)]".contains(ch);
    let mut units = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, ch)) = chars.next() {
        let next = chars.peek().map(|&(_, next)| next);
        let ends = match next {
            None => true,
            Some(next) if closing(next) => false,
            Some(next) => ch == ' ' || next == ' ' || char_width(ch) == 2 || char_width(next) == 2,
        };
        if ends {
            let end = at + ch.len_utf8();
            units.push(&text[start..end]);
            start = end;
        }
    }
    units
}

/// Tabs expanded to stops every 4 columns, counting display width (the
/// listings line their comments up with tabs).
pub fn expand_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\t' => out.push_str(&" ".repeat(4 - width(&out) % 4)),
            _ => out.push(ch),
        }
    }
    out
}

/// Text escaped for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let text = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    text.replace('"', "&quot;").replace('\'', "&#39;")
}

/// Whether to colour what a task prints, the same for every task: on a
/// terminal that takes ANSI colour, unless `NO_COLOR` is set; never into a
/// pipe or a file.
#[derive(Clone, Copy)]
pub struct Paint(pub bool);

impl Paint {
    pub fn detect() -> Paint {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        Paint(
            std::io::stdout().is_terminal() && !set("NO_COLOR") && takes_colour(cfg!(windows), set),
        )
    }

    /// `text` in the SGR colour `code` (`"1"` bold, `"32"` green, …).
    pub fn paint(self, code: &str, text: &str) -> String {
        match self.0 && !code.is_empty() && !text.is_empty() {
            true => format!("\x1b[{code}m{text}\x1b[0m"),
            false => text.to_string(),
        }
    }
}

/// Whether the terminal takes ANSI colour. Unix terminals do. On Windows
/// the console shows escape sequences as text unless asked (with
/// `SetConsoleMode`, which needs `unsafe`): colour only where the terminal
/// is known to take it: Windows Terminal (`WT_SESSION`), a Unix-like one
/// such as mintty (`TERM`), ConEmu and Cmder (`ConEmuANSI=ON`).
fn takes_colour(windows: bool, set: impl Fn(&str) -> bool) -> bool {
    let conemu = std::env::var("ConEmuANSI").is_ok_and(|v| v == "ON");
    !windows || set("WT_SESSION") || set("TERM") || conemu
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns_and_tabs_expand_by_display_width() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("连接已经建立"), 12);
        assert_eq!(width("２５，"), 6);
        assert_eq!(pad("中", 4), "中  ");
        assert_eq!(expand_tabs("ab\tc"), "ab  c");
        assert_eq!(expand_tabs("中\tc"), "中  c");
        assert_eq!(expand_tabs("\t"), "    ");
        assert_eq!(escape("<a href='x'>&</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_between_chinese_never_inside_code() {
        let hint = "没有服务器时 recv 会一直等下去：在 recv 之前 s.settimeout(3)，超时就说明原因";
        let lines = wrap(hint, 30, 30);
        assert!(lines.iter().all(|line| width(line) <= 30), "{lines:#?}");
        assert_eq!(lines.concat().replace(' ', ""), hint.replace(' ', ""));
        assert!(lines.iter().any(|line| line.contains("s.settimeout(3)，")), "{lines:#?}");
        assert!(lines.iter().all(|line| !line.starts_with(['，', '：', ' '])), "{lines:#?}");
        assert_eq!(wrap("ab cd\n(ef)", 80, 80), ["ab cd", "(ef)"]);
        assert_eq!(wrap("ab cd ef", 5, 2), ["ab cd", "ef"]);
        assert_eq!(wrap("abcdefgh", 3, 3), ["abcdefgh"]);
        assert_eq!(wrap("中文字", 4, 4), ["中文", "字"]);
        assert_eq!(cut("中文字", 6), "中文字");
        assert_eq!(cut("中文字", 5), "中文…");
        assert_eq!(cut("abcdef", 4), "abc…");
    }

    #[test]
    fn windows_consoles_get_colour_only_where_known_to_take_it() {
        let none = |_: &str| false;
        assert!(takes_colour(false, none));
        assert!(!takes_colour(true, none));
        assert!(takes_colour(true, |name: &str| name == "WT_SESSION"));
        assert!(takes_colour(true, |name: &str| name == "TERM"));
    }
}
