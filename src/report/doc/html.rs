//! `index.html`: the same report [`Document`] as one self-contained page for sharing: styles
//! inline, every chart's SVG embedded in the page (no external file, script or font), each
//! linked to its PNG in the run directory.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::report::doc::model::{Block, Document, Span, Table};
use crate::results::ResultsError;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1200px;margin:2em auto;\
padding:0 1em;color:#222;line-height:1.45}h1,h2,h3,h4{line-height:1.2}h2{border-bottom:1px solid #ddd;\
padding-bottom:.2em;margin-top:2em}table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid \
#ccc;padding:.25em .6em}th{background:#f3f3f3}td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}\
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f5f5f5}code{padding:0 .2em}pre{padding:.8em;\
overflow-x:auto}figure{margin:1em 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.85em;color:#555}\
li.warn{color:#8a4b00}";

/// Renders the page. Reads each chart's SVG from the run directory; a missing chart is an
/// error naming it.
pub fn render(doc: &Document, run_dir: &Path) -> Result<String, ResultsError> {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&doc.title)
    );
    for block in &doc.blocks {
        block_html(&mut out, block, run_dir)?;
    }
    out.push_str("</body>\n</html>\n");
    Ok(out)
}

fn block_html(out: &mut String, block: &Block, run_dir: &Path) -> Result<(), ResultsError> {
    match block {
        Block::Heading { level, text, id } => {
            let l = (*level).clamp(1, 6);
            let _ = writeln!(out, "<h{l} id=\"{}\">{}</h{l}>", escape(id), escape(text));
        }
        Block::Para(spans) => {
            let _ = writeln!(out, "<p>{}</p>", spans_html(spans));
        }
        Block::List(items) => {
            out.push_str("<ul>\n");
            for item in items {
                let warn = matches!(item.first(), Some(Span::Text(t)) if t.starts_with('⚠'));
                let class = if warn { " class=\"warn\"" } else { "" };
                let _ = writeln!(out, "<li{class}>{}</li>", spans_html(item));
            }
            out.push_str("</ul>\n");
        }
        Block::Table(t) => out.push_str(&table(t)),
        Block::Chart { svg, png, alt } => {
            let path = run_dir.join(svg);
            let text = fs::read_to_string(&path).map_err(|source| ResultsError::Read { path, source })?;
            let _ = writeln!(
                out,
                "<figure role=\"img\" aria-label=\"{}\">\n{}\n<figcaption>{} · <a href=\"{}\">PNG</a> · <a \
                 href=\"{}\">SVG</a></figcaption>\n</figure>",
                escape(alt),
                strip_prolog(&text),
                escape(alt),
                escape(png),
                escape(svg)
            );
        }
        Block::Code(code) => {
            let _ = writeln!(out, "<pre><code>{}</code></pre>", escape(code));
        }
    }
    Ok(())
}

fn spans_html(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| match s {
            Span::Text(t) => code_marks(&escape(t)),
            Span::Strong(t) => format!("<strong>{}</strong>", escape(t)),
            Span::Code(c) => format!("<code>{}</code>", escape(c)),
            Span::Link { text, id, .. } => format!("<a href=\"#{}\">{}</a>", escape(id), escape(text)),
            Span::Page { text, html, .. } => format!("<a href=\"{}\">{}</a>", escape(html), escape(text)),
        })
        .collect()
}

fn table(t: &Table) -> String {
    let class = |i: usize| {
        if t.right.get(i).copied().unwrap_or(false) {
            " class=\"r\""
        } else {
            ""
        }
    };
    let mut out = String::from("<table>\n<thead><tr>");
    for (i, h) in t.header.iter().enumerate() {
        let _ = write!(out, "<th{}>{}</th>", class(i), escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", class(i), escape(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// Report text marks code with backticks (as in Markdown); balanced pairs become `<code>`,
/// anything else stays as written.
fn code_marks(escaped: &str) -> String {
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len() < 3 || parts.len().is_multiple_of(2) {
        return escaped.to_string();
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, p) in parts.iter().enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(p);
            out.push_str("</code>");
        } else {
            out.push_str(p);
        }
    }
    out
}

/// An SVG file may start with an XML declaration or doctype, which is invalid inside HTML.
fn strip_prolog(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |i| &svg[i..])
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_strips() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(strip_prolog("<?xml version=\"1.0\"?>\n<svg a>"), "<svg a>");
        assert_eq!(strip_prolog("no svg"), "no svg");
        assert_eq!(code_marks("run `cargo bench` now"), "run <code>cargo bench</code> now");
        assert_eq!(code_marks("odd ` tick"), "odd ` tick");
    }
}
