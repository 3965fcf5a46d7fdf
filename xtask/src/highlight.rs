//! A small syntax highlighter for the two languages `compare` shows side by
//! side: it tells keywords, strings, comments and numbers apart, line by
//! line, carrying an open string over to the next line. It is enough for
//! colouring and for knowing where a line may be wrapped; it is not a
//! parser.

/// The language of a listing's lines or of a `main.rs`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Python,
    Rust,
}

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
    /// The CSS class of the page and the ANSI colour of the terminal.
    pub fn class(self) -> &'static str {
        match self {
            Kind::Plain => "",
            Kind::Keyword => "k",
            Kind::Builtin => "b",
            Kind::Type => "t",
            Kind::Str => "s",
            Kind::Comment => "c",
            Kind::Number => "n",
        }
    }
}

/// A run of characters of one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub text: String,
}

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "self",
];

const PYTHON_BUILTINS: &[&str] = &[
    "print", "input", "str", "float", "int", "len", "bytes", "range", "open",
];

const RUST_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while",
];

/// Splits `lines` into tokens, one list per line. A Rust string left open
/// at the end of a line (a `\` continuation) goes on in the next.
pub fn lex_lines(lines: &[String], lang: Lang) -> Vec<Vec<Token>> {
    let mut open_string = false;
    lines
        .iter()
        .map(|line| {
            let (tokens, still_open) = lex_line(line, lang, open_string);
            open_string = still_open;
            tokens
        })
        .collect()
}

/// The tokens of one line, and whether a string is still open at its end.
pub fn lex_line(line: &str, lang: Lang, in_string: bool) -> (Vec<Token>, bool) {
    let chars: Vec<char> = line.chars().collect();
    let mut tokens: Vec<Token> = Vec::new();
    let mut push = |kind: Kind, text: &[char]| {
        if text.is_empty() {
            return;
        }
        match tokens.last_mut() {
            Some(last) if last.kind == kind => last.text.extend(text),
            _ => tokens.push(Token {
                kind,
                text: text.iter().collect(),
            }),
        }
    };
    let mut i = 0;
    if in_string {
        let (end, closed) = string_end(&chars, 0, '"');
        push(Kind::Str, &chars[..end]);
        if !closed {
            return (tokens, true);
        }
        i = end;
    }
    while i < chars.len() {
        let ch = chars[i];
        let next = chars.get(i + 1).copied();
        let comment = match lang {
            Lang::Python => ch == '#',
            Lang::Rust => ch == '/' && next == Some('/'),
        };
        if comment {
            push(Kind::Comment, &chars[i..]);
            break;
        }
        if ch == '"' || (ch == '\'' && (lang == Lang::Python || char_literal(&chars, i))) {
            let (end, closed) = string_end(&chars, i + 1, ch);
            push(Kind::Str, &chars[i..end]);
            if !closed && lang == Lang::Rust && ch == '"' {
                return (tokens, true);
            }
            i = end;
        } else if ch.is_ascii_digit() {
            let end = run_end(&chars, i, |c| {
                c.is_ascii_alphanumeric() || c == '_' || c == '.'
            });
            // `1..2` is a range, not a number with two points.
            let end = chars[i..end]
                .windows(2)
                .position(|w| w == ['.', '.'])
                .map_or(end, |at| i + at);
            push(Kind::Number, &chars[i..end]);
            i = end;
        } else if ch.is_alphabetic() || ch == '_' {
            let end = run_end(&chars, i, |c| c.is_alphanumeric() || c == '_');
            let word: String = chars[i..end].iter().collect();
            // A string prefix: b'..', r"..", f'..' and the like.
            let quote = chars.get(end).copied();
            if matches!(quote, Some('"' | '\''))
                && matches!(word.as_str(), "b" | "r" | "f" | "u" | "br" | "rb")
                && (lang == Lang::Python || quote == Some('"') || char_literal(&chars, end))
            {
                let quote = quote.unwrap_or('"');
                let (close, closed) = string_end(&chars, end + 1, quote);
                push(Kind::Str, &chars[i..close]);
                if !closed && lang == Lang::Rust && quote == '"' {
                    return (tokens, true);
                }
                i = close;
                continue;
            }
            let kind = word_kind(&word, lang, quote);
            push(kind, &chars[i..end]);
            if kind == Kind::Builtin && lang == Lang::Rust {
                // The macro's `!`.
                push(kind, &chars[end..end + 1]);
                i = end + 1;
            } else {
                i = end;
            }
        } else {
            push(Kind::Plain, &chars[i..i + 1]);
            i += 1;
        }
    }
    (tokens, false)
}

