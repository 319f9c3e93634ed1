//! The report's document model: blocks of text, tables and charts, independent of the
//! format they are written in.

/// Inline text.
#[derive(Debug, Clone, PartialEq)]
pub enum Span {
    Text(String),
    Code(String),
    Strong(String),
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
