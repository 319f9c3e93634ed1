//! The report's document model: blocks of text, tables and charts, independent of the
//! format they are written in.

/// Inline text.
#[derive(Debug, Clone, PartialEq)]
pub enum Span {
    Text(String),
    Code(String),
    Strong(String),
    /// A link to the heading with `id` (see [`Heading`](Block::Heading)): `#id` in HTML; in
    /// Markdown to the slug GitHub derives from `heading`, that heading's text.
    Link {
        text: String,
        id: String,
        heading: String,
    },
    /// A link to another page of the run: `md` from a Markdown page, `html` from an HTML one
    /// (both relative to the page that links).
    Page {
        text: String,
        md: String,
        html: String,
    },
}

/// A table: header, per-column right alignment, rows of plain cells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub right: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Level 1–4; `id` is a stable anchor for HTML.
    Heading {
        level: u8,
        text: String,
        id: String,
    },
    Para(Vec<Span>),
    List(Vec<Vec<Span>>),
    Table(Table),
    /// A chart: paths relative to the run directory.
    Chart {
        svg: String,
        png: String,
        alt: String,
    },
    Code(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
}

/// An anchor id: lowercase `[a-z0-9-]`.
pub fn anchor(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// The fragment GitHub gives a Markdown heading (github-slugger's rule): lowercase, spaces to
/// `-`, letters, digits, `_` and `-` kept, everything else dropped.
pub fn github_slug(heading: &str) -> String {
    heading
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_githubs_rule() {
        assert_eq!(github_slug("Scenario fetch_parallel"), "scenario-fetch_parallel");
        assert_eq!(
            github_slug("fetch_parallel / join_all-keepalive"),
            "fetch_parallel--join_all-keepalive"
        );
        assert_eq!(
            anchor("fetch_parallel / join_all-keepalive"),
            "fetch-parallel-join-all-keepalive"
        );
    }
}
