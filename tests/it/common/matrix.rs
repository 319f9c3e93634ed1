//! One test case per runtime, straight from the registry, so a runtime added to
//! `runtime_registry!` is tested by every per-runtime test without touching the test files.

/// `each_runtime!(fn name(flavor) { … });` is one test per async runtime in the registry, named
/// after its entry (`name::TokioCt`), each calling the body with its `AsyncFlavor` as `flavor`.
/// Further arguments take rstest's `#[values(…)]` and multiply the cases
/// (`fn name(flavor, #[values(1, 3)] consumers: u32)` gives `name::TokioCt::consumers_1_1`, …).
macro_rules! each_runtime {
    (
        $(#[$m:meta])*
        fn $name:ident($f:ident $(, #[$pm:meta] $p:ident: $t:ty)* $(,)?) $body:block
    ) => {
        $(#[$m])*
        fn $name($f: ::asyncbench::runtime::AsyncFlavor $(, $p: $t)*) $body

        ::asyncbench::runtime_registry!(each_runtime_cases, $name ($f $(, #[$pm] $p: $t)*));
    };
}

/// What [`each_runtime!`] hands `runtime_registry!`: the test's name and arguments, then the
/// registry's entries; makes the module of cases.
macro_rules! each_runtime_cases {
    (
        [$name:ident $args:tt]
        async { $( $(#[$d:meta])* $A:ident { $($fields:tt)* } ),* $(,)? }
        $($baselines:tt)*
    ) => {
        // The cases carry the registry's CamelCase names.
        #[allow(non_snake_case)]
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $( each_runtime_case!($A $name $args); )*
        }
    };
}

/// One runtime's case of [`each_runtime!`]: a test, or an rstest when there are more arguments.
macro_rules! each_runtime_case {
    ($A:ident $name:ident ($f:ident)) => {
        #[test]
        fn $A() {
            super::$name(::asyncbench::runtime::AsyncFlavor::$A)
        }
    };
    ($A:ident $name:ident ($f:ident $(, #[$pm:meta] $p:ident: $t:ty)+)) => {
        #[::rstest::rstest]
        fn $A($(#[$pm] $p: $t),+) {
            super::$name(::asyncbench::runtime::AsyncFlavor::$A $(, $p)+)
        }
    };
}
