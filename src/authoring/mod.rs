//! Writing packs: manifests ([`manifest`]), test cases and their snapshots
//! ([`cases`]), a scaffold for a new pack ([`scaffold`]), and YAML errors
//! that name their file ([`yaml`]).
//!
//! The author's loop: `bouncedx new pack acme` creates a pack that passes;
//! add a rule and a case; `bouncedx test acme` fails with a diff of the
//! diagnosis; `bouncedx test --accept acme` keeps it as the snapshot; a later
//! change to a rule shows, case by case, which answers it changed.

pub mod cases;
pub mod manifest;
pub mod scaffold;
pub mod yaml;
