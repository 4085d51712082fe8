//! `sluice package`: builds a package from a folder, encrypted on request, and refuses a
//! folder that is not a project.

mod common;

use common::Scratch;
use std::path::Path;
use std::process::Command;

fn project(dir: &Path) {
    std::fs::write(
        dir.join("sluice-project.json"),
        r#"{"format": 1, "type": "project", "name": "Invoices", "mainProcess": "Main",
            "processes": [{"name": "Main", "command": ["sh", "main.sh"], "timeoutSeconds": 60}]}"#,
    )
    .expect("manifest");
    std::fs::write(dir.join("main.sh"), "echo done\n").expect("script");
}

fn sluice(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(cwd)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run sluice")
}

#[test]
fn packages_a_folder() {
    let scratch = Scratch::new("plain");
    let src = scratch.0.join("src");
    std::fs::create_dir(&src).unwrap();
    project(&src);
    // Default output: <project name>.zip in the current folder.
    let out = sluice(&scratch.0, &["package", "src"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(scratch.0.join("Invoices.zip")).expect("package written");
    let package = sluice_package::open(&bytes, None).expect("opens");
    assert_eq!(package.manifest.name, "Invoices");
    assert_eq!(package.files, vec!["main.sh", "sluice-project.json"]);
    // An output inside the folder is not packed into the next build.
    let inside = src.join("build.zip");
    for _ in 0..2 {
        let out = sluice(&scratch.0, &["package", "src", "-o", "src/build.zip"], &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let again = sluice_package::open(&std::fs::read(&inside).unwrap(), None).unwrap();
    assert_eq!(again.files.len(), 2);
}

#[test]
fn encrypts_with_a_password_from_the_environment() {
    let scratch = Scratch::new("aes");
    project(&scratch.0);
    let out = sluice(
        &scratch.0,
        &[
            "package",
            ".",
            "-o",
            "secret.zip",
            "--password-env",
            "PKG_PW",
        ],
        &[("PKG_PW", "s3cret")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("AES-256"));
    let bytes = std::fs::read(scratch.0.join("secret.zip")).unwrap();
    assert_eq!(
        sluice_package::open(&bytes, None).unwrap_err().code(),
        "IPA_WRONG_PASSWORD"
    );
    assert!(
        sluice_package::open(&bytes, Some("s3cret"))
            .unwrap()
            .encrypted
    );
    // A variable that is not set is an error, not an unencrypted package.
    let out = sluice(
        &scratch.0,
        &[
            "package",
            ".",
            "-o",
            "x.zip",
            "--password-env",
            "SLUICE_TEST_UNSET_VAR",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(!scratch.0.join("x.zip").exists());
}

#[test]
fn refuses_a_folder_that_is_not_a_project() {
    let scratch = Scratch::new("bad");
    let out = sluice(&scratch.0, &["package", "."], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sluice-project.json"));
    std::fs::write(
        scratch.0.join("sluice-project.json"),
        r#"{"format": 1, "name": "9Invoices", "mainProcess": "Main",
            "processes": [{"name": "Main", "command": ["sh"]}]}"#,
    )
    .unwrap();
    let out = sluice(&scratch.0, &["package", ".", "-o", "p.zip"], &[]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("INVALID_OBJECT_NAME"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
