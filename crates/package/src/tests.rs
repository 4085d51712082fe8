//! Round trips and every refusal of a hostile archive.

use super::*;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const MANIFEST: &str = r#"{
  "format": 1, "type": "project", "name": "Invoices", "mainProcess": "Main",
  "processes": [{"name": "Main", "command": ["sh", "main.sh"],
                 "inputs": [{"name": "currency", "default": "USD"}]}]
}"#;

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

/// A zip of raw entries, written without any of the package's own checks.
fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in entries {
        zip.start_file(*name, options()).expect("start");
        zip.write_all(content).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

/// A valid package plus `extra` entries.
fn package_with(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut entries: Vec<(&str, &[u8])> = vec![
        (MANIFEST_FILE, MANIFEST.as_bytes()),
        ("main.sh", b"echo hi\n"),
    ];
    entries.extend_from_slice(extra);
    raw_zip(&entries)
}

fn refused(result: Result<Package, PackageError>) -> PackageError {
    let err = result.expect_err("refused");
    assert_eq!(err.code(), "COMPRESSED_OBJECT_ERROR", "{err}");
    err
}

fn small_limits() -> Limits {
    Limits {
        max_total_bytes: 2 * 1024 * 1024,
        ..Limits::default()
    }
}

fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(MANIFEST_FILE), MANIFEST).expect("manifest");
    std::fs::write(dir.path().join("main.sh"), "echo hi\n").expect("script");
    std::fs::create_dir(dir.path().join("data")).expect("dir");
    std::fs::write(dir.path().join("data/rates.csv"), "USD,1\n").expect("data");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.path().join("main.sh");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    dir
}

#[test]
fn build_open_extract_round_trip() {
    let src = folder();
    let bytes = build(src.path(), None).expect("build");
    assert_eq!(
        bytes,
        build(src.path(), None).expect("again"),
        "deterministic"
    );
    let package = open(&bytes, None).expect("open");
    assert_eq!(package.manifest.name, "Invoices");
    assert!(!package.encrypted);
    assert_eq!(
        package.files,
        vec!["data/rates.csv", "main.sh", "sluice-project.json"]
    );
    let dest = tempfile::tempdir().expect("dest");
    let manifest = extract(&bytes, None, dest.path()).expect("extract");
    assert_eq!(manifest.main_process, "Main");
    assert_eq!(
        std::fs::read_to_string(dest.path().join("data/rates.csv")).unwrap(),
        "USD,1\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dest.path().join("main.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "scripts stay executable");
    }
    // Extracting again over the same files refuses to overwrite them.
    assert!(extract(&bytes, None, dest.path()).is_err());
}

#[test]
fn build_excludes_and_refuses_a_folder_without_manifest() {
    let src = folder();
    let out = src.path().join("out.zip");
    std::fs::write(&out, b"old").unwrap();
    let bytes = build_with(
        src.path(),
        &BuildOptions {
            password: None,
            exclude: vec![out],
        },
    )
    .expect("build");
    assert!(!open(&bytes, None)
        .unwrap()
        .files
        .contains(&"out.zip".to_string()));
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        build(empty.path(), None).unwrap_err().code(),
        "XML_DATA_IS_EMPTY"
    );
}

#[test]
fn aes_round_trip_and_wrong_password() {
    let src = folder();
    let bytes = build(src.path(), Some("s3cret")).expect("build");
    let package = open(&bytes, Some("s3cret")).expect("open");
    assert!(package.encrypted);
    assert_eq!(package.manifest.name, "Invoices");
    for wrong in [None, Some("wrong"), Some("")] {
        let err = open(&bytes, wrong).expect_err("refused");
        assert_eq!(err.code(), "IPA_WRONG_PASSWORD", "{wrong:?}: {err}");
    }
    let dest = tempfile::tempdir().unwrap();
    extract(&bytes, Some("s3cret"), dest.path()).expect("extract");
    assert_eq!(
        std::fs::read_to_string(dest.path().join("main.sh")).unwrap(),
        "echo hi\n"
    );
    let failed = tempfile::tempdir().unwrap();
    assert!(extract(&bytes, Some("wrong"), failed.path()).is_err());
    assert_eq!(std::fs::read_dir(failed.path()).unwrap().count(), 0);
    // A password given for a plain package is ignored.
    let plain = build(src.path(), None).unwrap();
    open(&plain, Some("unneeded")).expect("open");
}

#[test]
fn repack_decrypts_and_renames() {
    let src = folder();
    let bytes = build(src.path(), Some("pw")).unwrap();
    let (plain, manifest) = repack(&bytes, Some("pw"), |m| {
        m.name = "Copy".into();
        m.processes[0].name = "Start".into();
        m.main_process = "Start".into();
    })
    .expect("repack");
    assert_eq!(manifest.name, "Copy");
    let package = open(&plain, None).expect("plain");
    assert!(!package.encrypted);
    assert_eq!(package.manifest, manifest);
    assert_eq!(package.files.len(), 3);
    // An edit that breaks the rules is refused.
    let err = repack(&plain, None, |m| m.name = "9lives".into()).unwrap_err();
    assert_eq!(err.code(), "INVALID_OBJECT_NAME");
}

