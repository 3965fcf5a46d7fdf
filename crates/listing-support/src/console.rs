//! The programs' stdout and stderr: stdout takes what the listing prints
//! (one write per piece, flushed, so that threads never mix their lines);
//! stderr takes everything the Rust adds ([`warn`]). On a terminal it also
//! knows whether the cursor is still after a prompt, so that a message
//! starts on a line of its own instead of being glued to the prompt.

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::stop::{OrFail, Stop};

/// A prompt (text without a newline) is on the terminal, the cursor after it.
static AFTER_PROMPT: AtomicBool = AtomicBool::new(false);
/// The program's name, the start of each of its messages.
static NAME: OnceLock<&'static str> = OnceLock::new();

/// Writes `text` to stdout and flushes it; a reader that has gone stops
/// the program quietly. stdout stays locked only for this write.
pub fn write_stdout(text: &str) -> Result<(), Stop> {
    let mut stdout = io::stdout().lock();
    let written = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
    if written.as_ref().is_err_and(|error| error.kind() == io::ErrorKind::BrokenPipe) {
        return Err(Stop::StdoutClosed);
    }
    written.or_fail(|| "无法写标准输出")?;
    AFTER_PROMPT.store(!text.ends_with('\n') && stdout.is_terminal(), Ordering::SeqCst);
    Ok(())
}

/// A line was typed: its Enter moved the cursor to a new line.
pub fn line_typed() {
    AFTER_PROMPT.store(false, Ordering::SeqCst);
}

/// Names the program in its messages.
pub fn set_name(name: &'static str) {
    let _ = NAME.set(name);
}

/// Writes `{program}: {message}` as one line on stderr (one write: another
/// thread's output cannot split it), on a new line if a prompt is showing.
pub fn warn(message: impl fmt::Display) {
    let name = NAME.get().copied().unwrap_or("listing-support");
    let new_line = if leave_prompt() { "\n" } else { "" };
    let _ = io::stderr().write_all(format!("{new_line}{name}: {message}\n").as_bytes());
}

/// Ends the line of a prompt still showing (the input ended there), so
/// that what comes next, the shell's prompt, starts on its own line.
pub fn end_prompt_line() {
    if leave_prompt() {
        let _ = io::stderr().write_all(b"\n");
    }
}

/// Whether a prompt is showing on a terminal that stderr is too; from now
/// on the cursor counts as moved to a new line.
fn leave_prompt() -> bool {
    AFTER_PROMPT.swap(false, Ordering::SeqCst) && io::stderr().is_terminal()
}
