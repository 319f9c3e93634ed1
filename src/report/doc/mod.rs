//! The report as a document: a small model ([`model`]) built from a run
//! ([`build`], [`tables`]) or from a sweep ([`sweep`]) and written as Markdown or HTML.

pub mod build;
pub mod cost;
pub mod findings;
pub mod first_screen;
pub mod html;
pub mod markdown;
pub mod method;
pub mod model;
pub mod scaling;
pub mod sweep;
pub mod tables;

pub use build::build;
pub use model::{Block, Document, Span, Table, anchor, github_slug};