#[test]
fn refuses_what_is_not_a_package() {
    assert_eq!(
        open(b"not a zip", None).unwrap_err().code(),
        "COMPRESSED_OBJECT_ERROR"
    );
    let no_manifest = raw_zip(&[("main.sh", b"echo")]);
    assert_eq!(
        open(&no_manifest, None).unwrap_err().code(),
        "XML_DATA_IS_EMPTY"
    );
    let nested = raw_zip(&[("sub/sluice-project.json", MANIFEST.as_bytes())]);
    assert_eq!(open(&nested, None).unwrap_err().code(), "XML_DATA_IS_EMPTY");
    let bad_json = raw_zip(&[(MANIFEST_FILE, b"{\"format\": 1,")]);
    assert_eq!(
        open(&bad_json, None).unwrap_err().code(),
        "INVALID_XML_FORMAT"
    );
    let no_main = raw_zip(&[(
        MANIFEST_FILE,
        MANIFEST
            .replace("\"mainProcess\": \"Main\"", "\"mainProcess\": \"X\"")
            .as_bytes(),
    )]);
    assert_eq!(
        open(&no_main, None).unwrap_err().code(),
        "LATEST_PROCESS_IS_NOT_EXIST"
    );
}

#[test]
fn refuses_a_zip_bomb_by_bytes_actually_decompressed() {
    let zeros = vec![0u8; 3 * 1024 * 1024];
    let bomb = package_with(&[("zeros.bin", &zeros)]);
    let err = refused(open_with(&bomb, None, &small_limits()));
    assert!(err.to_string().contains("bytes"), "{err}");
    // The headers lie: they declare 100 bytes, the data inflates to megabytes. The declared
    // sizes pass the cheap check; the decompression is cut off.
    let liar = patch_sizes(package_with(&[("zeros.bin", &zeros)]), "zeros.bin", 100);
    refused(open_with(&liar, None, &small_limits()));
    refused(open(&liar, None));
}

#[test]
fn refuses_an_extreme_compression_ratio() {
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let bomb = package_with(&[("zeros.bin", &zeros)]);
    let err = refused(open(&bomb, None));
    assert!(err.to_string().contains("times"), "{err}");
    // Small files are not held to the ratio.
    let small = package_with(&[("zeros.bin", &zeros[..64 * 1024])]);
    open(&small, None).expect("small file");
}

#[test]
fn refuses_too_many_entries() {
    let names: Vec<String> = (0..12).map(|i| format!("f{i}.txt")).collect();
    let extra: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let many = package_with(&extra);
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    refused(open_with(&many, None, &limits));
    open(&many, None).expect("within the default limit");
    assert_eq!(Limits::default().max_entries, 10_000);
}

#[test]
fn refuses_path_traversal_and_absolute_paths() {
    for name in [
        "../evil.sh",
        "a/../../evil.sh",
        "/etc/cron.d/evil",
        "C:/evil",
        "a\\..\\b",
    ] {
        let bad = package_with(&[(name, b"x")]);
        refused(open(&bad, None));
        let dest = tempfile::tempdir().unwrap();
        assert!(
            extract(&bad, None, &dest.path().join("x")).is_err(),
            "{name}"
        );
        assert!(!dest.path().join("evil.sh").exists());
    }
}

#[test]
fn refuses_symbolic_links() {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(MANIFEST_FILE, options()).unwrap();
    zip.write_all(MANIFEST.as_bytes()).unwrap();
    zip.add_symlink("link", "/etc/passwd", options()).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let err = refused(open(&bytes, None));
    assert!(err.to_string().contains("symbolic link"), "{err}");
}

#[test]
fn refuses_duplicate_names() {
    // Same name twice (written as two names of one length, then patched to one).
    let bytes = package_with(&[("aaaa.txt", b"1"), ("bbbb.txt", b"2")]);
    let dup = replace_all(bytes, b"bbbb.txt", b"aaaa.txt");
    refused(open(&dup, None));
    // Names differing only in case would be one file on Windows and macOS bots.
    let case = package_with(&[("Data.txt", b"1"), ("data.txt", b"2")]);
    refused(open(&case, None));
}

/// Replaces every occurrence of `from` with `to` (same length).
fn replace_all(mut bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
    bytes
}

/// Sets the uncompressed size of entry `name` to `size` in its local and central headers.
fn patch_sizes(mut bytes: Vec<u8>, name: &str, size: u32) -> Vec<u8> {
    let le = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]) as usize;
    let mut i = 0;
    while i + 46 <= bytes.len() {
        let sig = &bytes[i..i + 4];
        if sig == [0x50, 0x4b, 0x03, 0x04] {
            let n = le(&bytes, i + 26);
            if &bytes[i + 30..i + 30 + n] == name.as_bytes() {
                bytes[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
            }
        } else if sig == [0x50, 0x4b, 0x01, 0x02] {
            let n = le(&bytes, i + 28);
            if &bytes[i + 46..i + 46 + n] == name.as_bytes() {
                bytes[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
            }
        }
        i += 1;
    }
    bytes
}
