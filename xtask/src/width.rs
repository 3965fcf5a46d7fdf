//! How many terminal columns text takes: CJK and full-width characters take
//! two, as terminals show them; and wrapping code to a width without
//! cutting a token.

use crate::highlight::{Kind, Token};

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

/// What marks a continued line: the rest of a line too long for its
/// column, under the line's own indentation.
pub const CONTINUED: &str = "\u{21aa} ";

/// A line of code wrapped to `columns` display columns. Breaks fall at
/// spaces and between punctuation and words, never inside a word, a number
/// or a short string; a string or comment is broken at a space or between
/// Chinese characters first, and anything is broken only where nothing else
/// fits. Each continued line keeps the line's indentation and starts with
/// [`CONTINUED`].
pub fn wrap_tokens(tokens: &[Token], columns: usize) -> Vec<Vec<Token>> {
    let chars: Vec<(char, Kind)> = tokens
        .iter()
        .flat_map(|t| t.text.chars().map(move |c| (c, t.kind)))
        .collect();
    let total: usize = chars.iter().map(|&(c, _)| char_width(c)).sum();
    if total <= columns || columns == 0 {
        return vec![tokens.to_vec()];
    }
    let indent = chars.iter().take_while(|&&(c, _)| c == ' ').count();
    let marker = width(CONTINUED);
    // Deep indentation gives way before the code does.
    let keep = if columns >= indent + marker + 12 {
        indent
    } else {
        0
    };
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let room = if pieces.is_empty() {
            columns
        } else {
            columns - keep - marker
        };
        let cut = cut_point(&chars, start, room.max(1));
        let mut piece: Vec<Token> = Vec::new();
        for &(c, kind) in chars[start..cut].iter() {
            match piece.last_mut() {
                Some(last) if last.kind == kind => last.text.push(c),
                _ => piece.push(Token {
                    kind,
                    text: c.to_string(),
                }),
            }
        }
        if !pieces.is_empty() {
            let prefix = [
                Token {
                    kind: Kind::Plain,
                    text: " ".repeat(keep),
                },
                Token {
                    kind: Kind::Comment,
                    text: CONTINUED.to_string(),
                },
            ];
            piece.splice(0..0, prefix);
        }
        // Spaces at the break belong to neither line.
        while piece.len() > 1 && piece.last().is_some_and(|t| t.text.trim_end().is_empty()) {
            piece.pop();
        }
        if let Some(last) = piece.last_mut() {
            let trimmed = last.text.trim_end_matches(' ').len();
            last.text.truncate(trimmed);
        }
        pieces.push(piece);
        start = cut;
        while chars.get(start).is_some_and(|&(c, _)| c == ' ') {
            start += 1;
        }
    }
    pieces
}

/// For each character of a line, whether a line may break just before it
/// between two code tokens (not at a space, where a browser breaks anyway,
/// and never inside a word or a string): where a page puts `<wbr>`.
pub fn soft_breaks(tokens: &[Token]) -> Vec<bool> {
    let chars: Vec<(char, Kind)> = tokens
        .iter()
        .flat_map(|t| t.text.chars().map(move |c| (c, t.kind)))
        .collect();
    (0..chars.len())
        .map(|at| at > 0 && break_quality(&chars, at) == 2)
        .collect()
}

/// Where the piece of `chars` starting at `start` ends, for `room` columns.
fn cut_point(chars: &[(char, Kind)], start: usize, room: usize) -> usize {
    // (boundary, quality, columns used before it)
    let mut candidates: Vec<(usize, u8, usize)> = Vec::new();
    let mut used = 0;
    for i in start..chars.len() {
        if i > start {
            let quality = break_quality(chars, i);
            if quality > 0 {
                candidates.push((i, quality, used));
            }
        }
        let (c, _) = chars[i];
        let w = char_width(c);
        if c != ' ' && used + w > room {
            let latest = |least: u8, from: usize| {
                candidates
                    .iter()
                    .rev()
                    .find(|&&(_, q, at)| q >= least && at >= from)
                    .map(|&(i, _, _)| i)
            };
            return latest(2, room * 2 / 3)
                .or_else(|| latest(1, room * 2 / 3))
                .or_else(|| latest(2, room / 3))
                .or_else(|| latest(1, room / 3))
                .or_else(|| latest(1, 1))
                .unwrap_or(i.max(start + 1));
        }
        used += w;
    }
    chars.len()
}

