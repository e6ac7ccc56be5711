//! The shipped packs (`rulesets/`), compiled once per fuzzing process, so
//! that every input goes all the way through intake *and* diagnosis.

use bouncedx_dsl::PackSource;
use bouncedx_engine::Engine;
use std::path::Path;

pub fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rulesets");
        let pack = |name: &str| -> Option<PackSource> {
            let dir = root.join(name);
            let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "bdx"))
                .map(|p| {
                    let text = std::fs::read_to_string(&p).expect("rule file");
                    (p.display().to_string(), text)
                })
                .collect();
            files.sort();
            Some(PackSource {
                name: name.to_string(),
                files,
            })
        };
        let packs = vec![pack("core").expect("core"), pack("providers").expect("providers")];
        let read = |p: &str| std::fs::read_to_string(p);
        let c = bouncedx_dsl::compile_unlinted(packs, &read, &pack);
        Engine::new(c.ruleset.expect("the shipped packs compile"))
    })
}