fn word_kind(word: &str, lang: Lang, next: Option<char>) -> Kind {
    match lang {
        Lang::Python if PYTHON_KEYWORDS.contains(&word) => Kind::Keyword,
        Lang::Python if PYTHON_BUILTINS.contains(&word) && next == Some('(') => Kind::Builtin,
        Lang::Rust if RUST_KEYWORDS.contains(&word) => Kind::Keyword,
        Lang::Rust if next == Some('!') => Kind::Builtin,
        _ if word.starts_with(|c: char| c.is_ascii_uppercase()) => Kind::Type,
        _ => Kind::Plain,
    }
}

/// Whether the `'` at `at` opens a Rust character literal (`'x'`, `'\n'`,
/// `'\x1b'`) rather than a lifetime (`'static`).
fn char_literal(chars: &[char], at: usize) -> bool {
    match chars.get(at + 1) {
        Some('\\') => chars[at + 2..].iter().take(10).any(|&c| c == '\''),
        Some(_) => chars.get(at + 2) == Some(&'\''),
        None => false,
    }
}

/// Where a string that opened before `from` ends (just after its closing
/// quote), and whether it closed on this line.
fn string_end(chars: &[char], from: usize, quote: char) -> (usize, bool) {
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            c if c == quote => return (i + 1, true),
            _ => i += 1,
        }
    }
    (chars.len(), false)
}

fn run_end(chars: &[char], from: usize, keep: impl Fn(char) -> bool) -> usize {
    chars[from..]
        .iter()
        .position(|&c| !keep(c))
        .map_or(chars.len(), |at| from + at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str, lang: Lang) -> Vec<(Kind, String)> {
        lex_line(line, lang, false)
            .0
            .into_iter()
            .filter(|t| t.kind != Kind::Plain)
            .map(|t| (t.kind, t.text))
            .collect()
    }

    #[test]
    fn python_keywords_strings_comments_and_numbers() {
        assert_eq!(
            kinds("while True: data=conn.recv(1024)\t#获取", Lang::Python),
            [
                (Kind::Keyword, "while".to_string()),
                (Kind::Keyword, "True".to_string()),
                (Kind::Number, "1024".to_string()),
                (Kind::Comment, "#获取".to_string()),
            ]
        );
        assert_eq!(
            kinds("conn.sendall(b'HTTP/1.1 200 OK\\r\\n')", Lang::Python),
            [(Kind::Str, "b'HTTP/1.1 200 OK\\r\\n'".to_string())]
        );
    }

    #[test]
    fn rust_lifetimes_are_not_strings_and_strings_carry_over_lines() {
        let found = kinds("let s: &'static str = \"a'b\"; // c", Lang::Rust);
        assert!(
            found.contains(&(Kind::Str, "\"a'b\"".to_string())),
            "{found:?}"
        );
        assert!(found.contains(&(Kind::Comment, "// c".to_string())));
        assert_eq!(
            kinds("x == b'0'", Lang::Rust),
            [(Kind::Str, "b'0'".to_string())]
        );
        let lines = ["f(\"one \\".to_string(), "two\", 3)".to_string()];
        let lexed = lex_lines(&lines, Lang::Rust);
        assert_eq!(lexed[1][0].kind, Kind::Str);
        assert_eq!(lexed[1][0].text, "two\"");
        assert_eq!(lexed[1].last().map(|t| t.kind), Some(Kind::Plain));
    }

    #[test]
    fn macros_and_types() {
        let found = kinds("Err(format!(\"x\"))", Lang::Rust);
        assert_eq!(found[0], (Kind::Type, "Err".to_string()));
        assert_eq!(found[1], (Kind::Builtin, "format!".to_string()));
    }
}
