//! "Did you mean": the closest known name to a mistyped one, as clap does for flags (Jaro-Winkler
//! similarity, strsim), so a typo in a scenario, variant or runtime name gets the fix, not only
//! the list.

/// Below this similarity a name is not offered (clap's threshold for flags is 0.7; names here are
/// short and share prefixes such as `tokio-`, so a little stricter).
const MIN_SIMILARITY: f64 = 0.8;

/// The known name most like `given`, if one is close enough.
pub fn closest<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(given, k), k))
        .filter(|(score, _)| *score >= MIN_SIMILARITY)
        // On a tie the first listed wins (`smol` → `smol-ct`, the registry's order).
        .fold(None, |best: Option<(f64, &str)>, (score, k)| match best {
            Some((b, _)) if b >= score => best,
            _ => Some((score, k)),
        })
        .map(|(_, k)| k)
}

/// "did you mean `x`? " (with the trailing space) or nothing.
pub fn did_you_mean<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    closest(given, known)
        .map(|k| format!("did you mean `{k}`? "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_the_closest_name_and_nothing_for_a_stranger() {
        let scenarios = ["fetch_parallel", "timeout", "task_memory", "pipeline"];
        assert_eq!(closest("fetch_paralel", scenarios), Some("fetch_parallel"));
        assert_eq!(closest("timout", scenarios), Some("timeout"));
        assert_eq!(closest("zzz", scenarios), None);
        let runtimes = [
            "tokio-ct",
            "tokio-mt",
            "async-std",
            "smol-ct",
            "smol-mt",
            "threads",
            "rayon",
        ];
        assert_eq!(closest("tokio_mt", runtimes), Some("tokio-mt"));
        assert_eq!(closest("asyncstd", runtimes), Some("async-std"));
        assert_eq!(did_you_mean("smol", runtimes), "did you mean `smol-ct`? ");
        assert_eq!(did_you_mean("xyz", runtimes), "");
    }
}
