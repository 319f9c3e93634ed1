//! One rstest case per runtime, straight from the registry, so a runtime added to
//! `runtime_registry!` is tested by every per-runtime test without touching the test files.

/// `each_runtime! { fn name(flavor) { … } }` is an rstest with one case per async runtime in the
/// registry, named after its entry (`name::case_3_AsyncStd`); `flavor` is its `AsyncFlavor`.
/// Further arguments (`#[values(1, 3)] consumers: u32`) multiply the cases as rstest does.
macro_rules! each_runtime {
    (
        $(#[$m:meta])*
        fn $name:ident($f:ident $(, #[$pm:meta] $p:ident: $t:ty)* $(,)?) $body:block
    ) => {
        ::asyncbench::runtime_registry!(each_runtime_cases, [$(#[$m])*] fn $name($f $(, #[$pm] $p: $t)*) $body);
    };
}

/// What [`each_runtime!`] hands `runtime_registry!`: the test, then the registry's entries.
macro_rules! each_runtime_cases {
    (
        [[$(#[$m:meta])*] fn $name:ident($f:ident $(, #[$pm:meta] $p:ident: $t:ty)*) $body:block]
        async { $( $(#[$d:meta])* $A:ident { $($fields:tt)* } ),* $(,)? }
        $($baselines:tt)*
    ) => {
        #[::rstest::rstest]
        $( #[case::$A(::asyncbench::runtime::AsyncFlavor::$A)] )*
        $(#[$m])*
        // The cases carry the registry's CamelCase names.
        #[allow(non_snake_case)]
        fn $name(#[case] $f: ::asyncbench::runtime::AsyncFlavor $(, #[$pm] $p: $t)*) $body
    };
}
