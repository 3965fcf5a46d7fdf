//! The report in the terminal (two columns fitted to $COLUMNS) and as a
//! self-contained page (inline CSS, no external address).

use std::fmt::Write as _;

use super::rows::{Cell, Place, Row};
use super::Report;
use crate::compare::terminal::wrap_text as wrap;
use crate::text::{expand_tabs, pad};

/// At most this many calls are listed in one cell; the rest are counted.
const MOST_CALLS: usize = 24;

/// The terminal's width, as `compare` finds it ($COLUMNS, else the
/// terminal's own answer, else 100).
pub fn columns() -> usize {
    crate::compare::terminal::columns()
}

/// A cell as lines: the calls, then the counted rest.
fn cell_lines(cell: &Cell, row: &Row) -> Vec<String> {
    let mut lines = Vec::new();
    let summary = matches!(row.place, Place::StartUp | Place::Exit);
    if summary {
        if cell.total() > 0 {
            lines.push(format!("{} 次调用 / calls:", cell.total()));
            lines.push(cell.others_line());
        }
        return lines;
    }
    for call in cell.calls.iter().take(MOST_CALLS) {
        lines.push(call.clone());
    }
    if cell.calls.len() > MOST_CALLS {
        lines.push(format!(
            "… 另有 {0} 个 / {0} more",
            cell.calls.len() - MOST_CALLS
        ));
    }
    if !cell.others.is_empty() {
        lines.push(format!("+ {}", cell.others_line()));
    }
    lines
}

/// The whole report as text.
pub fn text(report: &Report, total: usize) -> String {
    let total = total.max(60);
    let column = (total - 5) / 2;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "== trace {}: 每行代码下面的系统调用 / the system calls underneath each line ==",
        report.pairing
    );
    for note in &report.notes {
        let _ = writeln!(out, "! {note}");
    }
    for (title, table) in &report.tables {
        let _ = writeln!(out, "\n## {title}");
        let _ = writeln!(
            out,
            "  {} │ Rust (strace -f -k)",
            pad("Python (strace -f)", column)
        );
        for row in &table.rows {
            let _ = writeln!(out, "{}", "─".repeat(total));
            for line in &row.title {
                for piece in wrap(&expand_tabs(line), total) {
                    let _ = writeln!(out, "{piece}");
                }
            }
            let left: Vec<String> = cell_lines(&row.python, row)
                .iter()
                .flat_map(|l| wrap(l, column))
                .collect();
            let right: Vec<String> = cell_lines(&row.rust, row)
                .iter()
                .flat_map(|l| wrap(l, column))
                .collect();
            for index in 0..left.len().max(right.len()) {
                let l = left.get(index).map_or("", String::as_str);
                let r = right.get(index).map_or("—", String::as_str);
                let l = if l.is_empty() && index == 0 { "—" } else { l };
                let line = format!("  {} │ {r}", pad(l, column));
                let _ = writeln!(out, "{}", line.trim_end());
            }
        }
    }
    for (title, diagram) in &report.diagrams {
        let _ = writeln!(out, "\n## 数据包 / packets — {title}");
        out.push_str(diagram);
    }
    if !report.files.is_empty() {
        let _ = writeln!(out, "\n完整记录 / full traces:");
        for file in &report.files {
            let _ = writeln!(out, "  {}", file.display());
        }
    }
    out
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:76rem;padding:.5rem;line-height:1.35}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border:1px solid #ccc;padding:.3rem;vertical-align:top;text-align:left}
th{background:#f3f3f3;font-weight:normal}
pre,code,td{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
td div{overflow-wrap:anywhere}
.diagram{white-space:pre;overflow-x:auto;border:1px solid #ccc;padding:.5rem}
.note{color:#8a5a00}
@media (max-width:700px){td{display:block;width:auto}td::before{content:attr(data-side);font-weight:bold;display:block}thead{display:none}}
";

/// The whole report as a self-contained page.
pub fn html(report: &Report) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>trace {0}</title><style>{STYLE}</style></head><body>\n\
<h1>trace {0}: 每行代码下面的系统调用 / the system calls underneath each line</h1>\n",
        escape(report.pairing)
    );
    for note in &report.notes {
        let _ = writeln!(page, "<p class=\"note\">{}</p>", escape(note));
    }
    for (title, table) in &report.tables {
        let _ = writeln!(page, "<h2>{}</h2>", escape(title));
        page.push_str("<table><thead><tr><th>Python (strace -f)</th><th>Rust (strace -f -k)</th></tr></thead><tbody>\n");
        for row in &table.rows {
            let title: Vec<String> = row.title.iter().map(|l| expand_tabs(l)).collect();
            let _ = writeln!(
                page,
                "<tr><th colspan=\"2\"><pre>{}</pre></th></tr>",
                escape(&title.join("\n"))
            );
            let cells = [("Python", &row.python), ("Rust", &row.rust)];
            page.push_str("<tr>");
            for (side, cell) in cells {
                let lines = cell_lines(cell, row);
                let body: String = if lines.is_empty() {
                    "<div>—</div>".to_string()
                } else {
                    lines
                        .iter()
                        .map(|l| format!("<div>{}</div>", escape(l)))
                        .collect()
                };
                let _ = write!(page, "<td data-side=\"{side}\">{body}</td>");
            }
            page.push_str("</tr>\n");
        }
        page.push_str("</tbody></table>\n");
    }
    for (title, diagram) in &report.diagrams {
        let _ = writeln!(
            page,
            "<h2>数据包 / packets — {}</h2>\n<pre class=\"diagram\">{}</pre>",
            escape(title),
            escape(diagram)
        );
    }
    page.push_str("</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_escaped_and_offline() {
        let mut table = super::super::rows::Table::new();
        table.rows.push(Row {
            place: Place::Unattributed,
            title: vec!["print('<b>&</b>')".to_string()],
            python: Cell::default(),
            rust: Cell::default(),
        });
        let report = Report {
            pairing: "hello",
            tables: vec![("hello-server".to_string(), table)],
            diagrams: vec![("Rust".to_string(), " │── SYN ─▶│\n".to_string())],
            notes: vec!["<note>".to_string()],
            files: Vec::new(),
        };
        let page = html(&report);
        assert!(
            page.contains("print(&#39;&lt;b&gt;&amp;&lt;/b&gt;&#39;)"),
            "{page}"
        );
        assert!(page.contains("&lt;note&gt;"), "{page}");
        assert!(page.contains("── SYN ─▶"), "{page}");
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{page}"
        );
        assert!(page.contains("<meta name=\"viewport\""), "{page}");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
