//! The statistics of asyncbench, in one place: the t, normal and F distributions ([`dist`], on
//! the `statrs` crate), the one interval and estimate shapes and the interval of a mean
//! ([`interval`]), the two rank rules by which a quantile is picked ([`rank`]) and the
//! percentile of an HdrHistogram ([`hdr`]), the two-sample tests `compare` and the report rest
//! on ([`significance`]), false-discovery control for its gate ([`fdr`]), the paired ratio of
//! two rows the findings quote ([`ratio`]), a row's figures over rounds ([`rounds`]) and the
//! mean, median and quantiles of a set of measurements ([`sample`]). Each file cites its
//! sources. Nothing here knows about runs or files: the layers above pass plain numbers in.
//!
//! This is the only place a median, quantile, standard deviation or interval is computed
//! (`tests/it/stats_home.rs` keeps it so): every other folder calls these functions.

pub mod difference;
pub mod dist;
pub mod fdr;
pub mod hdr;
pub mod interval;
pub mod rank;
pub mod ratio;
pub mod rounds;
pub mod sample;
pub mod significance;
pub mod two_stage;

pub use dist::{normal_two_sided, student_t_critical, student_t_two_sided};
pub use interval::{Estimate, Interval, LEVEL_95, mean_interval, mean_sd, pooled_sd, t_half_width};
pub use rank::{hdr_rank, nearest_rank, select_nearest_rank};
pub use sample::{RunningMean, Sample, SampleError, median, quantile, upper_median};
pub use significance::{TestResult, URanks, mann_whitney, u_ranks, welch};
