//! # Pre-built rulesets: compile once, at build time
//!
//! The built-in packs are fixed when the binary is built, yet compiling
//! them (566 rules, 490 KB of rule text) is most of what a one-reply run
//! does: pest parsing the text and lowering it cost about 250 million
//! instructions, 60–70 ms, before the reply is even read. So the build
//! script compiles them once and embeds the result, and a run only loads
//! it.
//!
//! The embedded form is the compiled [`Ruleset`] serialised with
//! `postcard` (compact, no schema), behind a header that names the format
//! and the version of this crate, so that bytes from another build are
//! refused rather than misread. What is not data is rebuilt when a run
//! first needs it, as after any compilation: the Aho-Corasick automaton
//! from its literals once the run has searched enough text to pay for it
//! (see [`crate::ir::DIRECT_BUDGET`]), regexes on first use. The [`SourceMap`] keeps only the names
//! of the files; the caller hands back their texts (the binary embeds them
//! anyway), so spans still quote the rule text.
//!
//! The loaded ruleset is the compiled one, byte for byte: serialising it
//! again gives the same bytes (maps are written in key order), which the
//! root crate's tests check against a fresh compilation.

use crate::ir::{Patterns, Ruleset};
use crate::{Compilation, Report, SourceMap};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// First bytes of every pre-built ruleset.
const MAGIC: &[u8; 17] = b"bouncedx-ruleset\0";
/// Bumped when the layout changes in a way `postcard` cannot notice.
const FORMAT: u32 = 2;

/// What is embedded: the crate version that wrote it, the files the
/// compilation read (by name, in [`SourceMap`] order) and the ruleset.
/// Written from borrowed parts, read back as owned ones.
#[derive(Serialize, Deserialize)]
struct Prebuilt<'a> {
    format: u32,
    version: Cow<'a, str>,
    files: Vec<Cow<'a, str>>,
    ruleset: Cow<'a, Ruleset>,
}

/// The pre-built form of a compilation, or `None` when it has errors (it
/// then has no ruleset: a run compiles the text and shows them).
pub fn to_bytes(c: &Compilation) -> Option<Vec<u8>> {
    let body = Prebuilt {
        format: FORMAT,
        version: Cow::Borrowed(env!("CARGO_PKG_VERSION")),
        files: c
            .sources
            .files()
            .map(|(_, f)| Cow::Borrowed(f.name.as_str()))
            .collect(),
        ruleset: Cow::Borrowed(c.ruleset.as_ref()?),
    };
    let mut out = MAGIC.to_vec();
    out.extend(postcard::to_allocvec(&body).ok()?);
    Some(out)
}

