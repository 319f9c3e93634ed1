//! The runtime registry: every flavour a result can be attributed to, defined once.
//!
//! [`runtime_registry!`](crate::runtime_registry) is the one list; `define_flavors!` below turns it
//! into the enums, `ALL`, names, colours, help, the legacy note and the builder `visit` calls.
//! Names, parsing, `Display` and serde are written once over `ALL`, so nothing else in the crate
//! lists the runtimes.

use std::fmt;
use std::io;
use std::str::FromStr;

use super::RuntimeVisitor;

/// The runtime registry as an X-macro: `runtime_registry!(m)` expands to `m! { [] async { … }
/// baselines { … } external { … } }` (`runtime_registry!(m, tokens…)` passes `tokens` inside the brackets).
/// [`AsyncFlavor`]/[`Flavor`] are generated from it, and tests walk it to get one named case per
/// runtime. The `build` paths resolve only inside `runtime/`; other walkers skip that field.
///
/// Adding a runtime: write `src/runtime/<name>_rt.rs` with a `Runtime` impl and
/// `pub(super) fn build(AsyncFlavor, workers) -> io::Result<Owned<…>>`, declare the module in
/// `runtime/mod.rs`, and add one entry below. The colour is fixed here, never derived from the
/// position, so a new runtime cannot recolour charts of older runs.
///
/// Colours: Okabe & Ito's colour-blind-safe palette ("Color Universal Design", 2008) without its
/// yellow (unreadable on white); the report's spare colours for unknown names avoid these.
#[macro_export]
macro_rules! runtime_registry {
    ($then:ident $(, $($pass:tt)*)?) => {
        $then! {
            [$($($pass)*)?]
            async {
                TokioCt {
                    name: "tokio-ct", rgb: (0x00, 0x72, 0xB2), single_threaded: true, legacy: None,
                    help: "tokio, current_thread scheduler: every task on one thread",
                    build: super::tokio_rt::build,
                },
                TokioMt {
                    name: "tokio-mt", rgb: (0x56, 0xB4, 0xE9), single_threaded: false, legacy: None,
                    help: "tokio, multi_thread scheduler: --workers threads (default one per core)",
                    build: super::tokio_rt::build,
                },
                AsyncStd {
                    name: "async-std", rgb: (0xCC, 0x79, 0xA7), single_threaded: false,
                    legacy: Some("discontinued upstream (2025)"),
                    help: "async-std's global executor (one thread per core, or ASYNC_STD_THREAD_COUNT)",
                    build: super::async_std_rt::build,
                },
                SmolCt {
                    name: "smol-ct", rgb: (0x00, 0x9E, 0x73), single_threaded: true, legacy: None,
                    help: "smol: one async-executor driven by the calling thread",
                    build: super::smol_rt::build,
                },
                SmolMt {
                    name: "smol-mt", rgb: (0xE6, 0x9F, 0x00), single_threaded: false, legacy: None,
                    help: "smol: the same executor run by --workers threads (default one per core)",
                    build: super::smol_rt::build,
                },
            }
            baselines {
                /// std threads and blocking I/O.
                Threads { name: "threads", rgb: (0xD5, 0x5E, 0x00), help: "std threads and blocking I/O (no runtime)" },
                /// rayon's pool, for scenarios with CPU work.
                Rayon { name: "rayon", rgb: (0x33, 0x33, 0x33), help: "rayon's thread pool, for scenarios with CPU work" },
            }
            // Run outside this process by `python/asyncbench_py` (the guide's own code), on the
            // same server and scenario files; `python/` drives them, so there is nothing to build.
            external {
                Asyncio {
                    name: "asyncio", rgb: (0x94, 0x67, 0xBD),
                    help: "the guide's Python on asyncio's default event loop",
                },
                Uvloop {
                    name: "uvloop", rgb: (0x2C, 0xA0, 0x2C),
                    help: "the guide's Python on uvloop's event loop",
                },
            }
        }
    };
}

/// A colour as the registry states it; the report turns it into its chart library's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