/// How good a place the boundary before `chars[at]` is for a line break:
/// 0 never (inside a word, number, operator or short string), 1 inside a
/// string or comment, 2 between code tokens, 3 after a space in code.
fn break_quality(chars: &[(char, Kind)], at: usize) -> u8 {
    let (a, a_kind) = chars[at - 1];
    let (c, c_kind) = chars[at];
    // Nor before closing punctuation, which stays with what it closes.
    if c == ' ' || "，。、：；！？）】」』》".contains(c) || "（【「『《".contains(a)
    {
        return 0;
    }
    let inside = |kind: Kind| a_kind == kind && c_kind == kind;
    let literal = inside(Kind::Str);
    let prose = literal || inside(Kind::Comment);
    let wide = char_width(a) == 2 || char_width(c) == 2;
    if a == ' ' {
        return if literal { 1 } else { 3 };
    }
    if wide {
        return if prose { 1 } else { 2 };
    }
    if prose {
        return 0;
    }
    let word = |x: char| x.is_alphanumeric() || x == '_';
    match (word(a), word(c)) {
        (true, true) => 0,
        // Before the `.` of a method chain.
        (true, false) => u8::from(c == '.') * 2,
        (false, true) => {
            if matches!(
                a,
                '.' | ':' | '\'' | '"' | '&' | '!' | '#' | '$' | '-' | '\\'
            ) {
                0
            } else {
                2
            }
        }
        (false, false) => {
            if matches!(a, ',' | ';' | '(' | '[' | '{' | '=')
                && !matches!(c, ')' | ']' | '}' | '.' | ',' | ';' | ':' | '?' | '=')
            {
                2
            } else {
                0
            }
        }
    }
}

/// Prose wrapped to `columns` at spaces (words longer than a line are cut).
pub fn wrap_text(text: &str, columns: usize) -> Vec<String> {
    let token = Token {
        kind: Kind::Comment,
        text: text.to_string(),
    };
    wrap_tokens(&[token], columns)
        .into_iter()
        .map(|piece| piece.into_iter().map(|t| t.text).collect::<String>())
        .map(|line| line.replacen(CONTINUED, "", 1).trim_start().to_string())
        .collect()
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
    use crate::highlight::{lex_line, Lang};

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

    fn wrapped(line: &str, lang: Lang, columns: usize) -> Vec<String> {
        let (tokens, _) = lex_line(line, lang, false);
        wrap_tokens(&tokens, columns)
            .into_iter()
            .map(|piece| piece.into_iter().map(|t| t.text).collect())
            .collect()
    }

    #[test]
    fn a_line_that_fits_stays_whole() {
        let line = "    print('接收到的数据为:', recvData)";
        assert_eq!(wrapped(line, Lang::Python, width(line)), [line]);
        assert_eq!(wrapped("", Lang::Rust, 10), [""]);
    }

    #[test]
    fn wrapping_breaks_between_tokens_and_keeps_the_indentation() {
        let lines = wrapped(
            "    default_addr: DefaultAddr::Fixed(\"127.0.0.1:8888\"),",
            Lang::Rust,
            40,
        );
        assert_eq!(
            lines,
            [
                "    default_addr: DefaultAddr::Fixed(",
                "    \u{21aa} \"127.0.0.1:8888\"),"
            ]
        );
        for line in &lines {
            assert!(width(line) <= 40, "{line:?}");
        }
    }

    #[test]
    fn a_long_string_breaks_at_a_space_or_between_chinese_characters() {
        let line = "let s = \"连接已经建立连接已经建立 and more words\";";
        for columns in [14, 20, 26] {
            let lines = wrapped(line, Lang::Rust, columns);
            for piece in &lines {
                assert!(width(piece) <= columns, "{piece:?} over {columns}");
            }
            let joined: String = lines
                .iter()
                .map(|l| l.trim_start().trim_start_matches(CONTINUED))
                .collect::<Vec<_>>()
                .join(" ");
            for word in ["let", "and", "more", "words\";"] {
                assert!(
                    joined.split(' ').any(|w| w == word),
                    "{word} split: {lines:?}"
                );
            }
        }
    }

    #[test]
    fn deep_indentation_gives_way_in_a_narrow_column() {
        let line = format!("{}if send_data == b\"0\" {{ break; }}", " ".repeat(16));
        for piece in wrapped(&line, Lang::Rust, 20) {
            assert!(width(&piece) <= 20, "{piece:?}");
        }
    }

    #[test]
    fn prose_wraps_at_spaces() {
        assert_eq!(
            wrap_text("Python: the tutorial's listing", 16),
            ["Python: the", "tutorial's", "listing"]
        );
    }

    #[test]
    fn padding_counts_display_columns() {
        assert_eq!(pad("中", 4), "中  ");
    }
}
