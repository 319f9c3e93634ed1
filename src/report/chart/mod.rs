//! Charts, one kind per file: batch times, percentile spectra, the overview, cost vs latency, one
//! chart per guide question;
//! [`render`] holds what they share (sizes, fonts, SVG+PNG output). The keys that name a run's
//! charts live here, below the document that links them, so `doc` needs nothing from
//! `report/mod.rs` (which calls it).

pub mod batch;
pub mod cost;
pub mod log_axis;
pub mod marks;
pub mod overview;
pub mod python_ratio;
pub mod question;
pub mod ratio_dots;
pub mod render;
pub mod scaling;
pub mod spectrum;
pub mod sweep_achieved;
pub mod sweep_latency;

pub use batch::BatchChart;
pub use overview::OverviewChart;
pub use python_ratio::PythonChart;
pub use question::{QuestionChart, QuestionRow};
pub use render::Rendered;
pub use spectrum::SpectrumChart;

use std::collections::BTreeMap;

/// Which chart a rendered file is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChartKey {
    Overview,
    /// Each runtime's batch time relative to the guide's asyncio code (runs with Python rows).
    PythonRatio,
    Batch {
        scenario: String,
    },
    /// CPU per operation vs p50 latency (`cost.rs`), where the run measured cost.
    Cost {
        scenario: String,
    },
    Spectrum {
        scenario: String,
        variant: String,
        metric: String,
    },
    /// One guide question's chart (`question.rs`), named by its id (the file stem).
    Question {
        id: String,
    },
}

/// Every chart of a run, by key.
pub type ChartSet = BTreeMap<ChartKey, Rendered>;
