//! `cargo xtask compare --html [DIR]`: one self-contained page per crate
//! (the listing on the left, the Rust on the right, one aligned row per
//! `// py:` group, the crate README's "与教程的不同" and "Differences from the
//! tutorial" beside them, Chinese first)
//! and an index. Pages work offline: styles and script are inline and
//! nothing links outside the folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::compare::{groups_of, lex_groups, Group, PROGRAMS};
use crate::highlight::{Kind, Token};
use crate::markdown::{escape, subsection, to_html};
use crate::width::{soft_breaks, width};
use crate::workspace::root as workspace_root;
use crate::TaskError;

/// Where the pages go by default: `target/compare/` (or under
/// CARGO_TARGET_DIR).
pub fn default_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("compare")
}

/// Writes the six pages and the index into `dir`; returns the index's path.
pub fn write_pages(dir: &Path) -> Result<PathBuf, TaskError> {
    std::fs::create_dir_all(dir)
        .map_err(|error| TaskError::failed(format!("cannot create {}: {error}", dir.display())))?;
    let write = |name: &str, html: String| {
        let path = dir.join(name);
        std::fs::write(&path, html)
            .map_err(|error| TaskError::failed(format!("cannot write {}: {error}", path.display())))
    };
    let mut summaries = Vec::new();
    for (krate, listing) in PROGRAMS {
        let groups = groups_of(krate)?;
        let readme_path = workspace_root()
            .join("crates")
            .join(krate)
            .join("README.md");
        let readme = std::fs::read_to_string(&readme_path).map_err(|error| {
            TaskError::failed(format!("cannot read {}: {error}", readme_path.display()))
        })?;
        // The same section in each language of the README, Chinese first.
        let differences = [
            Differences {
                lang: "zh-CN",
                language: "中文",
                markdown: subsection(&readme, "中文", "与教程的不同").unwrap_or(""),
            },
            Differences {
                lang: "en",
                language: "English",
                markdown: subsection(&readme, "English", "Differences from the tutorial")
                    .unwrap_or(""),
            },
        ];
        write(
            &format!("{krate}.html"),
            crate_page(krate, listing, &groups, &differences),
        )?;
        let lines = groups.iter().map(|g| g.python.len()).sum::<usize>();
        summaries.push((krate, listing, groups.len(), lines));
    }
    write("index.html", index_page(&summaries))?;
    Ok(dir.join("index.html"))
}

/// One language's "Differences from the tutorial" section of a crate's
/// README, as markdown.
pub struct Differences<'a> {
    /// The HTML `lang` of the text.
    pub lang: &'a str,
    /// The language's name, as the section's heading on the page.
    pub language: &'a str,
    pub markdown: &'a str,
}

/// The page's file name for a crate.
pub fn page_name(krate: &str) -> String {
    format!("{krate}.html")
}

/// One line of code as HTML: highlighted spans, its indentation as `--i`
/// (the CSS hangs wrapped lines under it). The run of spaces that lines a
/// trailing comment up with its neighbours (the listings' tabs) is marked,
/// so a narrow screen can close it up.
fn code_line(tokens: &[Token], extra: &str) -> String {
    let text: String = tokens.iter().map(|t| t.text.as_str()).collect();
    let indent = text.len() - text.trim_start_matches(' ').len();
    let breaks = soft_breaks(tokens);
    // Escaped text, with `<wbr>` where the line may wrap between tokens.
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
    for (index, token) in tokens.iter().enumerate() {
        let before_comment = tokens
            .get(index + 1)
            .is_some_and(|t| t.kind == Kind::Comment);
        let (body, gap) = match token.text.trim_end_matches(' ') {
            body if before_comment
                && (index > 0 || !body.is_empty())
                && token.text.len() - body.len() >= 3 =>
            {
                (body, &token.text[body.len()..])
            }
            _ => (token.text.as_str(), ""),
        };
        let class = token.kind.class();
        let body = escaped(body);
        if class.is_empty() {
            html.push_str(&body);
        } else {
            let _ = write!(html, "<span class=\"{class}\">{body}</span>");
        }
        if !gap.is_empty() {
            let gap = escaped(gap);
            let _ = write!(html, "<span class=\"gap\">{gap}</span>");
        }
    }
    html.push_str("</span>");
    html
}

