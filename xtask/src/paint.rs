//! Colour for what xtask prints, the same for every task: on a terminal,
//! unless `NO_COLOR` is set; never into a pipe or a file.

use std::io::IsTerminal;

/// Whether to colour, decided once per run.
#[derive(Clone, Copy)]
pub struct Paint {
    colour: bool,
}

impl Paint {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn detect() -> Paint {
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Paint {
            colour: std::io::stdout().is_terminal() && !no_colour,
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
