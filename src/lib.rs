//! The `bouncedx` crate: the command line's library half. It holds what the
//! binary and the integration tests share: the built-in rule packs and how
//! rules are loaded.

pub mod rules;

/// Compiles the built-in packs; panics with the rendered diagnostics if they
/// do not compile (they are tested to).
pub fn default_engine() -> bouncedx_engine::Engine {
    let c = rules::compile(&[], false).expect("built-in packs load");
    match c.ruleset {
        Some(rs) => bouncedx_engine::Engine::new(rs),
        None => panic!(
            "built-in packs do not compile:\n{}",
            c.report.render(&c.sources, false)
        ),
    }
}
