//! Builds the standard plugins (and the test plugins) from source in this
//! repository to WebAssembly components, so the host can embed the
//! standard ones and the binary finds them without configuration.
//!
//! It runs a nested `cargo build --target wasm32-wasip2` into its own
//! target directory (`target/plugins`), which has its own lock, so it does
//! not wait on the build that runs it. `rust-toolchain.toml` installs the
//! target when it installs the toolchain, but not when the pinned toolchain
//! was already there: so when rustup is present and the target is missing,
//! the build adds it (`rustup target add wasm32-wasip2`) before building;
//! without rustup the error says how to add it.

use std::path::PathBuf;
use std::process::Command;

const STANDARD: &[&str] = &["dnsbl", "auth", "postmaster", "snds"];
const TEST_PLUGINS: &[&str] = &["hostile", "future", "bimi"];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let plugins = manifest.parent().unwrap().to_path_buf();
    let root = plugins.parent().unwrap().to_path_buf();
    for dir in ["wit", "sdk", "std", "tests", "examples"] {
        println!("cargo:rerun-if-changed={}", plugins.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    let target_dir = root.join("target").join("plugins");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    ensure_wasm_target();
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&target_dir);
    for p in STANDARD.iter().chain(TEST_PLUGINS) {
        cmd.args(["-p", &format!("bouncedx-plugin-{p}")]);
    }
    // The outer build's settings are not the plugins' settings.
    for (k, _) in std::env::vars() {
        if k.starts_with("CARGO_FEATURE_")
            || k.starts_with("CARGO_CFG_")
            || matches!(
                k.as_str(),
                "RUSTFLAGS"
                    | "CARGO_ENCODED_RUSTFLAGS"
                    | "CARGO_TARGET_DIR"
                    | "CARGO_BUILD_TARGET"
                    | "CARGO_MAKEFLAGS"
                    | "MAKEFLAGS"
                    | "MFLAGS"
                    | "RUSTC_WRAPPER"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "CARGO_LLVM_COV"
                    | "LLVM_PROFILE_FILE"
            )
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_PANIC", "unwind");
    let out = cmd.output().expect("cargo runs");
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let hint = if err.contains("wasm32-wasip2") && err.contains("target may not be installed") {
            "\nhelp: add the target with `rustup target add wasm32-wasip2` (rust-toolchain.toml asks rustup for it)"
        } else {
            ""
        };
        panic!("building the plugins to WebAssembly failed:\n{err}{hint}");
    }
    let built = target_dir.join("wasm32-wasip2").join("release");
    println!("cargo:rustc-env=BOUNCEDX_PLUGIN_DIR={}", built.display());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut embed = String::from("/// The standard plugins, built from `plugins/std` by build.rs.\npub const STANDARD: &[(&str, &[u8])] = &[\n");
    for p in STANDARD {
        let wasm = built.join(format!("bouncedx_plugin_{p}.wasm"));
        embed.push_str(&format!(
            "    ({p:?}, include_bytes!({:?})),\n",
            wasm.display().to_string()
        ));
    }
    embed.push_str("];\n");
    std::fs::write(out_dir.join("standard.rs"), embed).unwrap();
}

/// Adds the `wasm32-wasip2` target through rustup when the toolchain that
/// runs this build lacks it (a machine where the pinned toolchain was
/// installed before `rust-toolchain.toml` asked for the target). Without
/// rustup nothing happens, and the nested build's error explains.
fn ensure_wasm_target() {
    let toolchain = std::env::var("RUSTUP_TOOLCHAIN").ok();
    let mut list = Command::new("rustup");
    if let Some(t) = &toolchain {
        list.args(["+".to_string() + t]);
    }
    let Ok(out) = list.args(["target", "list", "--installed"]).output() else {
        return; // no rustup: the nested build says what is missing
    };
    let installed = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || installed.lines().any(|l| l.trim() == "wasm32-wasip2") {
        return;
    }
    println!(
        "cargo:warning=adding the wasm32-wasip2 target with rustup (the plugins are built to WebAssembly; `rustup{} target list --installed` listed: {})",
        toolchain.as_ref().map(|t| format!(" +{t}")).unwrap_or_default(),
        installed.split_whitespace().collect::<Vec<_>>().join(", ")
    );
    let mut add = Command::new("rustup");
    add.args(["target", "add", "wasm32-wasip2"]);
    if let Some(t) = &toolchain {
        add.args(["--toolchain", t]);
    }
    let _ = add.status();
}
