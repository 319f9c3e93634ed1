//! The statistics of asyncbench, in one place: special functions ([`special`]), the t and
//! normal distributions ([`dist`]), the confidence interval of a mean ([`interval`]), the
//! two-sample tests `compare` and the report rest on ([`significance`]), false-discovery control
//! for its gate ([`fdr`]) and the paired ratio of two rows the findings quote ([`ratio`]). Each
//! file cites its sources. Nothing here knows about runs or files: the layers above pass plain
//! numbers in.

pub mod dist;
pub mod fdr;
pub mod interval;
pub mod ratio;
pub mod rounds;
pub mod significance;
pub mod special;

pub use dist::{normal_two_sided, student_t_critical, student_t_two_sided};
pub use interval::{LEVEL_95, mean_sd, t_half_width};
pub use significance::{TestResult, URanks, mann_whitney, u_ranks, welch};
