//! `cargo xtask compare --html`: one self-contained page per crate (the
//! listing on the left, the Rust on the right, one aligned row per `// py:`
//! group, and beside them the differences table of the crate README's
//! "与教程的不同" and "Differences from the tutorial", Chinese first) and
//! an index. The pages work offline: their style (`page.css`) and script
//! (`page.js`) are inline, and nothing links outside the folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::groups::{groups_of, Group};
use super::highlight::{runs, Kind};
use super::terminal::{lex_groups, line_width, soft_breaks};
use crate::pairings::{Program, PROGRAMS};
use crate::text::escape;
use crate::{workspace, TaskError};

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Where the pages go by default: `target/compare/` (or under
/// CARGO_TARGET_DIR).
pub fn default_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from);
    target.unwrap_or_else(|| workspace::root().join("target")).join("compare")
}

/// Writes the six pages and the index into `dir`; returns the index's path.
pub fn write_pages(dir: &Path) -> Result<PathBuf, TaskError> {
    let mut rows = String::new();
    for program in PROGRAMS {
        let (krate, listing) = (program.name, program.listing);
        let groups = groups_of(krate)?;
        let readme = workspace::read(&workspace::root().join(format!("crates/{krate}/README.md")))?;
        // The same section in each language of the README, Chinese first.
        let differences = [
            subsection(&readme, "中文", "与教程的不同"),
            subsection(&readme, "English", "Differences from the tutorial"),
        ];
        let page = crate_page(program, &groups, differences);
        workspace::write(&dir.join(format!("{krate}.html")), &page)?;
        let (count, lines) = (groups.len(), groups.iter().map(|g| g.python.len()).sum::<usize>());
        let _ = writeln!(
            rows,
            "<tr><td><a href=\"{krate}.html\">{krate}</a></td><td>{listing}</td><td>{count}</td><td>{lines}</td></tr>",
        );
    }
    // The index: the six crates, each beside its listing.
    let mut html = head("逐行对照 · Line by line", None);
    let _ = write!(
        html,
        "<header>\n<h1>Python \u{21c4} Rust 逐行对照</h1>\n\
         <p>教程的六个 Python 清单，每一行旁边是做同一件事的 Rust。</p>\n\
         <p lang=\"en\">The tutorial's six Python listings, each line beside the Rust that does its job.</p>\n\
         </header>\n<main class=\"index\">\n<table>\n<thead><tr><th>Rust crate</th>\
         <th>Python 清单 · listing</th><th>组 · groups</th><th>行 · lines</th></tr></thead>\n<tbody>\n\
         {rows}</tbody>\n</table>\n</main>\n{FOOTER}</body>\n</html>\n"
    );
    let index = dir.join("index.html");
    workspace::write(&index, &html)?;
    Ok(index)
}

/// The top of a page, up to its navigation: `current` is the crate shown.
fn head(title: &str, current: Option<&str>) -> String {
    let nav = PROGRAMS.map(|program| match Some(program.name) == current {
        true => format!(" <b aria-current=\"page\">{}</b>", program.name),
        false => format!(" <a href=\"{0}.html\">{0}</a>", program.name),
    });
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <nav><a href=\"index.html\">全部 · All</a>{}</nav>\n",
        nav.concat()
    )
}

const FOOTER: &str = "<footer>由 <code>cargo xtask compare --html</code> 生成 · made by \
                      <code>cargo xtask compare --html</code></footer>\n";