/// Loads a pre-built compilation. `text_of` gives the text of a file by the
/// name it was compiled under. Fails, saying why, on bytes of another
/// format or version, or a file it cannot find; the caller then compiles
/// the text instead.
pub fn from_bytes(
    bytes: &[u8],
    text_of: &dyn Fn(&str) -> Option<String>,
) -> Result<Compilation, String> {
    let body = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or("not a pre-built bouncedx ruleset")?;
    let prebuilt: Prebuilt =
        postcard::from_bytes(body).map_err(|e| format!("pre-built ruleset unreadable: {e}"))?;
    if prebuilt.format != FORMAT || prebuilt.version != env!("CARGO_PKG_VERSION") {
        return Err(format!(
            "pre-built ruleset is format {} of bouncedx-dsl {}, this is format {FORMAT} of {}",
            prebuilt.format,
            prebuilt.version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    let mut sources = SourceMap::new();
    for name in &prebuilt.files {
        let text = text_of(name)
            .ok_or_else(|| format!("pre-built ruleset names `{name}`, which is not embedded"))?;
        sources.add(name.as_ref(), text);
    }
    Ok(Compilation {
        sources,
        report: Report::default(),
        ruleset: Some(prebuilt.ruleset.into_owned()),
    })
}

/// [`Patterns`] as data: what [`Patterns::assemble`] builds the matchers
/// from.
#[derive(Serialize, Deserialize)]
pub struct PatternsData {
    pub literals: Vec<String>,
    /// The automaton's patterns: the literals, then the regexes' gate
    /// literals.
    pub searched: Vec<String>,
    pub regex_sources: Vec<String>,
    pub ungated: Vec<u32>,
    pub gates: Vec<u32>,
    pub compiled_sources: Vec<String>,
}

impl From<Patterns> for PatternsData {
    fn from(p: Patterns) -> PatternsData {
        PatternsData {
            literals: p.literals,
            searched: p.automata.patterns.clone(),
            regex_sources: p.regex_sources,
            ungated: p.ungated,
            gates: p.gates,
            compiled_sources: p.compiled_sources,
        }
    }
}

impl TryFrom<PatternsData> for Patterns {
    type Error = String;
    fn try_from(data: PatternsData) -> Result<Patterns, String> {
        Patterns::assemble(data)
    }
}

/// A `HashMap` as its entries in key order, so the same map always gives
/// the same bytes.
pub(crate) mod sorted_map {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::HashMap;
    use std::hash::Hash;

    pub fn serialize<K, V, S>(map: &HashMap<K, V>, s: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize + Ord,
        V: Serialize,
        S: Serializer,
    {
        let mut entries: Vec<(&K, &V)> = map.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries.serialize(s)
    }

    pub fn deserialize<'de, K, V, D>(d: D) -> Result<HashMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(text: &str) -> Compilation {
        let packs = vec![crate::PackSource {
            name: "t".into(),
            files: vec![("t.bdx".into(), text.into())],
        }];
        crate::compile_unlinted(
            packs,
            &|_| Err(std::io::ErrorKind::NotFound.into()),
            &|_| None,
        )
    }

    const PACK: &str = r#"
category blacklist {
  title  "Listed"
  reason blocked
}
rule listed {
  category   blacklist
  confidence high
  when       class permanent and text has ["blocked using", /\bzen\.spamhaus\.org\b/] and host matches /mx\d/
  capture    list = /blocked using ([a-z0-9.-]+)/
  diagnosis  "Listed on {list}"
  fix        "Delist"
  refs       "https://check.spamhaus.org/"
  example    "550 5.7.1 blocked using zen.spamhaus.org"
}
"#;

    #[test]
    fn a_loaded_ruleset_serialises_to_the_same_bytes() {
        let c = compiled(PACK);
        let bytes = to_bytes(&c).expect("compiles");
        let text_of = |name: &str| (name == "t.bdx").then(|| PACK.to_string());
        let loaded = from_bytes(&bytes, &text_of).expect("loads");
        assert_eq!(to_bytes(&loaded).unwrap(), bytes);
        let r = loaded.ruleset.as_ref().unwrap();
        assert_eq!(&*r.rules[0].id, "t/listed");
        assert_eq!(loaded.sources.get(0).text, PACK);
        // the automaton can be built again: it finds the literal
        let form = crate::patterns::search_form("550 blocked using x");
        let automaton = r.patterns.noncontiguous().expect("builds");
        assert!(automaton.find_iter(&form).next().is_some());
    }

    #[test]
    fn bytes_of_another_kind_are_refused_with_a_reason() {
        let text_of = |_: &str| None;
        let err = from_bytes(b"hello", &text_of).err().unwrap();
        assert!(err.contains("not a pre-built"), "{err}");
        let mut bytes = to_bytes(&compiled(PACK)).unwrap();
        let err = from_bytes(&bytes, &text_of).err().unwrap();
        assert!(err.contains("not embedded"), "{err}");
        bytes.truncate(bytes.len() / 2);
        let err = from_bytes(&bytes, &|_| Some(PACK.into())).err().unwrap();
        assert!(err.contains("unreadable"), "{err}");
    }

    #[test]
    fn a_compilation_with_errors_has_no_prebuilt_form() {
        assert!(to_bytes(&compiled("rule x {")).is_none());
    }
}
