//! Charts, one kind per file: batch times, percentile spectra, the overview;
//! [`render`] holds what they share (sizes, fonts, SVG+PNG output).

pub mod batch;
pub mod overview;
pub mod render;
pub mod spectrum;

pub use batch::BatchChart;
pub use overview::OverviewChart;
pub use render::Rendered;
pub use spectrum::SpectrumChart;
