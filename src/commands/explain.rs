//! `bouncedx explain`: every rule, fired or not, and why.

use super::RuleArgs;
use std::process::ExitCode;

/// Show, for one reply, the facts read from it, every trigger found, and
/// every rule's condition evaluated node by node (✓ true, ✗ false).
#[derive(clap::Args)]
pub struct Args {
    /// The reply, e.g. "550 5.7.1 ...". `-` reads it from stdin.
    pub reply: String,
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Show only the rules that fired.
    #[arg(long)]
    pub fired: bool,
    /// Run the plugin checks the fired rules ask for (as `diagnose
    /// --checks`), then evaluate every rule again with their verdicts: shows
    /// why a refinement such as `vague_policy_ip_listed` fired or not.
    #[arg(long)]
    pub checks: bool,
    #[command(flatten)]
    pub check_args: super::plugin::CheckArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let engine = match a.rules.engine()? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let reply = if a.reply == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("cannot read stdin: {e}"))?
    } else {
        a.reply.clone()
    };
    let facts = bouncedx_engine::intake::reply::parse_reply(&reply);
    let mut x = if a.checks {
        let host = a.check_args.host(&a.rules)?;
        bouncedx_engine::explain::explain_with_checks(&engine.ruleset, &facts, &host)
    } else if !a.check_args.zones.is_empty() || !a.check_args.data.is_empty() {
        return Err("--zone and --data are for checks: add --checks".into());
    } else {
        bouncedx_engine::explain::explain(&engine.ruleset, &facts)
    };
    if a.fired {
        x.rules.retain(|r| r.fired);
    }
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&x).expect("serialise"));
    } else {
        print!("{}", bouncedx_engine::explain::render(&x));
    }
    Ok(ExitCode::SUCCESS)
}
