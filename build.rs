//! Embeds the shipped rule packs (`rulesets/*/*.bdx`) in the binary, so a
//! fresh `cargo install` diagnoses with no files around.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rulesets");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut packs: Vec<_> = std::fs::read_dir(&root)
        .expect("rulesets/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    packs.sort();
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
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_rulesets.rs");
    std::fs::write(dest, out).unwrap();
}
