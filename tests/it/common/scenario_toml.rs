//! Scenario files for tests, built from the shipped ones through the `toml` document model:
//! `ScenarioToml::from_file("fetch_parallel").set("params.requests", 4).load()`. Keys are dotted
//! paths; setting or removing a key the document does not have panics naming it, so a renamed
//! parameter breaks the test that relied on it instead of leaving it silently testing another
//! value (what a `text.replace("requests = 8", …)` that no longer matches does).

use std::fs;
use std::path::{Path, PathBuf};

use asyncbench::runtime::AsyncFlavor;
use asyncbench::scenario::{self, ScenarioDef, ScenarioError};
use serde::Serialize;
use toml::{Table, Value};

#[derive(Debug, Clone)]
pub struct ScenarioToml {
    doc: Table,
    /// Where the document came from, for panics.
    origin: String,
}

/// The names of the async runtimes in the registry, for `runtimes = […]`.
pub fn async_runtimes() -> Vec<&'static str> {
    AsyncFlavor::ALL.map(AsyncFlavor::name).to_vec()
}

impl ScenarioToml {
    /// `scenarios/<name>.toml` as shipped.
    pub fn from_file(name: &str) -> ScenarioToml {
        let path = scenario::default_dir().join(format!("{name}.toml"));
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        ScenarioToml::parse(&text, path.display().to_string())
    }

    pub fn from_text(text: &str) -> ScenarioToml {
        ScenarioToml::parse(text, "the given text".into())
    }

    fn parse(text: &str, origin: String) -> ScenarioToml {
        let doc = text
            .parse::<Table>()
            .unwrap_or_else(|e| panic!("{origin} is not TOML: {e}"));
        ScenarioToml { doc, origin }
    }

    /// Replaces the value at `key`, which must exist.
    pub fn set(mut self, key: &str, value: impl Serialize) -> ScenarioToml {
        let value = to_value(key, value);
        let origin = self.origin.clone();
        let (table, last) = self.parent(key);
        match table.get_mut(last) {
            Some(slot) => *slot = value,
            None => panic!("cannot set `{key}`: {origin} has no such key ({})", keys(table)),
        }
        self
    }

    /// Pins `runtimes = [...]`: the shipped files leave the key out (every runtime), tests
    /// narrow it to keep a case small. A narrowed file runs exactly those runtimes: its
    /// `full_tier` list, if any, goes (a test of tokio-mt's pipeline wants that case).
    pub fn runtimes(mut self, value: impl Serialize) -> ScenarioToml {
        let value = to_value("runtimes", value);
        self.doc.insert("runtimes".to_string(), value);
        self.doc.remove("full_tier");
        self
    }

    /// Adds `key`, which must not exist yet (its table must): for files with an unknown key.
    pub fn set_new(mut self, key: &str, value: impl Serialize) -> ScenarioToml {
        let value = to_value(key, value);
        let origin = self.origin.clone();
        let (table, last) = self.parent(key);
        if table.insert(last.to_string(), value).is_some() {
            panic!("cannot add `{key}`: {origin} already has it (use set)");
        }
        self
    }

    /// Removes `key`, which must exist.
    pub fn remove(mut self, key: &str) -> ScenarioToml {
        let origin = self.origin.clone();
        let (table, last) = self.parent(key);
        if table.remove(last).is_none() {
            panic!("cannot remove `{key}`: {origin} has no such key ({})", keys(table));
        }
        self
    }