fn nav(current: Option<&str>) -> String {
    let mut html = String::from("<nav><a href=\"index.html\">全部 · All</a>");
    for (krate, _) in PROGRAMS {
        if Some(krate) == current {
            let _ = write!(html, " <b aria-current=\"page\">{krate}</b>");
        } else {
            let _ = write!(html, " <a href=\"{}\">{krate}</a>", page_name(krate));
        }
    }
    html.push_str("</nav>\n");
    html
}

/// The page of one crate.
pub fn crate_page(
    krate: &str,
    listing: &str,
    groups: &[Group],
    differences: &[Differences],
) -> String {
    let lexed = lex_groups(groups);
    let widest = lexed
        .python
        .iter()
        .flatten()
        .map(|line| line.iter().map(|t| width(&t.text)).sum::<usize>())
        .max()
        .unwrap_or(0);
    let title = format!("{krate} \u{21c4} {listing}");
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · 逐行对照 Line by line</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    html.push_str(&nav(Some(krate)));
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
         </header>\n",
        krate = escape(krate),
        listing = escape(listing),
    );
    let _ = write!(
        html,
        "<div class=\"layout\">\n<main style=\"--pw:{}\">\n\
         <div class=\"heads\" aria-hidden=\"true\"><div>Python · 教程清单 listing</div>\
         <div>Rust · src/main.rs</div></div>\n",
        widest + 4
    );
    let mut quoted = 0;
    for (index, (python, rust)) in lexed.python.iter().zip(&lexed.rust).enumerate() {
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
    html.push_str("</main>\n<aside id=\"differences\">\n<h2>与教程的不同 <span lang=\"en\">Differences from the tutorial</span></h2>\n");
    for Differences {
        lang,
        language,
        markdown,
    } in differences
    {
        let _ = writeln!(
            html,
            "<section lang=\"{}\">\n<h3>{}</h3>",
            escape(lang),
            escape(language)
        );
        if markdown.trim().is_empty() {
            html.push_str("<p>（无 · none）</p>\n");
        } else {
            html.push_str(&to_html(markdown));
        }
        html.push_str("</section>\n");
    }
    let _ = write!(
        html,
        "<p class=\"from\">摘自 <code>crates/{krate}/README.md</code> · from the crate's README</p>\n\
         </aside>\n</div>\n<footer>由 <code>cargo xtask compare --html</code> 生成 · made by \
         <code>cargo xtask compare --html</code></footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        krate = escape(krate)
    );
    html
}

/// The index: the six crates, each beside its listing.
fn index_page(summaries: &[(&str, &str, usize, usize)]) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>逐行对照 · Line by line</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    html.push_str(&nav(None));
    html.push_str(
        "<header>\n<h1>Python \u{21c4} Rust 逐行对照</h1>\n\
         <p>教程的六个 Python 清单，每一行旁边是做同一件事的 Rust。</p>\n\
         <p lang=\"en\">The tutorial's six Python listings, each line beside the Rust that does its job.</p>\n\
         </header>\n<main class=\"index\">\n<table>\n<thead><tr><th>Rust crate</th>\
         <th>Python 清单 · listing</th><th>组 · groups</th><th>行 · lines</th></tr></thead>\n<tbody>\n",
    );
    for (krate, listing, groups, lines) in summaries {
        let _ = writeln!(
            html,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{groups}</td><td>{lines}</td></tr>",
            page_name(krate),
            escape(krate),
            escape(listing)
        );
    }
    let _ = write!(
        html,
        "</tbody>\n</table>\n</main>\n<footer>由 <code>cargo xtask compare --html</code> 生成 · made by \
         <code>cargo xtask compare --html</code></footer>\n</body>\n</html>\n"
    );
    html
}