macro_rules! define_flavors {
    // Entries passed in the brackets join the async runtimes: how the unit tests register one.
    ([$($extra:tt)*] async { $($entries:tt)* } $($rest:tt)*) => {
        define_flavors! { @go async { $($entries)* $($extra)* } $($rest)* }
    };
    (
        @go
        async { $(
            $(#[$adoc:meta])*
            $A:ident {
                name: $aname:literal, rgb: ($ar:literal, $ag:literal, $ab:literal),
                single_threaded: $single:literal, legacy: $legacy:expr,
                help: $ahelp:literal,
                build: $build:path $(,)?
            }
        ),* $(,)? }
        baselines { $(
            $(#[$bdoc:meta])*
            $B:ident { name: $bname:literal, rgb: ($br:literal, $bg:literal, $bb:literal), help: $bhelp:literal $(,)? }
        ),* $(,)? }
        external { $(
            $X:ident { name: $xname:literal, rgb: ($xr:literal, $xg:literal, $xb:literal), help: $xhelp:literal $(,)? }
        ),* $(,)? }
    ) => {
        /// The async runtimes under test.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AsyncFlavor { $( $(#[$adoc])* $A, )* }

        /// Everything a result can be attributed to: the async runtimes plus the
        /// blocking baselines.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Flavor {
            Async(AsyncFlavor),
            $( $(#[$bdoc])* $B, )*
        }

        impl AsyncFlavor {
            /// In registry order, which is also the order of tables and legends.
            pub const ALL: [AsyncFlavor; [$(AsyncFlavor::$A),*].len()] = [$(AsyncFlavor::$A),*];

            pub fn name(self) -> &'static str {
                match self { $(AsyncFlavor::$A => $aname,)* }
            }
            /// One line for `--help`.
            pub fn help(self) -> &'static str {
                match self { $(AsyncFlavor::$A => $ahelp,)* }
            }
            /// Its colour in every chart.
            pub fn rgb(self) -> Rgb {
                match self { $(AsyncFlavor::$A => Rgb($ar, $ag, $ab),)* }
            }
            /// Why the runtime is a legacy baseline (e.g. discontinued upstream), if it is one.
            pub fn legacy_note(self) -> Option<&'static str> {
                match self { $(AsyncFlavor::$A => $legacy,)* }
            }
            /// One thread runs every task, whatever `--workers` says.
            pub fn single_threaded(self) -> bool {
                match self { $(AsyncFlavor::$A => $single,)* }
            }
            /// Builds this flavour with `workers` task threads and hands it to `v`.
            pub(super) fn build_and_visit<V: RuntimeVisitor>(self, workers: usize, v: V) -> io::Result<V::Output> {
                Ok(match self { $(AsyncFlavor::$A => v.visit($build(self, workers)?),)* })
            }
        }

        impl Flavor {
            /// The async runtimes in registry order, then the baselines.
            pub const ALL: [Flavor; AsyncFlavor::ALL.len() + [$(Flavor::$B),*].len()] =
                [$(Flavor::Async(AsyncFlavor::$A),)* $(Flavor::$B,)*];

            pub fn name(self) -> &'static str {
                match self { Flavor::Async(a) => a.name(), $(Flavor::$B => $bname,)* }
            }
            /// One line for `--help`.
            pub fn help(self) -> &'static str {
                match self { Flavor::Async(a) => a.help(), $(Flavor::$B => $bhelp,)* }
            }
            /// Its colour in every chart.
            pub fn rgb(self) -> Rgb {
                match self { Flavor::Async(a) => a.rgb(), $(Flavor::$B => Rgb($br, $bg, $bb),)* }
            }
        }

        /// Runtimes whose rows another program measures and hands back in the run's schema:
        /// the guide's Python side (`src/python/`). They are not a [`Flavor`]: nothing in this
        /// process builds them, but they are named, coloured and ordered by the same registry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ExternalFlavor { $($X,)* }

        impl ExternalFlavor {
            /// In registry order.
            pub const ALL: [ExternalFlavor; [$(ExternalFlavor::$X),*].len()] = [$(ExternalFlavor::$X),*];
            /// Their names, in the same order (what the Python side is asked for).
            pub const NAMES: [&'static str; ExternalFlavor::ALL.len()] = [$($xname),*];

            pub fn name(self) -> &'static str {
                match self { $(ExternalFlavor::$X => $xname,)* }
            }
            /// One line for `--help` and error messages.
            pub fn help(self) -> &'static str {
                match self { $(ExternalFlavor::$X => $xhelp,)* }
            }
            /// Its colour in every chart.
            pub fn rgb(self) -> Rgb {
                match self { $(ExternalFlavor::$X => Rgb($xr, $xg, $xb),)* }
            }
        }
    };
}

#[cfg(not(test))]
crate::runtime_registry!(define_flavors);

// The library's unit tests register one more runtime exactly as a new one would be (one entry),
// so `scenario::file`'s test can check that a new entry reaches every scenario's run plan. The
// exported registry (what `cargo bench` and the integration tests see) does not have it.
#[cfg(test)]
crate::runtime_registry!(
    define_flavors,
    DummyRt {
        name: "dummy-rt",
        rgb: (0x80, 0x00, 0x00),
        single_threaded: true,
        legacy: None,
        help: "a test-only runtime (smol's executor under another name)",
        build: super::smol_rt::build,
    },
);

// Everything below is written over `ALL` and `name`: no runtime is listed twice.

impl AsyncFlavor {
    /// Discontinued upstream (see [`AsyncFlavor::legacy_note`]); reports label it legacy.
    pub fn legacy(self) -> bool {
        self.legacy_note().is_some()
    }
}

impl Flavor {
    pub fn legacy(self) -> bool {
        self.legacy_note().is_some()
    }

