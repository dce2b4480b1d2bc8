//! The test steps (scripts/test/NN-*.sh) name the Debian package of every
//! external program they need (`require STEP PROGRAM:PACKAGE ...` from
//! scripts/test/lib/require.sh), those packages are the ones the install
//! step installs, and a missing program stops a step with a message that
//! names its package.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Packages every Debian system has (Essential: coreutils, libc-bin, dpkg,
/// gzip) or that the machine image brings (Node.js with npm, which Debian
/// splits into two packages).
const BASE_PACKAGES: &[&str] = &["coreutils", "libc-bin", "dpkg", "gzip", "nodejs"];

fn apt_packages() -> Vec<String> {
    std::fs::read_to_string(repo().join("scripts/test/apt-packages.txt"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

fn steps() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("scripts/test"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".sh") && n.starts_with(|c: char| c.is_ascii_digit())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_required_package_is_installed_by_the_install_step() {
    let apt = apt_packages();
    let mut seen = 0;
    for step in steps() {
        let text = std::fs::read_to_string(&step).unwrap();
        for line in text
            .lines()
            .filter(|l| l.trim_start().starts_with("require "))
        {
            for entry in line.split_whitespace().skip(2) {
                let (prog, pkg) = entry.split_once(':').unwrap_or_else(|| {
                    panic!("{}: {entry} is not PROGRAM:PACKAGE", step.display())
                });
                assert!(!prog.is_empty(), "{}: {entry}", step.display());
                assert!(
                    apt.iter().any(|p| p == pkg) || BASE_PACKAGES.contains(&pkg),
                    "{}: package {pkg} (for {prog}) is not in scripts/test/apt-packages.txt",
                    step.display()
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 20, "only {seen} required programs found");
}

#[test]
fn steps_that_run_programs_check_for_them() {
    // Each step that runs the network tests checks for `ip` first.
    for step in steps() {
        let name = step.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("-e2e-") {
            let text = std::fs::read_to_string(&step).unwrap();
            assert!(text.contains("ip:iproute2"), "{name} does not require ip");
        }
    }
}

#[test]
fn a_missing_program_names_its_package() {
    let lib = repo().join("scripts/test/lib/require.sh");
    let script = format!(
        ". '{}'; require 99-demo sh:dash no-such-program-oncp:oncp-fake-pkg /no/such/file:other-pkg; echo reached",
        lib.display()
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("reached"));
    assert!(
        err.contains("99-demo: missing: no-such-program-oncp /no/such/file"),
        "{err}"
    );
    assert!(err.contains("oncp-fake-pkg other-pkg"), "{err}");
    assert!(!err.contains("dash"), "{err}");
    let ok = format!(
        ". '{}'; require 99-demo sh:dash && echo reached",
        lib.display()
    );
    let out = Command::new("bash").args(["-c", &ok]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("reached"));
}
