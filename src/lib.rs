//! The `bouncedx` crate: the command line's library half. It holds what the
//! binary and the integration tests share: the built-in rule packs and how
//! rules are loaded.

pub mod authoring;
pub mod eval;
pub mod rules;
pub mod scan;
pub mod serve;

/// mimalloc: a diagnosis allocates a few dozen small strings, and batches
/// allocate millions; mimalloc's per-thread free lists make that about a
/// third cheaper than the system allocator (see book/src/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Compiles the built-in packs; panics with the rendered diagnostics if they
/// do not compile (they are tested to).
pub fn default_engine() -> bouncedx_engine::Engine {
    let c = rules::compile_to_run(&[], false).expect("built-in packs load");
    match c.ruleset {
        Some(rs) => bouncedx_engine::Engine::new(rs),
        None => panic!(
            "built-in packs do not compile:\n{}",
            c.report.render(&c.sources, false)
        ),
    }
}
