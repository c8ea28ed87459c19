//! Helpers shared by the tests that run the `fit` example as users do.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// `target/<profile>/examples/fit`: built by a plain `cargo test` alongside the tests, and
/// built here when only one test target was asked for.
pub fn fit_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir
        .join("examples")
        .join(format!("fit{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--example", "fit", "--manifest-path"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    assert!(bin.exists(), "{} not built", bin.display());
    bin
}

/// Runs the `fit` example with `args` from the crate's root.
pub fn run_fit(args: &[&str]) -> Output {
    Command::new(fit_binary())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// A path in a per-process temporary folder.
pub fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clv-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}
