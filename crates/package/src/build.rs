//! Writing packages: from a folder (`sluice package`), and rewriting one (the server
//! stores packages unencrypted, and `project/copy` renames inside the manifest).

use crate::archive::{self, safe_path, Limits, MANIFEST_FILE};
use crate::error::PackageError;
use crate::manifest::Manifest;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use zip::write::FileOptions;
use zip::{AesMode, CompressionMethod, DateTime, ZipWriter};

/// How to build a package from a folder.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions<'a> {
    /// Encrypt every entry with AES-256 (WinZip AE-2) under this password.
    pub password: Option<&'a str>,
    /// Files or folders (absolute, or relative to the current directory) left out, such as
    /// the output file when it is written inside the folder.
    pub exclude: Vec<PathBuf>,
}

/// Packs `folder` (which must hold a valid `sluice-project.json`) into a zip.
pub fn build(folder: &Path, password: Option<&str>) -> Result<Vec<u8>, PackageError> {
    build_with(
        folder,
        &BuildOptions {
            password,
            exclude: Vec::new(),
        },
    )
}

/// [`build`] with options. Entries are written in path order with a fixed time stamp, so
/// the same folder gives the same bytes (without a password: AES salts are random).
/// Symbolic links are refused, as a server would refuse them.
pub fn build_with(folder: &Path, options: &BuildOptions<'_>) -> Result<Vec<u8>, PackageError> {
    let manifest_bytes = std::fs::read(folder.join(MANIFEST_FILE)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            PackageError::MissingManifest
        } else {
            PackageError::Io(e)
        }
    })?;
    Manifest::parse(&manifest_bytes)?.validate()?;
    let exclude: Vec<PathBuf> = options
        .exclude
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let mut files = Vec::new();
    walk(folder, folder, &exclude, &mut files)?;
    files.sort();
    let limits = Limits::default();
    if files.len() > limits.max_entries {
        return Err(PackageError::Refused(format!(
            "{} files (at most {})",
            files.len(),
            limits.max_entries
        )));
    }
    let mut zip = Writer::new(options.password);
    let mut total: u64 = 0;
    for (name, path, executable) in &files {
        let bytes = std::fs::read(path)?;
        total += bytes.len() as u64;
        if total > limits.max_total_bytes {
            return Err(PackageError::Refused(format!(
                "the folder holds more than {} bytes",
                limits.max_total_bytes
            )));
        }
        zip.file(name, &bytes, *executable)?;
    }
    zip.finish()
}

/// The files below `dir`: (name in the package, path, executable).
fn walk(
    root: &Path,
    dir: &Path,
    exclude: &[PathBuf],
    out: &mut Vec<(String, PathBuf, bool)>,
) -> Result<(), PackageError> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if std::fs::canonicalize(&path).is_ok_and(|c| exclude.contains(&c)) {
            continue;
        }
        let kind = entry.file_type()?;
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if kind.is_symlink() {
            return Err(PackageError::Refused(format!(
                "{name:?} is a symbolic link; packages hold regular files only"
            )));
        }
        if kind.is_dir() {
            walk(root, &path, exclude, out)?;
        } else if kind.is_file() {
            let name = safe_path(&name)?;
            out.push((name, path, is_executable(&entry.metadata()?)));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// Rewrites a package: opens it (with every check), lets `edit` change the manifest, and
/// writes it again unencrypted with the new manifest. Returns the new bytes and manifest.
pub fn repack(
    bytes: &[u8],
    password: Option<&str>,
    edit: impl FnOnce(&mut Manifest),
) -> Result<(Vec<u8>, Manifest), PackageError> {
    let mut manifest = archive::open(bytes, password)?.manifest;
    edit(&mut manifest);
    manifest.validate()?;
    let mut out = Writer::new(None);
    out.file(MANIFEST_FILE, &manifest.to_json(), false)?;
    archive::for_each_file(bytes, password, |name, content, executable| {
        if name == MANIFEST_FILE {
            Ok(())
        } else {
            out.file(name, content, executable)
        }
    })?;
    Ok((out.finish()?, manifest))
}

/// A zip being written: deflate, fixed time stamps, optional AES-256.
struct Writer<'p> {
    zip: ZipWriter<Cursor<Vec<u8>>>,
    password: Option<&'p str>,
}

impl<'p> Writer<'p> {
    fn new(password: Option<&'p str>) -> Self {
        Self {
            zip: ZipWriter::new(Cursor::new(Vec::new())),
            password: password.filter(|p| !p.is_empty()),
        }
    }

    fn file(&mut self, name: &str, content: &[u8], executable: bool) -> Result<(), PackageError> {
        let mut options: FileOptions<'p, '_, ()> = FileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(if executable { 0o755 } else { 0o644 })
            .large_file(content.len() as u64 >= u32::MAX as u64);
        if let Some(p) = self.password {
            options = options.with_aes_encryption(AesMode::Aes256, p);
        }
        self.zip.start_file(name, options).map_err(zip_error)?;
        self.zip.write_all(content)?;
        Ok(())
    }

    fn finish(self) -> Result<Vec<u8>, PackageError> {
        Ok(self.zip.finish().map_err(zip_error)?.into_inner())
    }
}

fn zip_error(e: zip::result::ZipError) -> PackageError {
    match e {
        zip::result::ZipError::Io(io) => PackageError::Io(io),
        other => PackageError::Corrupt(other.to_string()),
    }
}
