//! Charts and reports. For now: font registration, which every plotters user
//! in the process (ours and criterion's own charts) depends on.

pub mod fonts;