/// One line of code as HTML: highlighted spans, its indentation as `--i`
/// (the CSS hangs wrapped lines under it), `<wbr>` where it may wrap
/// between tokens. The run of spaces that lines a trailing comment up with
/// its neighbours (the listings' tabs) is marked, so a narrow screen can
/// close it up.
fn code_line(line: &[(char, Kind)], extra: &str) -> String {
    let indent = line.iter().take_while(|c| c.0 == ' ').count();
    let breaks = soft_breaks(line);
    let mut at = 0;
    let mut escaped = |text: &str| {
        let mut html = String::new();
        for ch in text.chars() {
            if breaks.get(at).copied().unwrap_or(false) {
                html.push_str("<wbr>");
            }
            html.push_str(&escape(ch.encode_utf8(&mut [0; 4])));
            at += 1;
        }
        html
    };
    let mut html = format!("<span class=\"l\"{extra} style=\"--i:{indent}\">");
    let runs: Vec<(Kind, String)> = runs(line).collect();
    for (index, (kind, text)) in runs.iter().enumerate() {
        let before_comment = runs.get(index + 1).is_some_and(|run| run.0 == Kind::Comment);
        let body = text.trim_end_matches(' ');
        let gap = &text[body.len()..];
        let aligns = before_comment && (index > 0 || !body.is_empty()) && gap.len() >= 3;
        let (body, gap) = if aligns { (body, gap) } else { (text.as_str(), "") };
        let (class, body) = (kind.class_and_colour().0, escaped(body));
        if class.is_empty() {
            html.push_str(&body);
        } else {
            let _ = write!(html, "<span class=\"{class}\">{body}</span>");
        }
        if !gap.is_empty() {
            let _ = write!(html, "<span class=\"gap\">{}</span>", escaped(gap));
        }
    }
    html + "</span>"
}

/// The page of one crate; `differences` holds the README's section in
/// Chinese, then in English. Program and file names need no escaping.
pub fn crate_page(program: &Program, groups: &[Group], differences: [&str; 2]) -> String {
    let lexed = lex_groups(groups);
    let widest = lexed.iter().flat_map(|g| &g.0).map(|line| line_width(line)).max();
    let (krate, listing) = (program.name, program.listing);
    let title = format!("{krate} \u{21c4} {listing} · 逐行对照 Line by line");
    let mut html = head(&title, Some(krate));
    let _ = write!(
        html,
        "<header>\n<h1>{krate} <span class=\"arrow\">\u{21c4}</span> {listing}</h1>\n\
         <p>教程的 Python 清单 {listing}（引自 <code>crates/{krate}/src/main.rs</code> 的 \
         <code>// py:</code> 注释）和做同一件事的 Rust：宽屏上左右并排，窄屏上每组先 Python 后 Rust。\
         <span class=\"hint\">把鼠标移到一行上或轻触它，另一边对应的代码会高亮。</span></p>\n\
         <p lang=\"en\">The tutorial's Python listing {listing}, as the <code>// py:</code> \
         lines of <code>crates/{krate}/src/main.rs</code> quote it, and the Rust that does \
         each line's job: side by side on a wide screen, each group's Python then its Rust on a \
         narrow one. <span class=\"hint\">Hover over or tap a line to highlight its \
         counterpart.</span></p>\n\
         <p class=\"jump\"><a href=\"#differences\">与教程的不同 · Differences from the tutorial</a></p>\n\
         </header>\n<div class=\"layout\">\n<main style=\"--pw:{}\">\n\
         <div class=\"heads\" aria-hidden=\"true\"><div>Python · 教程清单 listing</div>\
         <div>Rust · src/main.rs</div></div>\n",
        widest.unwrap_or(0) + 4
    );
    let mut quoted = 0;
    for (index, (python, rust)) in lexed.iter().enumerate() {
        let number = index + 1;
        // Neighbouring groups get distant hues, as Compiler Explorer does.
        let hue = (index * 137) % 360;
        let _ = write!(
            html,
            "<section class=\"g\" id=\"g{number}\" data-g=\"{number}\" style=\"--h:{hue}\">\n\
             <div class=\"py\" data-label=\"Python\"><a class=\"no\" href=\"#g{number}\" \
             title=\"第 {number} 组 · group {number}\">{number}</a><pre><code>"
        );
        for line in python {
            quoted += 1;
            html.push_str(&code_line(line, &format!(" data-n=\"{quoted}\"")));
        }
        html.push_str("</code></pre></div>\n<div class=\"rs\" data-label=\"Rust\"><pre><code>");
        for line in rust {
            html.push_str(&code_line(line, ""));
        }
        html.push_str("</code></pre></div>\n</section>\n");
    }
    html.push_str(
        "</main>\n<aside id=\"differences\">\n<h2>与教程的不同 \
         <span lang=\"en\">Differences from the tutorial</span></h2>\n",
    );
    for ((lang, language), section) in
        [("zh-CN", "中文"), ("en", "English")].iter().zip(differences)
    {
        let _ = writeln!(html, "<section lang=\"{lang}\">\n<h3>{language}</h3>");
        if section.trim().is_empty() {
            html.push_str("<p>（无 · none）</p>\n");
        }
        html.push_str(&section_html(section));
        html.push_str("</section>\n");
    }
    let _ = write!(
        html,
        "<p class=\"from\">摘自 <code>crates/{krate}/README.md</code> · from the crate's README</p>\n\
         </aside>\n</div>\n{FOOTER}<script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    );
    html
}

/// The section under `### <heading>` inside the README's `## <part>`, up
/// to the next heading; empty if there is none. The READMEs are laid out
/// `## 中文` then `## English`, with the same `###` sections (the rule is
/// in crates/README.md, Conventions).
pub fn subsection<'a>(readme: &'a str, part: &str, heading: &str) -> &'a str {
    let body_after = |text: &'a str, line: &str| {
        let at = text.match_indices(line).map(|(at, _)| at);
        let at = at.into_iter().find(|&at| at == 0 || text[..at].ends_with('\n'))?;
        Some(text[at..].split_once('\n').map_or("", |(_, body)| body))
    };
    let part = body_after(readme, &format!("## {part}\n"));
    let part = part.map(|part| part.split("\n## ").next().unwrap_or(part));
    let section = part.and_then(|part| body_after(part, &format!("### {heading}\n")));
    section.map_or("", |section| section.split("\n### ").next().unwrap_or(section))
}

