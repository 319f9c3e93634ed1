//! Charts, one kind per file: batch times, percentile spectra, the overview;
//! [`render`] holds what they share (sizes, fonts, SVG+PNG output). The keys that name a run's
//! charts live here, below the document that links them, so `doc` needs nothing from
//! `report/mod.rs` (which calls it).

pub mod batch;
pub mod overview;
pub mod render;
pub mod spectrum;
pub mod sweep_achieved;
pub mod sweep_latency;

pub use batch::BatchChart;
pub use overview::OverviewChart;
pub use render::Rendered;
pub use spectrum::SpectrumChart;

use std::collections::BTreeMap;

/// Which chart a rendered file is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChartKey {
    Overview,
    Batch {
        scenario: String,
    },
    Spectrum {
        scenario: String,
        variant: String,
        metric: String,
    },
}

/// Every chart of a run, by key.
pub type ChartSet = BTreeMap<ChartKey, Rendered>;
