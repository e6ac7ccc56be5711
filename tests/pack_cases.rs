//! Every shipped pack's case files (`rulesets/<pack>/tests/*.yaml`) run
//! through insta, on the same snapshot files `bouncedx test` compares, so
//! `cargo insta review` works on them too. Expectations (`expect`, `fires`,
//! `expect_not`) are checked by `bouncedx test` (and CI runs it); this test
//! keeps the snapshots honest from `cargo test`.

use bouncedx::authoring::cases;
use std::path::Path;

#[test]
fn shipped_pack_cases_are_as_reviewed() {
    let engine = bouncedx::default_engine();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rulesets");
    let mut packs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    packs.sort();
    let mut ran = 0;
    for pack in packs {
        for file in cases::case_files(&pack) {
            let cf = cases::load(&file).unwrap();
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(pack.join("tests/snapshots"));
            settings.set_prepend_module_to_snapshot(false);
            settings.bind(|| {
                for case in &cf.cases {
                    if case.todo.is_some() || case.no_snapshot {
                        continue;
                    }
                    let ds = cases::diagnose(&engine, case, file.parent().unwrap()).unwrap();
                    let name = format!("{stem}__{}", cases::slug(&case.name));
                    if ds.len() == 1 {
                        insta::assert_json_snapshot!(name, ds[0]);
                    } else {
                        insta::assert_json_snapshot!(name, ds);
                    }
                    ran += 1;
                }
            });
        }
    }
    assert!(ran >= 3, "the shipped packs' case files were not found");
}
