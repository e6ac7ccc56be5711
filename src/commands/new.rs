//! `bouncedx new pack NAME`: scaffold a pack that passes its own test.

use std::path::PathBuf;
use std::process::ExitCode;

/// Create a new rule pack: a manifest, one rule, one case and its snapshot.
///
/// The pack passes `bouncedx test` and `bouncedx check` as created; change
/// the rule, add cases, and run `bouncedx test` again.
#[derive(clap::Args)]
pub struct Args {
    /// What to create (only `pack` for now).
    #[arg(value_parser = ["pack"])]
    pub what: String,
    /// The new pack's folder; its last component is the pack's name.
    pub path: PathBuf,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let name = bouncedx::authoring::scaffold::new_pack(&a.path)?;
    let mut totals = super::test::Totals::default();
    super::test::test_pack(&a.path, true, &mut totals)?;
    if totals.failed > 0 {
        return Err(format!(
            "the scaffolded pack `{name}` does not pass its own test; please report this"
        ));
    }
    println!(
        "\ncreated pack `{name}` in {}:\n  pack.yaml              the manifest\n  rules.bdx              one rule\n  tests/cases.yaml       one case\n  tests/snapshots/       its diagnosis, accepted\n\nnext: edit rules.bdx, add cases, then `bouncedx test {}`",
        a.path.display(),
        a.path.display()
    );
    Ok(ExitCode::SUCCESS)
}
