//! `REPORT.md`: the report [`Document`] as GitHub-flavoured Markdown. Tables are padded so the
//! raw file reads well in a terminal or a diff, not only when rendered; charts are linked as
//! SVG (with the PNG beside them for slides).

use std::fmt::Write as _;

use crate::report::doc::model::{Block, Document, Span, Table};

/// Renders the whole document.
pub fn render(doc: &Document) -> String {
    render_with(doc, true)
}

/// Renders the whole document with its tables unpadded (`pad` false): the same Markdown when
/// rendered, a smaller file to paste (BRIEF.md, REPORT.md); the per-scenario pages keep the
/// padding that lines tables up in a terminal.
pub fn render_compact(doc: &Document) -> String {
    render_with(doc, false)
}

fn render_with(doc: &Document, pad: bool) -> String {
    let mut out = String::new();
    for (i, block) in doc.blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        block_md(&mut out, block, pad);
    }
    out
}

fn block_md(out: &mut String, block: &Block, pad: bool) {
    match block {
        Block::Heading { level, text, .. } => {
            let _ = writeln!(
                out,
                "{} {}",
                "#".repeat(usize::from((*level).clamp(1, 6))),
                inline_text(text)
            );
        }
        Block::Para(spans) => {
            let _ = writeln!(out, "{}", spans_md(spans));
        }
        Block::List(items) => {
            for item in items {
                let _ = writeln!(out, "- {}", spans_md(item));
            }
        }
        Block::Table(t) if pad => out.push_str(&table(t)),
        Block::Table(t) => out.push_str(&compact_table(t)),
        Block::Chart { svg, png, alt } => {
            let _ = writeln!(out, "![{}]({svg})", inline_text(alt));
            // An empty PNG path: the page links the SVG alone (the brief, to stay short).
            if !png.is_empty() {
                let _ = writeln!(out, "\n<sub>[PNG]({png})</sub>");
            }
        }
        Block::Code(code) => {
            // A fence longer than any backtick run inside, so the block cannot end early.
            let longest = longest_run(code, '`');
            let fence = "`".repeat(longest.max(2) + 1);
            let _ = writeln!(out, "{fence}sh\n{code}\n{fence}");
        }
    }
}

fn spans_md(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| match s {
            Span::Text(t) => inline_text(t),
            Span::Strong(t) => format!("**{}**", inline_text(t.trim_end())) + trailing_space(t),
            Span::Code(c) => code_span(c),
            Span::Page { text, md, .. } => format!("[{}]({md})", inline_text(text)),
            Span::Link { text, heading, .. } => {
                format!("[{}](#{})", inline_text(text), crate::report::doc::github_slug(heading))
            }
        })
        .collect()
}

fn trailing_space(t: &str) -> &'static str {
    if t.ends_with(' ') { " " } else { "" }
}

/// Escapes the characters that would start Markdown syntax inside running text. An underscore
/// inside a word (`join_all`) cannot start emphasis in GFM, so it stays readable unescaped;
/// backticks pass through, because report text marks commands and keys as `code` with them.
fn inline_text(t: &str) -> String {
    let chars: Vec<char> = t.chars().collect();
    let mut out = String::with_capacity(t.len());
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphanumeric());
        let intraword = c == '_' && word(i.checked_sub(1)) && word(Some(i + 1));
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '|') && !intraword {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code span that survives backticks in its content (CommonMark §6.1).
fn code_span(c: &str) -> String {
    let ticks = "`".repeat(longest_run(c, '`') + 1);
    let pad = if c.starts_with('`') || c.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{c}{pad}{ticks}")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        cur = if c == ch { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

/// A table with columns padded to their widest cell and `---:` for right-aligned columns.
/// A table without padding: `| a | b |` rows under a minimal rule.
pub fn compact_table(t: &Table) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let line = |cells: &[String]| {
        format!(
            "| {} |\n",
            cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        )
    };
    let mut out = line(&t.header);
    let rule: Vec<&str> = (0..t.header.len())
        .map(|i| {
            if t.right.get(i).copied().unwrap_or(false) {
                "--:"
            } else {
                "---"
            }
        })
        .collect();
    let _ = writeln!(out, "| {} |", rule.join(" | "));
    for r in &t.rows {
        out.push_str(&line(r));
    }
    out
}

/// The widest column that is padded to line up.
pub const PROSE_WIDTH: usize = 60;

pub fn table(t: &Table) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let header: Vec<String> = t.header.iter().map(|h| cell(h)).collect();
    let rows: Vec<Vec<String>> = t.rows.iter().map(|r| r.iter().map(|c| cell(c)).collect()).collect();
    let cols = header.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
    let width = |i: usize| {
        let w = rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count());
        w.chain(header.get(i).map(|h| h.chars().count()))
            .max()
            .unwrap_or(0)
            .max(3)
    };
    // A column of prose (wider than PROSE_WIDTH) is not padded: padding it would fill the file
    // with spaces without making it line up in a terminal anyway.
    let widths: Vec<usize> = (0..cols)
        .map(width)
        .map(|w| if w > PROSE_WIDTH { 3 } else { w })
        .collect();
    let right = |i: usize| t.right.get(i).copied().unwrap_or(false);
    let line = |cells: &[String]| {
        let padded: Vec<String> = (0..cols)
            .map(|i| {
                let c = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = " ".repeat(widths[i].saturating_sub(c.chars().count()));
                if right(i) {
                    format!("{pad}{c}")
                } else {
                    format!("{c}{pad}")
                }
            })
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(&header);
    let rule: Vec<String> = (0..cols)
        .map(|i| {
            if right(i) {
                format!("{}:", "-".repeat(widths[i] - 1))
            } else {
                "-".repeat(widths[i])
            }
        })
        .collect();
    let _ = writeln!(out, "| {} |", rule.join(" | "));
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_syntax_is_escaped() {
        assert_eq!(
            inline_text("join_all *fast* | <b> _x_"),
            "join_all \\*fast\\* \\| \\<b\\> \\_x\\_"
        );
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("plain"), "`plain`");
    }

    #[test]
    fn code_block_fence_outlasts_content() {
        let mut out = String::new();
        block_md(&mut out, &Block::Code("echo ```".into()), true);
        assert!(out.starts_with("````sh\n"), "{out}");
    }
}
