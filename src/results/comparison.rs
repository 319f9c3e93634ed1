//! The comparisons a scenario declares to answer its guide section, as `summary.json` keeps
//! them (in [`ScenarioInfo`](super::ScenarioInfo)): which rows face which, on which figure, so
//! the findings compare the same unit of work and a report regenerated from the summary alone
//! quotes the same comparisons.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The metric of a case's primary row.
pub const PRIMARY: &str = "latency";

/// One question of the guide and the rows that answer it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Comparison {
    /// The guide's question, in a line ("gather vs sequential awaits: N requests").
    pub question: String,
    /// Which rows face which.
    pub compared: Compared,
    /// What is read off each row.
    #[serde(default)]
    pub figure: Figure,
    /// The scenario's headline question: a row of the report's scorecard (a scenario marks one
    /// or two; where none is marked, the scorecard takes its first).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub headline: bool,
    /// How subject and baseline are set against each other (rows comparisons): their ratio, or
    /// what the subject adds to the baseline (timeout: wrapped minus bare).
    #[serde(default, skip_serializing_if = "By::is_ratio")]
    pub by: By,
}

/// How a rows comparison sets its subject against its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// subject / baseline, paired by round.
    #[default]
    Ratio,
    /// subject − baseline, paired by round: what the subject adds.
    Difference,
}

impl By {
    /// The default: serialised by omission.
    pub fn is_ratio(&self) -> bool {
        *self == By::Ratio
    }
}

/// One side of a comparison: a variant's rows (with the sub-case suffix a parameter gives,
/// e.g. `sequential-keepalive`) of one metric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Side {
    /// The variant label of the side's rows (with its sub-case suffix, if any).
    pub variant: String,
    /// `latency` for the primary rows; else an extra metric's rows (e.g. `time_to_first`).
    pub metric: String,
}

/// Which rows a comparison sets against which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compared {
    /// `subject` against `baseline` on each runtime: the baseline's row of the same runtime,
    /// or its only row where it ran on one runtime alone (std_sequential on `threads`).
    Rows {
        /// The rows whose figure is the numerator.
        subject: Side,
        /// The rows it is compared against (the denominator).
        baseline: Side,
    },
    /// One side across runtimes: each runtime against the fastest of them.
    Runtimes {
        /// The rows compared across runtimes.
        side: Side,
    },
}

/// The figure a comparison reads off each row.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// The row's figure per round, per unit of work: a batch time divided by its row's
    /// `ops_per_batch` (per request, per task, per delivery…); a latency quantile (open loop)
    /// or a metric's median per round as it is. Rounds pair, so the ratio has an interval.
    #[default]
    PerUnit,
    /// A scenario figure of `values` (already per unit, e.g. `bytes_per_task_alloc`): one
    /// number per row over all its batches, so the ratio has no interval.
    Value(String),
}

impl Side {
    /// The primary rows of `variant`.
    pub fn primary(variant: impl Into<String>) -> Side {
        Side {
            variant: variant.into(),
            metric: PRIMARY.into(),
        }
    }

    /// The `metric` rows of `variant`.
    pub fn metric(variant: impl Into<String>, metric: impl Into<String>) -> Side {
        Side {
            variant: variant.into(),
            metric: metric.into(),
        }
    }
}

impl Comparison {
    /// `subject`'s primary rows against `baseline`'s, runtime by runtime, per unit of work.
    pub fn variants(subject: impl Into<String>, baseline: impl Into<String>, question: impl Into<String>) -> Self {
        Comparison::rows(Side::primary(subject), Side::primary(baseline), question)
    }

    /// Any two sides, runtime by runtime.
    pub fn rows(subject: Side, baseline: Side, question: impl Into<String>) -> Self {
        Comparison {
            question: question.into(),
            compared: Compared::Rows { subject, baseline },
            figure: Figure::PerUnit,
            headline: false,
            by: By::Ratio,
        }
    }

    /// `variant`'s primary rows across runtimes, per unit of work.
    pub fn runtimes(variant: impl Into<String>, question: impl Into<String>) -> Self {
        Comparison::runtimes_of(Side::primary(variant), question)
    }

    /// Any side across runtimes.
    pub fn runtimes_of(side: Side, question: impl Into<String>) -> Self {
        Comparison {
            question: question.into(),
            compared: Compared::Runtimes { side },
            figure: Figure::PerUnit,
            headline: false,
            by: By::Ratio,
        }
    }

    /// Reads `figure` off each row instead of the time per unit.
    pub fn on(mut self, figure: Figure) -> Self {
        self.figure = figure;
        self
    }

    /// Marks the comparison as a headline question of its scenario (a scorecard row).
    pub fn headline(mut self) -> Self {
        self.headline = true;
        self
    }

    /// Sets the sides against each other by what the subject adds (subject − baseline).
    pub fn added(mut self) -> Self {
        self.by = By::Difference;
        self
    }

    /// The sides' variants, for checking that the run has them.
    pub fn variants_named(&self) -> Vec<&str> {
        match &self.compared {
            Compared::Rows { subject, baseline } => vec![&subject.variant, &baseline.variant],
            Compared::Runtimes { side } => vec![&side.variant],
        }
    }
}