    pub fn legacy_note(self) -> Option<&'static str> {
        self.as_async().and_then(AsyncFlavor::legacy_note)
    }

    pub fn as_async(self) -> Option<AsyncFlavor> {
        match self {
            Flavor::Async(a) => Some(a),
            _ => None,
        }
    }

    /// The async runtimes as `Flavor`s: what most scenarios run on.
    pub fn all_async() -> Vec<Flavor> {
        AsyncFlavor::ALL.into_iter().map(Flavor::Async).collect()
    }
}

/// What the registry says about one name, whichever group it is in: what reports, charts and
/// the CLI need without caring whether this process can build the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeEntry {
    pub name: &'static str,
    pub rgb: Rgb,
    /// One line for `--help` and messages.
    pub help: &'static str,
    /// Why it is labelled legacy, if it is.
    pub legacy_note: Option<&'static str>,
    pub kind: RuntimeKind,
}

/// Which group of the registry an entry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeKind {
    /// Built in this process and given to scenarios through [`super::visit`].
    Async(AsyncFlavor),
    /// A blocking baseline (`threads`, `rayon`), run by the scenarios that have one.
    Baseline(Flavor),
    /// Measured by another program and handed back (the guide's Python).
    External(ExternalFlavor),
}

/// How to get the external (guide's Python) rows into a run: the one hint every message and
/// report gives when they are absent.
pub const EXTERNAL_HOW_TO_ENABLE: &str =
    "create the environment with scripts/python-env.sh (or set ASYNCBENCH_PYTHON=1)";

impl RuntimeEntry {
    /// Every entry: the async runtimes, the baselines, then the external ones, in the order of
    /// tables and legends.
    pub fn all() -> Vec<RuntimeEntry> {
        let flavors = Flavor::ALL.into_iter().map(|f| RuntimeEntry {
            name: f.name(),
            rgb: f.rgb(),
            help: f.help(),
            legacy_note: f.legacy_note(),
            kind: match f {
                Flavor::Async(a) => RuntimeKind::Async(a),
                other => RuntimeKind::Baseline(other),
            },
        });
        let external = ExternalFlavor::ALL.into_iter().map(|x| RuntimeEntry {
            name: x.name(),
            rgb: x.rgb(),
            help: x.help(),
            legacy_note: None,
            kind: RuntimeKind::External(x),
        });
        flavors.chain(external).collect()
    }

    /// The entry called `name`, if the registry has one.
    pub fn find(name: &str) -> Option<RuntimeEntry> {
        RuntimeEntry::all().into_iter().find(|e| e.name == name)
    }

    /// Its place in [`RuntimeEntry::all`].
    pub fn position(name: &str) -> Option<usize> {
        RuntimeEntry::all().iter().position(|e| e.name == name)
    }
}

fn join_names<T: fmt::Display>(all: &[T]) -> String {
    all.iter().map(T::to_string).collect::<Vec<_>>().join(", ")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown runtime `{given}`: allowed {allowed}")]
pub struct UnknownFlavor {
    pub given: String,
    pub allowed: String,
}

/// `Display`, `FromStr` and serde by name, for both enums.
macro_rules! by_name {
    ($t:ident) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $t {
            type Err = UnknownFlavor;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $t::ALL
                    .into_iter()
                    .find(|f| f.name() == s)
                    .ok_or_else(|| UnknownFlavor {
                        given: s.to_string(),
                        allowed: join_names(&$t::ALL),
                    })
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

by_name!(AsyncFlavor);
by_name!(Flavor);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_name_lists_allowed() {
        let e = "tokio".parse::<Flavor>().unwrap_err();
        assert!(e.to_string().contains("unknown runtime `tokio`"));
        // The unit tests' registry has the test-only `dummy-rt` after the shipped async ones.
        assert!(
            e.to_string()
                .contains("tokio-ct, tokio-mt, async-std, smol-ct, smol-mt, dummy-rt, threads, rayon")
        );
        let e = "threads".parse::<AsyncFlavor>().unwrap_err();
        assert_eq!(e.allowed, "tokio-ct, tokio-mt, async-std, smol-ct, smol-mt, dummy-rt");
    }

    #[test]
    fn the_python_sides_are_registry_entries_after_the_rust_ones() {
        let all = RuntimeEntry::all();
        let names: Vec<&str> = all.iter().map(|e| e.name).collect();
        assert_eq!(&names[names.len() - 2..], ["asyncio", "uvloop"]);
        assert_eq!(all.len(), Flavor::ALL.len() + ExternalFlavor::ALL.len());
        let uv = RuntimeEntry::find("uvloop").expect("an entry");
        assert_eq!(uv.kind, RuntimeKind::External(ExternalFlavor::Uvloop));
        // Not a Rust runtime: nothing in this process builds or parses it as one.
        assert!("uvloop".parse::<Flavor>().is_err());
        assert!(EXTERNAL_HOW_TO_ENABLE.contains("ASYNCBENCH_PYTHON"));
    }

    #[test]
    fn only_async_std_is_legacy() {
        let legacy: Vec<_> = Flavor::ALL.into_iter().filter(|f| f.legacy()).collect();
        assert_eq!(legacy, [Flavor::Async(AsyncFlavor::AsyncStd)]);
    }
}
