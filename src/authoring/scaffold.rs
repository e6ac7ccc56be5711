//! `bouncedx new pack NAME`: a pack that passes `bouncedx test` as created.

use std::path::Path;

const RULES: &str = r#"# NAME/rules.bdx: the rules of the NAME pack.
#
# A rule names a category from `core`, a condition on the reply, the
# diagnosis, steps and references, and examples that must make it fire.
# `bouncedx check NAME` compiles and lints; `bouncedx test NAME` runs the
# cases in tests/.

import core

rule example_block_code {
  category   blacklist
  confidence certain
  when       text matches /\bEXM-1\d\d\b/
  capture    code = /\b(EXM-1\d\d)\b/
  diagnosis  "Example Mail blocks {client_ip|your sending IP} (its code {code}): the IP is on Example Mail's own block list"
  fix        "Ask Example Mail's postmaster to lift the block, quoting the code and the IP"
  refs       "https://www.rfc-editor.org/rfc/rfc3463#section-3.8"
  example    "554 5.7.1 [EXM-101] 192.0.2.7 is blocked by Example Mail policy"
  counterexample "554 5.7.1 [EXM-201] message refused"
}
"#;

const CASES: &str = r#"# Cases for the NAME pack: each input, and the rule that must answer it.
# Snapshots of the full diagnoses live in tests/snapshots/.
cases:
  - name: example mail block code
    reply: "554 5.7.1 [EXM-101] 192.0.2.7 is blocked by Example Mail policy"
    expect: NAME/example_block_code
"#;

const MANIFEST: &str = r#"name: NAME
version: 0.1.0
description: Rules of NAME
license: MIT
authors: []
bouncedx: ">=VERSION"
imports:
  core: ">=0.1"
checks: []
"#;

/// Writes a new pack folder `dir` named after its last component.
pub fn new_pack(dir: &Path) -> Result<String, String> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("`{}` has no folder name to name the pack", dir.display()))?;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "pack name `{name}` must be letters, digits, `_` or `-`"
        ));
    }
    if dir.exists() {
        return Err(format!(
            "`{}` already exists; choose a new folder",
            dir.display()
        ));
    }
    let fill = |t: &str| {
        t.replace("NAME", &name)
            .replace("VERSION", env!("CARGO_PKG_VERSION"))
    };
    let tests = dir.join("tests");
    std::fs::create_dir_all(&tests)
        .map_err(|e| format!("cannot create {}: {e}", tests.display()))?;
    for (path, text) in [
        (dir.join(super::manifest::FILE), fill(MANIFEST)),
        (dir.join("rules.bdx"), fill(RULES)),
        (tests.join("cases.yaml"), fill(CASES)),
    ] {
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(name)
}
