//! Embeds the shipped rule packs (`rulesets/*/*.bdx`) in the binary, so a
//! fresh `cargo install` diagnoses with no files around, and compiles them
//! once, here, so that a run loads the compiled ruleset instead of parsing
//! 490 KB of rule text at every start (see `bouncedx_dsl::prebuilt`).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // read when the script runs, not when it is compiled: a build script
    // binary is reused across checkouts that share a target directory
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")
        .expect("cargo sets CARGO_MANIFEST_DIR for build scripts");
    let root = Path::new(&manifest_dir).join("rulesets");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut packs: Vec<_> = std::fs::read_dir(&root)
        .expect("rulesets/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    packs.sort();
    let mut sources: Vec<bouncedx_dsl::PackSource> = Vec::new();
    let mut out = String::from("/// (pack, path, text) of every shipped rule file.\npub static EMBEDDED: &[(&str, &str, &str)] = &[\n");
    for pack in packs {
        println!("cargo:rerun-if-changed={}", pack.display());
        let name = pack.file_name().unwrap().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(&pack)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "bdx"))
            .collect();
        files.sort();
        for f in files {
            println!("cargo:rerun-if-changed={}", f.display());
            let rel = format!(
                "rulesets/{name}/{}",
                f.file_name().unwrap().to_string_lossy()
            );
            let text = std::fs::read_to_string(&f).expect("a rule file is UTF-8 text");
            match sources.iter_mut().find(|p| p.name == name) {
                Some(p) => p.files.push((rel.clone(), text)),
                None => sources.push(bouncedx_dsl::PackSource {
                    name: name.clone(),
                    files: vec![(rel.clone(), text)],
                }),
            }
            writeln!(
                out,
                "    ({name:?}, {rel:?}, include_str!({:?})),",
                f.display().to_string()
            )
            .unwrap();
        }
    }
    out.push_str("];\n");
    // The shipped packs' manifests, for their versions.
    out.push_str("/// (pack, pack.yaml) of every shipped pack that has one.\npub static EMBEDDED_MANIFESTS: &[(&str, &str)] = &[\n");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("pack.yaml").is_file())
        .collect();
    dirs.sort();
    for d in dirs {
        let m = d.join("pack.yaml");
        println!("cargo:rerun-if-changed={}", m.display());
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            m.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // The packs compiled as a run compiles them (unlinted: `check` lints
    // them). With errors there is no pre-built form; a run then compiles
    // the text and shows them.
    let compiled = bouncedx_dsl::compile_unlinted(
        sources,
        &|_| Err(std::io::ErrorKind::NotFound.into()),
        &|_| None,
    );
    let prebuilt = bouncedx_dsl::prebuilt::to_bytes(&compiled).unwrap_or_else(|| {
        println!(
            "cargo:warning=the built-in rule packs have errors (`bouncedx check rulesets/` shows them); each run will compile them"
        );
        Vec::new()
    });
    let prebuilt_path = out_dir.join("builtin.ruleset");
    std::fs::write(&prebuilt_path, prebuilt).unwrap();
    writeln!(
        out,
        "/// The built-in packs, compiled at build time (empty when they do not compile).\npub static PREBUILT: &[u8] = include_bytes!({:?});",
        prebuilt_path.display().to_string()
    )
    .unwrap();
    let dest = out_dir.join("embedded_rulesets.rs");
    std::fs::write(dest, out).unwrap();
}
