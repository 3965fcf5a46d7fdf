//! Just enough markdown to HTML for the crate READMEs' sections on the
//! compare page (found with [`section`] and [`subsection`]): pipe tables, lists, paragraphs, `###` headings, and inline
//! code spans, bold and links (a link keeps its text only: the page links
//! nowhere). Everything else is escaped text.

use std::fmt::Write as _;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// The section of `readme` under the `## <heading>` line, up to the next
/// `## ` heading.
pub fn section<'a>(readme: &'a str, heading: &str) -> Option<&'a str> {
    let start = readme
        .match_indices(&format!("## {heading}"))
        .find(|&(at, _)| at == 0 || readme[..at].ends_with('\n'))
        .map(|(at, _)| at)?;
    let body = &readme[start..];
    let body = body.split_once('\n').map_or("", |(_, rest)| rest);
    Some(body.split("\n## ").next().unwrap_or(body))
}

/// The section of `readme` under the `### <heading>` line inside the
/// `## <part>` part, up to the next `###` or `##` heading. The READMEs are
/// laid out `## 中文` then `## English`, each with the same `###` sections
/// (the rule is in crates/README.md, Conventions).
pub fn subsection<'a>(readme: &'a str, part: &str, heading: &str) -> Option<&'a str> {
    let part = section(readme, part)?;
    let start = part
        .match_indices(&format!("### {heading}"))
        .find(|&(at, _)| at == 0 || part[..at].ends_with('\n'))
        .map(|(at, _)| at)?;
    let body = &part[start..];
    let body = body.split_once('\n').map_or("", |(_, rest)| rest);
    Some(body.split("\n### ").next().unwrap_or(body))
}

/// Markdown blocks to HTML.
pub fn to_html(markdown: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = markdown.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            i += 1;
        } else if trimmed.starts_with('|') {
            let end = block_end(&lines, i, |l| l.trim_start().starts_with('|'));
            table(&mut out, &lines[i..end]);
            i = end;
        } else if let Some(heading) = trimmed.strip_prefix("### ") {
            let _ = writeln!(out, "<h3>{}</h3>", inline(heading));
            i += 1;
        } else if list_item(trimmed).is_some() {
            out.push_str("<ul>\n");
            while i < lines.len() {
                let Some(item) = list_item(lines[i].trim_start()) else {
                    break;
                };
                let mut text = item.to_string();
                i += 1;
                // Continuation lines are indented under the item.
                while i < lines.len()
                    && lines[i].starts_with(' ')
                    && !lines[i].trim().is_empty()
                    && list_item(lines[i].trim_start()).is_none()
                {
                    text.push(' ');
                    text.push_str(lines[i].trim());
                    i += 1;
                }
                let _ = writeln!(out, "<li>{}</li>", inline(&text));
            }
            out.push_str("</ul>\n");
        } else {
            let end = block_end(&lines, i, |l| {
                let t = l.trim_start();
                !t.is_empty()
                    && !t.starts_with('|')
                    && !t.starts_with('#')
                    && list_item(t).is_none()
            });
            let end = end.max(i + 1);
            let text: Vec<&str> = lines[i..end].iter().map(|l| l.trim()).collect();
            let _ = writeln!(out, "<p>{}</p>", inline(&text.join(" ")));
            i = end;
        }
    }
    out
}

fn block_end(lines: &[&str], from: usize, keep: impl Fn(&str) -> bool) -> usize {
    lines[from..]
        .iter()
        .position(|l| !keep(l))
        .map_or(lines.len(), |at| from + at)
}

fn list_item(line: &str) -> Option<&str> {
    line.strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| {
            let digits = line.chars().take_while(char::is_ascii_digit).count();
            (digits > 0)
                .then(|| line[digits..].strip_prefix(". "))
                .flatten()
        })
}