/// A README section as HTML: its pipe tables, each body cell carrying its
/// column's heading as `data-label` (a narrow screen shows each row as a
/// card); other lines as paragraphs.
fn section_html(section: &str) -> String {
    let (mut html, mut paragraph, mut heads) = (String::new(), Vec::new(), None::<Vec<String>>);
    for line in section.lines().map(str::trim).chain([""]) {
        match (line.strip_prefix('|').map(cells), &heads) {
            (Some(cells), None) => {
                let row: String = cells.iter().map(|c| format!("<th>{}</th>", inline(c))).collect();
                let _ = write!(html, "<table>\n<thead><tr>{row}</tr></thead>\n<tbody>\n");
                heads = Some(cells);
            }
            // The rule under the headings.
            (Some(cells), Some(_)) if cells.iter().all(|c| is_rule(c)) => {}
            (Some(cells), Some(heads)) => {
                let labels = heads.iter().map(|head| escape(&head.replace(['`', '*'], "")));
                let labels = labels.chain(std::iter::repeat(String::new()));
                let row = cells.iter().zip(labels).map(|(cell, label)| {
                    format!("<td data-label=\"{label}\">{}</td>", inline(cell))
                });
                let _ = writeln!(html, "<tr>{}</tr>", row.collect::<String>());
            }
            (None, _) => {
                if heads.take().is_some() {
                    html.push_str("</tbody>\n</table>\n");
                }
                if !line.is_empty() {
                    paragraph.push(line);
                } else if !paragraph.is_empty() {
                    let _ = writeln!(html, "<p>{}</p>", inline(&paragraph.join(" ")));
                    paragraph.clear();
                }
            }
        }
    }
    html
}

/// Whether a cell is of the rule under a table's headings: `---`, `:-:`.
fn is_rule(cell: &str) -> bool {
    !cell.is_empty() && cell.chars().all(|ch| "-: ".contains(ch))
}

