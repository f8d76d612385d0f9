//! `make test` builds the Rust tests in release mode and then cargo-leptos
//! builds the release server. Cargo gives a crate a new build whenever its
//! features differ, and it merges features over everything one command
//! builds, dev-dependencies included. If the tests' dev-dependencies turn on
//! a feature the server's own dependencies don't, leptos, sqlx, `app` and
//! `server` are all compiled twice, which costs CI about 11 minutes.
//!
//! This test asks `cargo tree` which features each crate gets in the two
//! builds (the test build as the Makefile runs it, the server build as
//! cargo-leptos runs it) and fails, naming the crate, when a crate that both
//! builds use is given different features.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `RUST_TEST_PACKAGES` line of the Makefile, split into arguments.
fn test_packages() -> Vec<String> {
    let makefile = std::fs::read_to_string(root().join("Makefile")).expect("read Makefile");
    let line = makefile
        .lines()
        .find_map(|l| l.strip_prefix("RUST_TEST_PACKAGES := "))
        .expect("the Makefile sets RUST_TEST_PACKAGES");
    assert!(
        makefile.contains("cargo test --release $(RUST_TEST_PACKAGES)"),
        "the Makefile's rust-tests runs `cargo test --release $(RUST_TEST_PACKAGES)`"
    );
    line.split_whitespace().map(str::to_string).collect()
}

/// Each crate ("name version") with the feature lists it is built with.
fn features(args: &[String], edges: &str) -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root())
        .args(["tree", "--offline", "--locked", "--prefix", "none", "-f", "{p}|{f}", "-e", edges])
        .args(args)
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut crates: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((package, features)) = line.trim_end_matches(" (*)").split_once('|') else { continue };
        // "name vX.Y.Z (/path)" for workspace members: keep name and version.
        let package = package.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        crates.entry(package).or_default().insert(features.trim().to_string());
    }
    crates
}

#[test]
fn release_build_reuses_the_test_build() {
    let tests = features(&test_packages(), "normal,build,dev");
    // cargo-leptos: bin-package "server", bin-default-features false,
    // bin-features ["ssr"] (Cargo.toml [workspace.metadata.leptos]).
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("read Cargo.toml");
    for setting in ["bin-package = \"server\"", "bin-features = [\"ssr\"]", "bin-default-features = false"] {
        assert!(manifest.contains(setting), "Cargo.toml's leptos metadata says {setting}");
    }
    let server = ["-p", "server", "--no-default-features", "--features", "ssr"].map(String::from);
    let release = features(&server, "no-dev");
    assert!(release.contains_key("app v0.1.0"), "cargo tree lists the server's crates");

    let differ: Vec<String> = release
        .iter()
        .filter_map(|(package, built)| {
            let tested = tests.get(package)?;
            (tested != built).then(|| format!("{package}: release {built:?}, tests {tested:?}"))
        })
        .collect();
    assert!(
        differ.is_empty(),
        "these crates get other features in the test build than in the release build, so `make test` \
         compiles them (and everything above them) twice; name the extra features in server/Cargo.toml \
         or drop them from the dev-dependency:\n{}",
        differ.join("\n")
    );
    let missing: Vec<&String> = release.keys().filter(|p| !tests.contains_key(*p)).collect();
    assert!(missing.is_empty(), "the test build leaves out crates the release build uses: {missing:?}");
}
