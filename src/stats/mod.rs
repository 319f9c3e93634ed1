//! The statistics of asyncbench, in one place: special functions ([`special`]), the t and
//! normal distributions ([`dist`]), the confidence interval of a mean ([`interval`]), the
//! two-sample tests `compare` and the report rest on ([`significance`]), false-discovery control
//! for its gate ([`fdr`]), the paired ratio of two rows the findings quote ([`ratio`]), and the
//! median and quantiles of a set of measurements ([`sample`]). Each file cites its sources.
//! Nothing here knows about runs or files: the layers above pass plain numbers in.

pub mod difference;
pub mod dist;
pub mod fdr;
pub mod interval;
pub mod ratio;
pub mod rounds;
pub mod sample;
pub mod significance;
pub mod special;
pub mod two_stage;

pub use dist::{normal_two_sided, student_t_critical, student_t_two_sided};
pub use interval::{LEVEL_95, mean_sd, t_half_width};
pub use sample::{Sample, SampleError, median, quantile};
pub use significance::{TestResult, URanks, mann_whitney, u_ranks, welch};
