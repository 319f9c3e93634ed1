//! criterion's benchmark filter, read from the same command line criterion reads, so the suite
//! knows before it starts which cases the filter leaves: the progress total counts only those,
//! and a case the filter drops is never built. criterion 0.8 keeps its parsed filter private,
//! so the rule is mirrored here: the first positional argument is a regular expression matched
//! (unanchored) against the benchmark id `<scenario>/<variant>/<runtime>/r<k>`; with `--exact`
//! it must equal the id; `--ignored` rejects everything.

use regex::Regex;

/// criterion 0.8's options that take a value (`--name value` or `--name=value`): their value
/// is not the filter.
const TAKES_VALUE: &[&str] = &[
    "-c",
    "--color",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--format",
    "--profile-time",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
];

#[derive(Debug, Clone)]
pub enum Filter {
    All,
    Regex(Regex),
    Exact(String),
    None,
}

impl Filter {
    /// The filter of a bench binary's arguments (`args[0]` is the program). A pattern that is
    /// not a regular expression is bad input, named with regex's reason.
    pub fn from_args(args: &[String]) -> Result<Filter, String> {
        let mut positional = None;
        let (mut exact, mut ignored) = (false, false);
        let mut it = args.iter().skip(1);
        while let Some(a) = it.next() {
            match a.as_str() {
                "--" => {
                    positional = positional.or_else(|| it.next().cloned());
                    break;
                }
                "--exact" => exact = true,
                "--ignored" => ignored = true,
                o if TAKES_VALUE.contains(&o) => {
                    it.next();
                }
                o if o.starts_with('-') && o.len() > 1 => {}
                p => {
                    if positional.is_none() {
                        positional = Some(p.to_string());
                    }
                }
            }
        }
        Ok(match (ignored, positional) {
            (true, _) => Filter::None,
            (false, None) => Filter::All,
            (false, Some(p)) if exact => Filter::Exact(p),
            (false, Some(p)) => Filter::Regex(
                Regex::new(&p).map_err(|e| format!("the benchmark filter {p:?} is not a regular expression: {e}"))?,
            ),
        })
    }

    /// Whether criterion runs the benchmark with this id.
    pub fn matches(&self, id: &str) -> bool {
        match self {
            Filter::All => true,
            Filter::Regex(r) => r.is_match(id),
            Filter::Exact(e) => id == e,
            Filter::None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &str) -> Vec<String> {
        std::iter::once("suite")
            .chain(a.split_whitespace())
            .map(String::from)
            .collect()
    }

    #[test]
    fn the_filter_is_the_first_positional_argument() -> Result<(), String> {
        let f = Filter::from_args(&args("--bench timeout/fast"))?;
        assert!(f.matches("timeout/fast/tokio-ct/r1"));
        assert!(!f.matches("fetch_parallel/join_all/tokio-ct/r1"));
        // Option values are not the filter.
        let f = Filter::from_args(&args("--bench --save-baseline base --sample-size 10 pipe"))?;
        assert!(f.matches("pipeline/mpsc/tokio-ct/r2") && !f.matches("base/x/y/r1"));
        let f = Filter::from_args(&args("--bench --color=never pipe"))?;
        assert!(f.matches("pipeline/x/smol-ct/r1"));
        assert!(Filter::from_args(&args("--bench"))?.matches("anything"));
        Ok(())
    }

    #[test]
    fn regex_exact_and_ignored_as_criterion_reads_them() -> Result<(), String> {
        // Unanchored regex, as criterion's `Regex::is_match`.
        let f = Filter::from_args(&args("--bench ^timeout/.*/tokio-(ct|mt)/r1$"))?;
        assert!(f.matches("timeout/fast/tokio-mt/r1"));
        assert!(!f.matches("timeout/fast/tokio-mt/r2") && !f.matches("timeout/fast/smol-ct/r1"));
        let f = Filter::from_args(&args("--bench --exact timeout/fast/tokio-ct/r1"))?;
        assert!(f.matches("timeout/fast/tokio-ct/r1") && !f.matches("timeout/fast/tokio-ct/r10"));
        assert!(!Filter::from_args(&args("--bench --ignored timeout"))?.matches("timeout/a/b/r1"));
        let e = Filter::from_args(&args("--bench time(out")).unwrap_err();
        assert!(e.contains("\"time(out\" is not a regular expression"), "{e}");
        Ok(())
    }
}
