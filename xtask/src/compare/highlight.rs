//! Colouring for the two languages compare shows side by side, line by
//! line: keywords, built-ins and macros, type names, strings (a Rust string
//! left open at a line's end goes on in the next), comments and numbers.
//! Enough to colour a listing line or a line of `main.rs`, and to know
//! where one may be wrapped; not a parser.

/// What a piece of a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Keyword,
    /// Built-in functions (Python) and macros (Rust): `print`, `format!`.
    Builtin,
    /// Names starting with a capital: types and variants.
    Type,
    Str,
    Comment,
    Number,
}

impl Kind {
    /// The page's CSS class, and the terminal's ANSI colour.
    pub fn class_and_colour(self) -> (&'static str, &'static str) {
        match self {
            Kind::Plain => ("", ""),
            Kind::Keyword => ("k", "35"),
            Kind::Builtin => ("b", "36"),
            Kind::Type => ("t", "34"),
            Kind::Str => ("s", "32"),
            Kind::Comment => ("c", "2"),
            Kind::Number => ("n", "33"),
        }
    }
}

/// A line of code: each character with its kind.
pub type Line = Vec<(char, Kind)>;

/// A line's runs of characters of one kind, each as its text.
pub fn runs(line: &[(char, Kind)]) -> impl Iterator<Item = (Kind, String)> + '_ {
    line.chunk_by(|a, b| a.1 == b.1).map(|run| (run[0].1, run.iter().map(|c| c.0).collect()))
}

const PYTHON_KEYWORDS: &str = "False None True and as assert break class continue def del elif \
    else except finally for from global if import in is lambda not or pass raise return try \
    while with yield self";
const PYTHON_BUILTINS: &str = "print input str float int len bytes range open";
const RUST_KEYWORDS: &str = "as break const continue crate else enum false fn for if impl in \
    let loop match mod move mut pub ref return self Self static struct super trait true type \
    unsafe use where while";

/// Each line highlighted, a Python listing's (`python`) or Rust's.
pub fn lex_lines(lines: &[String], python: bool) -> Vec<Line> {
    let mut open = false;
    lines.iter().map(|line| lex_line(line, python, &mut open)).collect()
}

/// One line highlighted; `open` says whether a Rust string is open at its
/// start, and then at its end.
pub fn lex_line(line: &str, python: bool, open: &mut bool) -> Line {
    let chars: Vec<char> = line.chars().collect();
    let mut lexed = Line::with_capacity(chars.len());
    // Where a string that opens at `from` (just after its quote) ends.
    let string_end = |from: usize, quote: char| {
        let mut i = from;
        while i < chars.len() {
            match chars[i] {
                '\\' => i += 2,
                c if c == quote => return (i + 1, true),
                _ => i += 1,
            }
        }
        (chars.len(), false)
    };
    // Whether the `'` at `at` opens a Rust character literal, not a lifetime.
    let char_literal = |at: usize| match chars.get(at + 1) {
        Some('\\') => chars[at + 2..].iter().take(10).any(|&c| c == '\''),
        Some(_) => chars.get(at + 2) == Some(&'\''),
        None => false,
    };
    let run_end = |from: usize, keep: fn(char) -> bool| {
        from + chars[from..].iter().take_while(|&&c| keep(c)).count()
    };
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        let word_end = run_end(i, |c| c.is_alphanumeric() || c == '_');
        let word: String = chars[i..word_end].iter().collect();
        // A string, perhaps after a prefix: b'..', r"..", f'..' and the like.
        let at =
            if ["b", "r", "f", "u", "br", "rb"].contains(&word.as_str()) { word_end } else { i };
        let quote = match chars.get(at) {
            Some('"') => Some('"'),
            Some('\'') if python || char_literal(at) => Some('\''),
            _ => None,
        };
        let (kind, end) = if *open && i == 0 {
            let (end, closed) = string_end(0, '"');
            *open = !closed;
            (Kind::Str, end)
        } else if (python && ch == '#') || (!python && chars[i..].starts_with(&['/', '/'])) {
            (Kind::Comment, chars.len())
        } else if let Some(quote) = quote {
            let (end, closed) = string_end(at + 1, quote);
            *open = !closed && !python && quote == '"';
            (Kind::Str, end)
        } else if ch.is_ascii_digit() {
            let end = run_end(i, |c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            // `1..2` is a range, not a number with two points.
            let range = chars[i..end].windows(2).position(|w| w == ['.', '.']);
            (Kind::Number, range.map_or(end, |at| i + at))
        } else if ch.is_alphabetic() || ch == '_' {
            let next = chars.get(word_end).copied();
            let has = |words: &str| words.split_whitespace().any(|w| w == word);
            let kind = match (python, next) {
                (true, _) if has(PYTHON_KEYWORDS) => Kind::Keyword,
                (true, Some('(')) if has(PYTHON_BUILTINS) => Kind::Builtin,
                (false, _) if has(RUST_KEYWORDS) => Kind::Keyword,
                // A macro, with its `!`.
                (false, Some('!')) => Kind::Builtin,
                _ if word.starts_with(|c: char| c.is_ascii_uppercase()) => Kind::Type,
                _ => Kind::Plain,
            };
            (kind, word_end + usize::from(kind == Kind::Builtin && !python))
        } else {
            (Kind::Plain, i + 1)
        };
        lexed.extend(chars[i..end].iter().map(|&c| (c, kind)));
        i = end;
    }
    lexed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str, python: bool) -> Vec<(Kind, String)> {
        runs(&lex_line(line, python, &mut false)).filter(|run| run.0 != Kind::Plain).collect()
    }

    #[test]
    fn python_keywords_strings_comments_and_numbers() {
        assert_eq!(
            kinds("while True: data=conn.recv(1024)\t#获取", true),
            [
                (Kind::Keyword, "while".to_string()),
                (Kind::Keyword, "True".to_string()),
                (Kind::Number, "1024".to_string()),
                (Kind::Comment, "#获取".to_string()),
            ]
        );
        assert_eq!(
            kinds("conn.sendall(b'HTTP/1.1 200 OK\\r\\n')", true),
            [(Kind::Str, "b'HTTP/1.1 200 OK\\r\\n'".to_string())]
        );
    }

    #[test]
    fn rust_lifetimes_are_not_strings_and_strings_carry_over_lines() {
        let found = kinds("let s: &'static str = \"a'b\"; // c", false);
        assert!(found.contains(&(Kind::Str, "\"a'b\"".to_string())), "{found:?}");
        assert!(found.contains(&(Kind::Comment, "// c".to_string())));
        assert_eq!(kinds("x == b'0'", false), [(Kind::Str, "b'0'".to_string())]);
        let lines = ["f(\"one \\".to_string(), "two\", 3)".to_string()];
        let lexed = lex_lines(&lines, false);
        assert_eq!(runs(&lexed[1]).next(), Some((Kind::Str, "two\"".to_string())));
        assert_eq!(lexed[1].last().map(|c| c.1), Some(Kind::Plain));
    }

    #[test]
    fn macros_and_types() {
        let found = kinds("Err(format!(\"x\"))", false);
        assert_eq!(found[0], (Kind::Type, "Err".to_string()));
        assert_eq!(found[1], (Kind::Builtin, "format!".to_string()));
    }
}
