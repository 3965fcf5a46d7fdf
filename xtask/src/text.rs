//! Text as terminals and pages show it: how many columns a string takes
//! (CJK and full-width characters take two), padding to a width, tabs
//! expanded, and text escaped for HTML.

/// The display width of one character.
pub fn char_width(ch: char) -> usize {
    let wide = matches!(u32::from(ch),
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD);
    match (wide, ch.is_control()) {
        (true, _) => 2,
        (false, true) => 0,
        (false, false) => 1,
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

/// Tabs expanded to stops every 4 columns, counting display width (the
/// listings line their comments up with tabs).
pub fn expand_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut column = 0;
    for ch in text.chars() {
        if ch == '\t' {
            let spaces = 4 - column % 4;
            out.push_str(&" ".repeat(spaces));
            column += spaces;
        } else {
            out.push(ch);
            column += char_width(ch);
        }
    }
    out
}

/// Text escaped for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
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
}