    /// The table holding `key` (every table on the way must exist) and the key's last segment.
    fn parent<'a>(&mut self, key: &'a str) -> (&mut Table, &'a str) {
        let (path, last) = key.rsplit_once('.').map_or((None, key), |(p, l)| (Some(p), l));
        let mut table = &mut self.doc;
        for seg in path.into_iter().flat_map(|p| p.split('.')) {
            let keys = keys(table);
            table = match table.get_mut(seg) {
                Some(Value::Table(t)) => t,
                _ => panic!("`{key}`: {} has no table `{seg}` ({keys})", self.origin),
            };
        }
        (table, last)
    }

    /// The file's text.
    pub fn text(&self) -> String {
        toml::to_string(&self.doc).expect("a TOML table serialises")
    }

    /// The 1-based line of `key` in [`ScenarioToml::text`], for errors that must point at it.
    pub fn line_of(&self, key: &str) -> usize {
        let mut table = String::new();
        for (i, line) in self.text().lines().enumerate() {
            let line = line.trim();
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                table = format!("{name}.");
            } else if let Some((k, _)) = line.split_once(" = ")
                && format!("{table}{k}") == key
            {
                return i + 1;
            }
        }
        panic!("no line for `{key}` in:\n{}", self.text())
    }

    /// The 1-based column where `needle` starts on the line of `key`.
    pub fn col_of(&self, key: &str, needle: &str) -> usize {
        let text = self.text();
        let line = text.lines().nth(self.line_of(key) - 1).unwrap();
        line.find(needle).unwrap_or_else(|| panic!("no {needle:?} in {line:?}")) + 1
    }

    /// Writes the file as `dir/<scenario>.toml` and returns its path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let name = self.doc.get("scenario").and_then(Value::as_str).unwrap_or("scenario");
        let path = dir.join(format!("{name}.toml"));
        fs::write(&path, self.text()).unwrap();
        path
    }

    fn try_load(&self) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
        // A loaded scenario keeps nothing open from its file: the directory can go at once.
        let dir = tempfile::tempdir().unwrap();
        scenario::load_file(&self.write(dir.path()))
    }

    /// Loads the file; panics with the loader's message if it is rejected.
    pub fn load(&self) -> Box<dyn ScenarioDef> {
        self.try_load().unwrap_or_else(|e| panic!("{e}\n{}", self.text()))
    }

    /// The loader's error; panics if the file loads.
    pub fn load_err(&self) -> ScenarioError {
        match self.try_load() {
            Ok(_) => panic!("expected an error for:\n{}", self.text()),
            Err(e) => e,
        }
    }
}

fn to_value(key: &str, value: impl Serialize) -> Value {
    Value::try_from(value).unwrap_or_else(|e| panic!("`{key}`: not a TOML value: {e}"))
}

fn keys(table: &Table) -> String {
    let keys: Vec<&str> = table.keys().map(String::as_str).collect();
    format!("has {}", keys.join(", "))
}
#[cfg(test)]
mod tests {
    use super::{ScenarioToml, async_runtimes};

    #[test]
    fn set_replaces_and_the_text_reads_back() {
        let t = ScenarioToml::from_file("fetch_parallel")
            .set("params.requests", 3)
            .set("variants", ["join_all"])
            .runtimes(async_runtimes())
            .remove("criterion");
        let back = ScenarioToml::from_text(&t.text());
        assert_eq!(back.text(), t.text());
        assert!(t.text().contains("requests = 3\n"), "{}", t.text());
        assert!(t.text().contains("variants = [\"join_all\"]\n"), "{}", t.text());
        assert!(!t.text().contains("[criterion]"), "{}", t.text());
        let runtimes = async_runtimes().len();
        assert_eq!(
            t.load().cases().len(),
            2 * runtimes,
            "join_all × fresh/keepalive × runtimes"
        );
    }

    #[test]
    #[should_panic(expected = "cannot set `params.requestz`")]
    fn setting_a_missing_key_names_it() {
        let _ = ScenarioToml::from_file("fetch_parallel").set("params.requestz", 1);
    }

    #[test]
    #[should_panic(expected = "`paramz.requests`")]
    fn setting_under_a_missing_table_names_it() {
        let _ = ScenarioToml::from_file("fetch_parallel").set("paramz.requests", 1);
    }

    #[test]
    #[should_panic(expected = "cannot remove `runtimez`")]
    fn removing_a_missing_key_names_it() {
        let _ = ScenarioToml::from_file("fetch_parallel").remove("runtimez");
    }

    #[test]
    #[should_panic(expected = "cannot add `params.requests`")]
    fn set_new_refuses_an_existing_key() {
        let _ = ScenarioToml::from_file("fetch_parallel").set_new("params.requests", 1);
    }
}
