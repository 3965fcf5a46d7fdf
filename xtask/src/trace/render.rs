//! The report of a trace: in the terminal, two columns fitted to its width
//! as compare fits its view; as a self-contained page (its style is
//! `page.css`, no external address).

use std::fmt::Write as _;
use std::path::PathBuf;

use super::rows::{Cell, Place, Row};
use crate::compare::terminal::wrap_text;
use crate::text::{char_width, escape, expand_tabs, pad};

/// Everything the page and the terminal show.
pub struct Report {
    pub pairing: &'static str,
    /// Per program: its title and its rows.
    pub tables: Vec<(String, Vec<Row>)>,
    /// Per run: the title, the packets drawn, and what they show (中文
    /// paragraphs, then English).
    pub diagrams: Vec<(String, String, Vec<String>)>,
    pub notes: Vec<String>,
    pub files: Vec<PathBuf>,
}

/// At most this many calls are listed in one cell; the rest are counted.
const MOST_CALLS: usize = 24;

/// A cell as lines: the calls, then the counted rest.
fn cell_lines(cell: &Cell, row: &Row) -> Vec<String> {
    let others = cell.others_line();
    if matches!(row.place, Place::StartUp | Place::Exit) {
        let total = cell.total();
        return match total {
            0 => Vec::new(),
            _ => vec![format!("{total} 次调用 / calls:"), others],
        };
    }
    let mut lines: Vec<String> = cell.calls.iter().take(MOST_CALLS).cloned().collect();
    if let Some(more) = cell.calls.len().checked_sub(MOST_CALLS).filter(|&n| n > 0) {
        lines.push(format!("… 另有 {more} 个 / {more} more"));
    }
    if !others.is_empty() {
        lines.push(format!("+ {others}"));
    }
    lines
}

const TITLE: &str = "每行代码下面的系统调用 / the system calls underneath each line";
const HEADS: [&str; 2] = ["Python (strace -f)", "Rust (strace -f -k)"];

/// The whole report as text, `total` columns wide (at least 60).
pub fn text(report: &Report, total: usize) -> String {
    let total = total.max(60);
    let column = (total - 5) / 2;
    let mut out = format!("== trace {}: {TITLE} ==\n", report.pairing);
    for note in &report.notes {
        let _ = writeln!(out, "! {note}");
    }
    for (title, rows) in &report.tables {
        let _ = writeln!(out, "\n## {title}\n  {} │ {}", pad(HEADS[0], column), HEADS[1]);
        for row in rows {
            let _ = writeln!(out, "{}", "─".repeat(total));
            for line in row.title.iter().flat_map(|line| wrap_text(&expand_tabs(line), total)) {
                let _ = writeln!(out, "{line}");
            }
            let wrapped = |cell| -> Vec<String> {
                let lines = cell_lines(cell, row);
                lines.iter().flat_map(|l| wrap_text(l, column)).collect()
            };
            let (left, right) = (wrapped(&row.python), wrapped(&row.rust));
            for index in 0..left.len().max(right.len()) {
                let l = left.get(index).map_or("", String::as_str);
                let r = right.get(index).map_or("—", String::as_str);
                let l = if l.is_empty() && index == 0 { "—" } else { l };
                let _ = writeln!(out, "{}", format!("  {} │ {r}", pad(l, column)).trim_end());
            }
        }
    }
    for (title, diagram, explained) in &report.diagrams {
        let _ = write!(out, "\n## 数据包 / packets — {title}\n{diagram}");
        for line in explained.iter().flat_map(|text| wrap_text(text, total.min(100))) {
            let _ = writeln!(out, "{line}");
        }
    }
    if !report.files.is_empty() {
        out.push_str("\n完整记录 / full traces:\n");
        for file in &report.files {
            let _ = writeln!(out, "  {}", file.display());
        }
    }
    out
}

/// The whole report as a self-contained page.
pub fn html(report: &Report) -> String {
    let pairing = escape(report.pairing);
    let mut page = format!(
        "<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>trace {pairing}</title><style>\n{}</style></head><body>\n\
         <h1>trace {pairing}: {TITLE}</h1>\n",
        include_str!("page.css")
    );
    for note in &report.notes {
        let _ = writeln!(page, "<p class=\"note\">{}</p>", escape(note));
    }
    for (title, rows) in &report.tables {
        let _ = writeln!(
            page,
            "<h2>{}</h2>\n<table><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>",
            escape(title),
            HEADS[0],
            HEADS[1]
        );
        for row in rows {
            let title: Vec<String> = row.title.iter().map(|l| expand_tabs(l)).collect();
            let title = escape(&title.join("\n"));
            let _ = write!(page, "<tr><th colspan=\"2\"><pre>{title}</pre></th></tr>\n<tr>");
            for (side, cell) in [("Python", &row.python), ("Rust", &row.rust)] {
                let lines = cell_lines(cell, row);
                let lines = lines.iter().map(|l| format!("<div>{}</div>", escape(l)));
                let body = lines.collect::<String>();
                let body = if body.is_empty() { "<div>—</div>".to_string() } else { body };
                let _ = write!(page, "<td data-side=\"{side}\">{body}</td>");
            }
            page.push_str("</tr>\n");
        }
        page.push_str("</tbody></table>\n");
    }
    for (title, diagram, explained) in &report.diagrams {
        // Each character that is not ASCII in a box as wide as a terminal
        // draws it: the lanes align whatever fonts the browser mixes.
        let cell = |c: char| match c {
            '\n' | ' '..='~' => escape(&c.to_string()),
            c => format!("<i style=\"width:{}ch\">{c}</i>", char_width(c)),
        };
        let (title, diagram) = (escape(title), diagram.chars().map(cell).collect::<String>());
        let _ = writeln!(
            page,
            "<h2>数据包 / packets — {title}</h2>\n<pre class=\"diagram\">{diagram}</pre>"
        );
        explained.iter().for_each(|text| page += &format!("<p>{}</p>\n", escape(text)));
    }
    page + "</body></html>\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_escaped_and_offline() {
        let row = Row {
            place: Place::Unattributed,
            title: vec!["print('<b>&</b>')".to_string()],
            python: Cell::default(),
            rust: Cell::default(),
        };
        let report = Report {
            pairing: "hello",
            tables: vec![("hello-server".to_string(), vec![row])],
            diagrams: vec![("Rust".into(), " │── SYN ─▶│\n".into(), vec!["中文".into()])],
            notes: vec!["<note>".to_string()],
            files: Vec::new(),
        };
        let page = html(&report);
        assert!(page.contains("print(&#39;&lt;b&gt;&amp;&lt;/b&gt;&#39;)"), "{page}");
        assert!(page.contains("&lt;note&gt;") && page.contains("<i style=\"width:1ch\">▶</i>"));
        assert!(page.contains("</pre>\n<p>中文</p>"), "{page}");
        assert!(!page.contains("http://") && !page.contains("https://"), "{page}");
        assert!(page.contains("<meta name=\"viewport\""), "{page}");
        let text = text(&report, 80);
        assert!(text.contains("─\nprint('<b>&</b>')\n") && text.contains("── SYN ─▶│\n中文\n"));
    }
}