/// A pipe table: header row, the `|---|` row, body rows. Each body cell
/// carries its column's header as `data-label`, so a narrow screen can show
/// each row as a card.
fn table(out: &mut String, rows: &[&str]) {
    let cells: Vec<Vec<String>> = rows.iter().map(|row| split_row(row)).collect();
    let Some((head, rest)) = cells.split_first() else {
        return;
    };
    let is_rule = |row: &Vec<String>| {
        row.iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
    };
    let body = match rest.first() {
        Some(rule) if is_rule(rule) => &rest[1..],
        _ => rest,
    };
    out.push_str("<table>\n<thead><tr>");
    for cell in head {
        let _ = write!(out, "<th>{}</th>", inline(cell));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in body {
        out.push_str("<tr>");
        for (index, cell) in row.iter().enumerate() {
            let label = head.get(index).map_or(String::new(), |h| plain(h));
            let _ = write!(
                out,
                "<td data-label=\"{}\">{}</td>",
                escape(&label),
                inline(cell)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The cells of `| a | b |`; `\|` is a `|` inside a cell.
fn split_row(row: &str) -> Vec<String> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = row.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                cell.push('|');
            }
            '|' => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(ch),
        }
    }
    cells.push(cell);
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// A cell's text without markup, for a label.
fn plain(text: &str) -> String {
    text.replace(['`', '*'], "")
}

/// Inline markdown: code spans, `**bold**`, `[text](link)` (text only).
pub fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with('`') {
            let ticks = rest.len() - rest.trim_start_matches('`').len();
            let fence = &rest[..ticks];
            if let Some(end) = rest[ticks..].find(fence) {
                let code = &rest[ticks..ticks + end];
                let _ = write!(out, "<code>{}</code>", escape(code.trim()));
                rest = &rest[ticks + end + ticks..];
                continue;
            }
            out.push_str(&escape(fence));
            rest = &rest[ticks..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = after.find("**") {
                let _ = write!(out, "<strong>{}</strong>", inline(&after[..end]));
                rest = &after[end + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('[') {
            if let Some((label, tail)) = after.split_once("](") {
                if let Some(close) = tail.find(')') {
                    if !label.contains('[') {
                        out.push_str(&inline(label));
                        rest = &tail[close + 1..];
                        continue;
                    }
                }
            }
        }
        // Plain text up to the next character that may start markup.
        let first = rest.chars().next().map_or(1, char::len_utf8);
        let next = rest[first..]
            .find(['`', '*', '['])
            .map_or(rest.len(), |at| at + first);
        out.push_str(&escape(&rest[..next]));
        rest = &rest[next..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_become_html_tables_with_labelled_cells() {
        let html = to_html("| A | B `x\\|y` |\n|---|---|\n| `<b>` | **c** [d](http://e) |\n");
        assert_eq!(
            html,
            "<table>\n<thead><tr><th>A</th><th>B <code>x|y</code></th></tr></thead>\n<tbody>\n\
             <tr><td data-label=\"A\"><code>&lt;b&gt;</code></td>\
             <td data-label=\"B x|y\"><strong>c</strong> d</td></tr>\n</tbody>\n</table>\n"
        );
    }

    #[test]
    fn paragraphs_and_lists() {
        let html = to_html("— 中文\ntwo & three.\n\n- a\n  more\n- `b`\n");
        assert_eq!(
            html,
            "<p>— 中文 two &amp; three.</p>\n<ul>\n<li>a more</li>\n<li><code>b</code></li>\n</ul>\n"
        );
    }

    #[test]
    fn a_section_runs_to_the_next_heading() {
        let readme = "# x\n## Differences from the tutorial\n\nbody\n## Line by line\nrest";
        assert_eq!(
            section(readme, "Differences from the tutorial"),
            Some("\nbody")
        );
    }

    #[test]
    fn a_subsection_is_found_in_its_part_only() {
        let readme = "# x\n## 中文\n### 运行\na\n### 与教程的不同\n表\n## English\n\
                      ### Run\nb\n### Differences from the tutorial\n\ntable\n\
                      ## 逐行对照 / Line by line\nrest";
        assert_eq!(subsection(readme, "中文", "与教程的不同"), Some("表"));
        assert_eq!(
            subsection(readme, "English", "Differences from the tutorial"),
            Some("\ntable")
        );
        assert_eq!(subsection(readme, "English", "与教程的不同"), None);
    }
}
