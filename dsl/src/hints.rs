//! Hints about imports, added after compiling: which pack an author meant,
//! and which pack defines a name they used.
//!
//! An author who starts from the scaffold imports `core`; the providers
//! (`microsoft`, `gmail`, ...) live in the `providers` pack, which they did
//! not import. The compiler alone only knows the packs that are loaded, so
//! it can say "no provider is defined" but not where one is. The caller
//! names the packs that *could* be imported (the built-in ones); on the
//! error path only, those that are not loaded are parsed (not compiled) and
//! searched for the unknown name, and the error's help says which import
//! brings it.
//!
//! A mistyped import (`import coer`) gets a did-you-mean over the same
//! list, and the names the missing import would have brought are not
//! reported one by one: they are its consequence, not further mistakes.

use crate::ast::Item;
use crate::compile::ParsedPack;
use crate::diagnostics::Diagnostic;
use crate::source::SourceMap;
use crate::{vocab, FindPack};

/// The kinds of unknown name a missing import explains, by error code.
const NAME_ERRORS: &[(&str, &str)] = &[
    ("E0101", "category"),
    ("E0102", "phrase set"),
    ("E0103", "rule"),
    ("E0104", "provider"),
];

/// Rewrites the help of unknown-pack and unknown-name errors with what the
/// importable packs hold, and drops the name errors of a pack whose import
/// failed.
pub fn explain_imports(
    diags: &mut Vec<Diagnostic>,
    sources: &SourceMap,
    parsed: &[ParsedPack],
    importable: &[&str],
    find_pack: FindPack,
) {
    let pack_of = |d: &Diagnostic| -> Option<usize> {
        let file = &sources.get(d.span?.file).name;
        parsed
            .iter()
            .position(|p| p.files.iter().any(|f| f == file))
    };
    let loaded: Vec<&str> = parsed.iter().map(|p| p.name.as_str()).collect();
    let mut failed_import: Vec<usize> = Vec::new();
    for d in diags.iter_mut().filter(|d| d.code == "E0114") {
        let Some(name) = quoted(&d.message) else {
            continue;
        };
        let own = pack_of(d).map(|p| parsed[p].name.as_str());
        let candidates: Vec<&str> = loaded
            .iter()
            .chain(importable)
            .copied()
            .filter(|p| Some(*p) != own)
            .collect();
        let mut all = candidates.clone();
        all.sort_unstable();
        all.dedup();
        let list = all
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        d.help = Some(match vocab::did_you_mean(&name, candidates) {
            Some(c) => format!("did you mean `{c}`? The packs that can be imported are {list}"),
            None if all.is_empty() => {
                "no other pack is loaded: give it with `--rules PATH`".to_string()
            }
            None => format!("the packs that can be imported are {list}"),
        });
        if let Some(p) = pack_of(d) {
            failed_import.push(p);
        }
    }
    let is_name_error = |d: &Diagnostic| NAME_ERRORS.iter().any(|(c, _)| *c == d.code);
    diags.retain(|d| !(is_name_error(d) && pack_of(d).is_some_and(|p| failed_import.contains(&p))));

    if !diags.iter().any(is_name_error) {
        return;
    }
    // Parsed only when a name is unknown: the importable packs not loaded.
    let mut others: Vec<(String, Vec<Item>)> = Vec::new();
    for name in importable.iter().filter(|n| !loaded.contains(n)) {
        let Some(pack) = find_pack(name) else {
            continue;
        };
        let mut items = Vec::new();
        for (_, text) in &pack.files {
            let mut ignored = Vec::new();
            items.extend(crate::parser::parse_file(0, text, &mut ignored).items);
        }
        others.push((pack.name, items));
    }
    for d in diags.iter_mut().filter(|d| is_name_error(d)) {
        let Some(span) = d.span else {
            continue;
        };
        let text = &sources.get(span.file).text;
        let Some(name) = text.get(span.start as usize..span.end as usize) else {
            continue;
        };
        let name = name.rsplit('/').next().unwrap_or(name);
        let kind = NAME_ERRORS
            .iter()
            .find(|(c, _)| *c == d.code)
            .map_or("name", |(_, k)| *k);
        if let Some((pack, _)) = others
            .iter()
            .find(|(_, items)| items.iter().any(|i| defines(i, kind, name)))
        {
            d.help = Some(format!(
                "`{name}` is a {kind} of the `{pack}` pack: add `import {pack}` at the top of this file"
            ));
        }
    }
}

/// Whether `item` defines a `kind` called `name`.
fn defines(item: &Item, kind: &str, name: &str) -> bool {
    match (item, kind) {
        (Item::Category(c), "category") => c.name.name == name,
        (Item::Provider(p), "provider") => p.name.name == name,
        (Item::Phrases(p), "phrase set") => p.name.name == name,
        (Item::Rule(r), "rule") => r.name.name == name,
        _ => false,
    }
}

/// The first `backticked` word of a message.
fn quoted(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}
