//! Colour for what xtask prints, the same for every task: on a terminal
//! that takes ANSI colour, unless `NO_COLOR` is set; never into a pipe or a
//! file.

use std::io::IsTerminal;

/// Whether to colour, decided once per run.
#[derive(Clone, Copy)]
pub struct Paint {
    colour: bool,
}

impl Paint {
    /// Colour when stdout is a terminal that takes ANSI colour and
    /// `NO_COLOR` is unset or empty.
    pub fn detect() -> Paint {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        Paint {
            colour: std::io::stdout().is_terminal()
                && !set("NO_COLOR")
                && takes_colour(cfg!(windows), set),
        }
    }

    /// No colour at all (for tests).
    #[cfg(test)]
    pub fn plain() -> Paint {
        Paint { colour: false }
    }

    /// Colour always (for tests).
    #[cfg(test)]
    pub fn always() -> Paint {
        Paint { colour: true }
    }

    /// `text` in the SGR colour `code` (`"1"` bold, `"32"` green, …).
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.colour && !code.is_empty() && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// A heading line, bold.
    pub fn header(&self, text: &str) -> String {
        format!("{}\n", self.paint("1", text))
    }

    /// A program's `[name]` label in its colour.
    pub fn label(&self, name: &str, colour: &str) -> String {
        self.paint(colour, &format!("[{name}]"))
    }
}

/// Whether the terminal takes ANSI colour. Unix terminals do. On Windows
/// the console shows escape sequences as text unless asked (with
/// `SetConsoleMode`, which needs `unsafe`): colour only where the terminal
/// is known to take it: Windows Terminal (`WT_SESSION`), a Unix-like one
/// such as mintty (`TERM`), ConEmu and Cmder (`ConEmuANSI=ON`).
fn takes_colour(windows: bool, set: impl Fn(&str) -> bool) -> bool {
    if !windows {
        return true;
    }
    let conemu = std::env::var("ConEmuANSI").is_ok_and(|v| v == "ON");
    set("WT_SESSION") || set("TERM") || conemu
}

#[cfg(test)]
mod tests {
    use super::takes_colour;

    #[test]
    fn windows_consoles_get_colour_only_where_known_to_take_it() {
        let none = |_: &str| false;
        assert!(takes_colour(false, none));
        assert!(!takes_colour(true, none));
        assert!(takes_colour(true, |name: &str| name == "WT_SESSION"));
        assert!(takes_colour(true, |name: &str| name == "TERM"));
    }
}