/// The cells of a table row (after its first `|`); `\|` is a `|` in a cell.
fn cells(row: &str) -> Vec<String> {
    let row = row.strip_suffix('|').unwrap_or(row).replace("\\|", "\u{0}");
    row.split('|').map(|cell| cell.trim().replace('\u{0}', "|")).collect()
}

/// A cell's markdown: `code` and **bold**, the rest text.
fn inline(text: &str) -> String {
    let (mut html, mut rest, mut bold) = (String::new(), text, false);
    while let Some(at) = rest.find(['`', '*']) {
        html.push_str(&escape(&rest[..at]));
        rest = &rest[at..];
        if let Some((code, after)) = rest.strip_prefix('`').and_then(|r| r.split_once('`')) {
            let _ = write!(html, "<code>{}</code>", escape(code.trim()));
            rest = after;
        } else if rest.starts_with("**") && (bold || rest[2..].contains("**")) {
            html.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = &rest[2..];
        } else {
            html.push_str(&escape(&rest[..1]));
            rest = &rest[1..];
        }
    }
    html + &escape(rest)
}

#[cfg(test)]
mod tests {
    use super::super::groups::parse;
    use super::super::highlight::lex_line;
    use super::*;

    #[test]
    fn code_lines_are_escaped_indented_and_mark_the_gap_before_a_comment() {
        let line = lex_line("    if a<b:      #比较 <x>", true, &mut false);
        assert_eq!(
            code_line(&line, ""),
            "<span class=\"l\" style=\"--i:4\">    <span class=\"k\">if</span> a&lt;<wbr>b:\
             <span class=\"gap\">      </span><span class=\"c\">#比较 &lt;x&gt;</span></span>"
        );
        let line = lex_line("f(a,'b c')", true, &mut false);
        assert_eq!(
            code_line(&line, ""),
            "<span class=\"l\" style=\"--i:0\">f(<wbr>a,\
             <span class=\"s\"><wbr>&#39;b c&#39;</span>)</span>"
        );
    }

    #[test]
    fn a_page_has_one_row_per_group_and_the_differences_tables() {
        let groups = parse("// py: print('<hi>')\nfn main() {}\n// py: x = 1\nlet x = 1;\n");
        let differences = [
            "| 甲 | 乙 |\n|---|---|\n| 丙 | 丁 |\n",
            "| a | b `x\\|y` |\n|---|---|\n| `<c>` | **d `e`** |\n\ntwo & three.\n",
        ];
        let page = crate_page(&crate::pairings::HELLO_SERVER, &groups, differences);
        assert_eq!(page.matches("<section class=\"g\"").count(), 2);
        assert!(page.contains("&#39;&lt;hi&gt;&#39;"));
        assert!(page.contains("<th>b <code>x|y</code></th>"), "{page}");
        assert!(page.contains("<td data-label=\"a\"><code>&lt;c&gt;</code></td>"), "{page}");
        assert!(
            page.contains("<td data-label=\"b x|y\"><strong>d <code>e</code></strong></td>"),
            "{page}"
        );
        assert!(page.contains("</table>\n<p>two &amp; three.</p>"), "{page}");
        assert!(!page.contains("<hi>") && !page.contains("http"));
        let chinese = page.find("<td data-label=\"甲\">丙</td>");
        let english = page.find("<td data-label=\"a\">");
        assert!(chinese.is_some() && chinese < english, "Chinese first");
    }

    #[test]
    fn a_subsection_is_found_in_its_part_only() {
        let readme = "# x\n## 中文\n### 运行\na\n### 与教程的不同\n表\n## English\n\
                      ### Run\nb\n### Differences from the tutorial\n\ntable\n\
                      ## 逐行对照 / Line by line\nrest";
        assert_eq!(subsection(readme, "中文", "与教程的不同"), "表");
        assert_eq!(subsection(readme, "English", "Differences from the tutorial"), "\ntable");
        assert_eq!(subsection(readme, "English", "与教程的不同"), "");
    }
}
