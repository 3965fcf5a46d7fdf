//! How many terminal columns text takes: CJK and full-width characters take
//! two, as terminals show them.

/// The display width of one character.
pub fn char_width(ch: char) -> usize {
    let code = u32::from(ch);
    let wide = matches!(code,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD);
    if wide {
        2
    } else if ch.is_control() {
        0
    } else {
        1
    }
}

/// The display width of a string.
pub fn width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// Tabs expanded to stops every `stop` columns, counting display width.
pub fn expand_tabs(text: &str, stop: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut column = 0;
    for ch in text.chars() {
        if ch == '\t' {
            let spaces = stop - column % stop;
            out.extend(std::iter::repeat_n(' ', spaces));
            column += spaces;
        } else {
            out.push(ch);
            column += char_width(ch);
        }
    }
    out
}

/// Splits `text` into pieces of at most `columns` display columns (at
/// least one character each), for wrapping a line in a column: after a
/// space where one stands in the second half of the piece, else anywhere.
pub fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece: Vec<char> = Vec::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = char_width(ch);
        if used + w > columns && !piece.is_empty() {
            let cut = match piece.iter().rposition(|&c| c == ' ') {
                Some(space) if space + 1 >= piece.len() / 2 && space + 1 < piece.len() => space + 1,
                _ => piece.len(),
            };
            let rest = piece.split_off(cut);
            pieces.push(piece.into_iter().collect());
            used = rest.iter().map(|&c| char_width(c)).sum();
            piece = rest;
        }
        piece.push(ch);
        used += w;
    }
    if !piece.is_empty() || pieces.is_empty() {
        pieces.push(piece.into_iter().collect());
    }
    pieces
}

/// `text` padded with spaces to `columns` display columns.
pub fn pad(text: &str, columns: usize) -> String {
    let mut out = text.to_string();
    out.extend(std::iter::repeat_n(
        ' ',
        columns.saturating_sub(width(text)),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("连接已经建立"), 12);
        assert_eq!(width("２５，"), 6);
    }

    #[test]
    fn tabs_expand_by_display_width() {
        assert_eq!(expand_tabs("ab\tc", 4), "ab  c");
        assert_eq!(expand_tabs("中\tc", 4), "中  c");
        assert_eq!(expand_tabs("\t", 4), "    ");
    }

    #[test]
    fn wrapping_never_splits_inside_a_character() {
        assert_eq!(wrap("中文字", 3), vec!["中", "文", "字"]);
        assert_eq!(wrap("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(wrap("let a = bb;", 8), vec!["let a = ", "bb;"]);
        assert_eq!(wrap("", 4), vec![""]);
        assert_eq!(pad("中", 4), "中  ");
    }
}
