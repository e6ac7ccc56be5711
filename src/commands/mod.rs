//! One module per verb.

pub mod check;
pub mod diagnose;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod new;
pub mod plugin;
pub mod scan;
pub mod serve;
pub mod test;

use std::path::PathBuf;

/// Rule selection shared by every verb that diagnoses.
#[derive(clap::Args, Debug, Clone)]
pub struct RuleArgs {
    /// Add the rule packs at PATH (a pack folder, a folder of packs, or one
    /// .bdx file); a pack named like a built-in one replaces it. Repeatable.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in packs; use only --rules.
    #[arg(long)]
    pub no_default_rules: bool,
    /// Load a plugin component (.wasm) beside the standard ones: its checks
    /// can be used in rules and run with --checks; one named like a
    /// standard plugin replaces it. Repeatable.
    #[arg(long = "plugin", value_name = "FILE")]
    pub plugins: Vec<PathBuf>,
}

impl RuleArgs {
    /// Compiles the selected rules, printing diagnostics to stderr. Errors in
    /// the rules end the command with exit code 1.
    pub fn engine(
        &self,
    ) -> Result<Result<bouncedx_engine::Engine, std::process::ExitCode>, String> {
        crate::rules::register_plugin_checks(&self.plugins)?;
        let c = crate::rules::compile_to_run(&self.rules, self.no_default_rules)?;
        Ok(
            crate::rules::engine_of(c, crate::output::color_stderr()).map_err(|refused| {
                eprint!("{}", refused.report);
                eprintln!(
                    "error: the rules have {} error(s); nothing was diagnosed",
                    refused.errors
                );
                std::process::ExitCode::from(1)
            }),
        )
    }
}
