//! The library behind `cargo xtask` (xtask/README.md names each file): the
//! table of the pairings, the process harness that the end-to-end tests
//! use too, and the tasks, each a module the binary (`main.rs`) runs.

pub mod bench;
pub mod check;
pub mod compare;
pub mod demo;
pub mod harness;
pub mod linux;
pub mod pairings;
pub mod session;
pub mod text;
pub mod trace;
pub mod workspace;

/// Why a task did not succeed.
#[derive(Debug)]
pub enum TaskError {
    /// The command line was wrong (exit 2).
    Usage(String),
    /// The task ran and failed (exit 1).
    Failed(String),
}

impl TaskError {
    pub fn usage(message: impl Into<String>) -> Self {
        TaskError::Usage(message.into())
    }

    pub fn failed(message: impl Into<String>) -> Self {
        TaskError::Failed(message.into())
    }

    pub fn message(&self) -> &str {
        match self {
            TaskError::Usage(message) | TaskError::Failed(message) => message,
        }
    }
}

/// What the harness reports is a failure of the task.
impl From<String> for TaskError {
    fn from(message: String) -> Self {
        TaskError::Failed(message)
    }
}

/// Writes to stdout; a closed stdout (`| head`) is not worth a panic.
pub fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// A task's command line: `-h`/`--help`, its options (each of `valued`
/// with the value after it) and the words that are no option, in order.
pub struct Args<'a> {
    pub help: bool,
    options: Vec<(&'a str, &'a str)>,
    pub words: Vec<&'a str>,
}

impl<'a> Args<'a> {
    /// Reads `args`; an option that is neither in `flags` nor in `valued`
    /// is a usage error.
    pub fn parse(args: &'a [String], flags: &[&str], valued: &[&str]) -> Result<Self, TaskError> {
        let mut parsed = Args { help: false, options: Vec::new(), words: Vec::new() };
        let mut args = args.iter().map(String::as_str);
        while let Some(arg) = args.next() {
            match arg {
                "-h" | "--help" => parsed.help = true,
                option if valued.contains(&option) => {
                    let value = args.next().ok_or_else(|| {
                        TaskError::usage(format!("{option} 需要一个值 / needs a value"))
                    })?;
                    parsed.options.push((option, value));
                }
                option if flags.contains(&option) => parsed.options.push((option, "")),
                option if option.starts_with('-') => {
                    return Err(TaskError::usage(format!("未知选项 / unknown option {option:?}")))
                }
                word => parsed.words.push(word),
            }
        }
        Ok(parsed)
    }

    /// Whether `option` was given.
    pub fn has(&self, option: &str) -> bool {
        self.value(option).is_some()
    }

    /// The value of `option`, the last one given.
    pub fn value(&self, option: &str) -> Option<&'a str> {
        self.options.iter().rev().find(|(name, _)| *name == option).map(|(_, value)| *value)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Each task's help says the same in 中文 and English: its Chinese
    /// paragraphs name the options, variables and numbers its English
    /// ones name.
    #[test]
    fn every_help_says_the_same_in_both_languages() {
        for help in [
            crate::demo::HELP,
            crate::compare::HELP,
            crate::trace::HELP,
            crate::bench::HELP,
            crate::check::HELP,
        ] {
            let named = |chinese: bool| -> BTreeSet<&str> {
                let paragraphs = help.split("\n\n").skip(1);
                let paragraphs = paragraphs.filter(|p| {
                    p.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) == chinese
                });
                let words = paragraphs.flat_map(|p| {
                    p.split(|c: char| !(c.is_ascii_alphanumeric() || "-$_".contains(c)))
                });
                let named = |w: &&str| {
                    w.starts_with("--") || w.starts_with('$') || w.parse::<u32>().is_ok()
                };
                words.filter(named).collect()
            };
            assert_eq!(named(true), named(false), "{help}");
        }
    }
}