const STYLE: &str = r#"
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#fff;--code:#f6f8fa;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","Noto Sans Mono CJK SC","Noto Sans Mono",monospace}
*{box-sizing:border-box}
body{margin:0 auto;padding:0 1rem 2rem;max-width:1600px;color:var(--fg);background:var(--bg);
font:15px/1.55 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
nav{padding:.6rem 0;border-bottom:1px solid var(--line);font-size:14px;display:flex;flex-wrap:wrap;gap:.3rem .9rem}
nav a{color:#0969da;text-decoration:none}
nav b{color:var(--fg)}
h1{font-size:1.5rem;margin:.8rem 0 .3rem}
h1 .arrow{color:var(--muted);font-weight:400}
header p{margin:.2rem 0;color:var(--muted);max-width:60rem}
code{font-family:var(--mono);font-size:.92em}
.layout{display:grid;grid-template-columns:minmax(0,1fr);gap:1.5rem;margin-top:1rem}
@media (min-width:1100px){.layout{grid-template-columns:minmax(0,1fr) 21rem}
aside{position:sticky;top:.5rem;max-height:calc(100vh - 1rem);overflow:auto}}
.heads,.g{display:grid;grid-template-columns:minmax(0,min(calc(var(--pw) * 1ch),45%)) minmax(0,1fr);
font-family:var(--mono);font-size:13px}
.heads{position:sticky;top:0;z-index:1;background:var(--bg);border-bottom:2px solid var(--line);
font-family:inherit;font-weight:600;font-size:13px}
.heads div{padding:.3rem .6rem}
.g{border-bottom:1px solid var(--line)}
.py,.rs{position:relative;border-left:4px solid hsl(var(--h) 65% 60%);min-width:0}
.py{background:#fbfbf8}
.rs{border-left-width:2px}
pre{margin:0;padding:.35rem .6rem .35rem 3.2rem;font:inherit;line-height:1.5}
.rs pre{padding-left:.8rem}
.l{display:block;min-height:1.5em;white-space:pre-wrap;overflow-wrap:break-word;
padding-left:calc((var(--i) + 2) * 1ch);text-indent:calc((var(--i) + 2) * -1ch);position:relative;border-radius:2px}
.l[data-n]::before{content:attr(data-n);position:absolute;left:-2.9rem;width:2.2rem;text-indent:0;
text-align:right;color:#8c959f;font-size:11px;line-height:1.5rem}
.no{position:absolute;top:.35rem;left:.25rem;font-size:10px;color:#fff;background:hsl(var(--h) 55% 45%);
border-radius:3px;padding:0 .25rem;text-decoration:none;line-height:1.5;display:none}
.g:hover .l,.g.on .l{background:hsl(var(--h) 90% 94%)}
.g:hover .l:hover,.g.on .l:hover{background:hsl(var(--h) 90% 85%)}
.g.pin{outline:2px solid hsl(var(--h) 60% 50%);outline-offset:-2px}
.k{color:#cf222e;font-weight:600}.b{color:#8250df}.t{color:#0550ae}.s{color:#116329}.c{color:#6e7781;font-style:italic}.n{color:#953800}
aside h2{font-size:1.05rem;margin:.2rem 0 .6rem}
aside h2 span{display:block;font-size:.85rem;color:var(--muted);font-weight:400}
aside h3{font-size:.95rem;margin:.8rem 0 .4rem}
aside table,aside thead,aside tbody,aside tr,aside td{display:block}
aside thead{display:none}
aside tr{border:1px solid var(--line);border-left:4px solid #8c959f;border-radius:6px;padding:.4rem .6rem;margin:0 0 .7rem;font-size:13.5px}
aside td{padding:.15rem 0}
aside td::before{content:attr(data-label);display:block;font-size:11px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
aside .from{font-size:12px;color:var(--muted)}
main.index{overflow-x:auto}
main.index table{border-collapse:collapse;margin-top:.5rem}
main.index th,main.index td{border:1px solid var(--line);padding:.4rem .5rem;text-align:left}
main.index td:nth-child(n+3){text-align:right}
main.index td:first-child{white-space:nowrap}
a{color:#0969da}
.jump{font-size:14px}
@media (min-width:1100px){.jump{display:none}}
footer{margin-top:2rem;font-size:12px;color:var(--muted)}
@media (max-width:760px){
body{padding:0 .5rem 1.5rem}
.heads{display:none}
.g{grid-template-columns:minmax(0,1fr);padding:.5rem 0}
.rs{margin-left:1.2rem}
.py::before,.rs::before{content:attr(data-label);display:block;padding:.2rem .6rem 0 2.6rem;
font:600 10px/1.6 system-ui,sans-serif;color:var(--muted);letter-spacing:.04em}
.rs::before{padding-left:.6rem}
.no{display:inline;top:.25rem}
pre{padding-left:2.6rem;padding-top:.1rem}
.rs pre{padding-left:.6rem}
.gap{font-size:0}
.gap::before{content:"  ";font-size:13px}
}
@media print{
@page{margin:12mm}
body{max-width:none;font-size:10pt;padding:0}
nav,.hint,.jump,footer{display:none}
.layout{display:block}
aside{position:static;max-height:none;overflow:visible;margin-top:1rem}
.heads{position:static}
.g{break-inside:avoid;font-size:8.5pt}
.g:hover .l{background:none}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"#;

const SCRIPT: &str = r#"
(function(){
  var shown=null, pinned=null;
  function show(group){
    if(shown&&shown!==group){shown.classList.remove('on');}
    shown=group;
    if(group){group.classList.add('on');}
  }
  function groupOf(target){return target&&target.closest?target.closest('.g'):null;}
  document.addEventListener('mouseover',function(event){
    if(!pinned){show(groupOf(event.target));}
  });
  document.addEventListener('click',function(event){
    if(event.target.closest&&event.target.closest('a')){return;}
    var group=groupOf(event.target);
    if(pinned){pinned.classList.remove('pin');}
    pinned=(group&&group!==pinned)?group:null;
    if(pinned){pinned.classList.add('pin');}
    show(pinned||group);
  });
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::parse;
    use crate::highlight::{lex_line, Lang};

    #[test]
    fn code_lines_are_escaped_indented_and_mark_the_gap_before_a_comment() {
        let (tokens, _) = lex_line("    if a<b:      #比较 <x>", Lang::Python, false);
        assert_eq!(
            code_line(&tokens, ""),
            "<span class=\"l\" style=\"--i:4\">    <span class=\"k\">if</span> a&lt;<wbr>b:\
             <span class=\"gap\">      </span><span class=\"c\">#比较 &lt;x&gt;</span></span>"
        );
        let (tokens, _) = lex_line("f(a,'b c')", Lang::Python, false);
        assert_eq!(
            code_line(&tokens, ""),
            "<span class=\"l\" style=\"--i:0\">f(<wbr>a,\
             <span class=\"s\"><wbr>&#39;b c&#39;</span>)</span>"
        );
    }

    #[test]
    fn a_page_has_one_row_per_group_and_the_differences() {
        let groups = parse("// py: print('<hi>')\nfn main() {}\n// py: x = 1\nlet x = 1;\n");
        let page = crate_page(
            "hello-server",
            "hello_server.py",
            &groups,
            &[
                Differences {
                    lang: "zh-CN",
                    language: "中文",
                    markdown: "| 甲 | 乙 |\n|---|---|\n| 丙 | 丁 |\n",
                },
                Differences {
                    lang: "en",
                    language: "English",
                    markdown: "| a | b |\n|---|---|\n| `<c>` | d |\n",
                },
            ],
        );
        assert_eq!(page.matches("<section class=\"g\"").count(), 2);
        assert!(page.contains("&#39;&lt;hi&gt;&#39;"));
        assert!(page.contains("<td data-label=\"a\"><code>&lt;c&gt;</code></td>"));
        assert!(!page.contains("<hi>") && !page.contains("http"));
        let chinese = page.find("<td data-label=\"甲\">丙</td>");
        let english = page.find("<td data-label=\"a\">");
        assert!(chinese.is_some() && chinese < english, "Chinese first");
    }
}
