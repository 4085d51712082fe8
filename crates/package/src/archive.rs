//! Reading packages safely. Every archive is treated as hostile: the entry count, the
//! total of the bytes actually decompressed (not the sizes the headers claim), each entry's
//! compression ratio and every path are checked, and symbolic links, special files and
//! duplicate names (also differing only in case, which Windows and macOS bots would merge)
//! are refused.

use crate::error::PackageError;
use crate::manifest::Manifest;
use std::collections::HashSet;
use std::io::{self, Cursor, Read, Write};
use std::path::{Component, Path, PathBuf};
use zip::result::ZipError;
use zip::ZipArchive;

/// The manifest's name at the package root.
pub const MANIFEST_FILE: &str = "sluice-project.json";

/// Limits a package must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total decompressed bytes of all entries.
    pub max_total_bytes: u64,
    /// Entries (files and folders).
    pub max_entries: usize,
    /// Decompressed bytes per compressed byte, for entries past `ratio_floor_bytes`.
    pub max_ratio: u64,
    /// Entries smaller than this are not held to `max_ratio` (tiny files compress well).
    pub ratio_floor_bytes: u64,
    /// The manifest's size.
    pub max_manifest_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_total_bytes: 256 * 1024 * 1024,
            max_entries: 10_000,
            max_ratio: 200,
            ratio_floor_bytes: 1024 * 1024,
            max_manifest_bytes: 1024 * 1024,
        }
    }
}

/// A package that passed every check.
#[derive(Debug, Clone)]
pub struct Package {
    pub manifest: Manifest,
    /// Relative paths of the files (not folders), in archive order.
    pub files: Vec<String>,
    /// Decompressed bytes of all entries.
    pub total_bytes: u64,
    /// Whether any entry was encrypted.
    pub encrypted: bool,
}

/// One checked entry of the central directory.
struct Entry {
    index: usize,
    /// The normalized relative path ('/'-separated, no trailing '/').
    path: String,
    is_dir: bool,
    /// Executable by its owner (kept on extraction so scripts can run).
    executable: bool,
}

/// Opens and fully checks a package with the default limits.
pub fn open(bytes: &[u8], password: Option<&str>) -> Result<Package, PackageError> {
    open_with(bytes, password, &Limits::default())
}

/// [`open`] with explicit limits. Decompresses every entry (counting the bytes actually
/// produced), so a wrong password or a damaged entry anywhere is found here.
pub fn open_with(
    bytes: &[u8],
    password: Option<&str>,
    limits: &Limits,
) -> Result<Package, PackageError> {
    let mut reader = Reader::new(bytes, password, limits)?;
    let entries = reader.entries()?;
    let manifest = reader.manifest(&entries)?;
    let mut encrypted = false;
    let mut files = Vec::new();
    for e in &entries {
        if e.is_dir {
            continue;
        }
        encrypted |= reader.copy(e, &mut io::sink())?;
        files.push(e.path.clone());
    }
    Ok(Package {
        manifest,
        files,
        total_bytes: reader.total,
        encrypted,
    })
}

/// Extracts a package into `dest` (created if missing; files already there are never
/// overwritten) with the default limits, returning its manifest. On failure whatever was
/// written is removed again.
pub fn extract(
    bytes: &[u8],
    password: Option<&str>,
    dest: &Path,
) -> Result<Manifest, PackageError> {
    extract_with(bytes, password, dest, &Limits::default())
}

/// [`extract`] with explicit limits.
pub fn extract_with(
    bytes: &[u8],
    password: Option<&str>,
    dest: &Path,
    limits: &Limits,
) -> Result<Manifest, PackageError> {
    let mut reader = Reader::new(bytes, password, limits)?;
    let entries = reader.entries()?;
    let manifest = reader.manifest(&entries)?;
    std::fs::create_dir_all(dest)?;
    let mut written = Written::default();
    match write_entries(&mut reader, &entries, dest, &mut written) {
        Ok(()) => {
            written.keep();
            Ok(manifest)
        }
        Err(e) => Err(e), // `written` removes the partial extraction when dropped
    }
}

fn write_entries(
    reader: &mut Reader<'_>,
    entries: &[Entry],
    dest: &Path,
    written: &mut Written,
) -> Result<(), PackageError> {
    for e in entries {
        let target = dest.join(&e.path);
        create_dirs(dest, target.parent().unwrap_or(dest), written)?;
        if e.is_dir {
            create_dirs(dest, &target, written)?;
            continue;
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)?;
        written.files.push(target.clone());
        reader.copy(e, &mut out)?;
        out.flush()?;
        #[cfg(unix)]
        if e.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    Ok(())
}

/// Creates `dir` and its missing parents below `root`, remembering each for clean-up.
fn create_dirs(root: &Path, dir: &Path, written: &mut Written) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut at = dir;
    while at != root && !at.exists() {
        missing.push(at.to_path_buf());
        match at.parent() {
            Some(p) => at = p,
            None => break,
        }
    }
    for d in missing.into_iter().rev() {
        std::fs::create_dir(&d)?;
        written.dirs.push(d);
    }
    Ok(())
}

/// What an extraction wrote, removed again unless kept.
#[derive(Default)]
struct Written {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    kept: bool,
}

impl Written {
    fn keep(&mut self) {
        self.kept = true;
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        for f in self.files.iter().rev() {
            let _ = std::fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// An archive being read under the limits.
struct Reader<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    password: Option<&'a str>,
    limits: &'a Limits,
    /// Bytes decompressed so far.
    total: u64,
}

impl<'a> Reader<'a> {
    fn new(
        bytes: &'a [u8],
        password: Option<&'a str>,
        limits: &'a Limits,
    ) -> Result<Self, PackageError> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| match e {
            ZipError::InvalidArchive(m) if m.contains("uplicate") => {
                PackageError::Refused(format!("duplicate entry names ({m})"))
            }
            e => PackageError::Corrupt(e.to_string()),
        })?;
        if zip.len() > limits.max_entries {
            return Err(PackageError::Refused(format!(
                "{} entries (at most {})",
                zip.len(),
                limits.max_entries
            )));
        }
        if zip.has_duplicate_names() {
            return Err(PackageError::Refused("duplicate entry names".into()));
        }
        Ok(Self {
            zip,
            password: password.filter(|p| !p.is_empty()),
            limits,
            total: 0,
        })
    }

    /// Checks every entry's name and kind, and the declared total size (a cheap first
    /// refusal; the actual bytes are counted while decompressing).
    fn entries(&mut self) -> Result<Vec<Entry>, PackageError> {
        let mut entries = Vec::with_capacity(self.zip.len());
        let mut seen = HashSet::new();
        let mut declared: u64 = 0;
        for index in 0..self.zip.len() {
            let meta = self
                .zip
                .by_index_raw(index)
                .map_err(|e| PackageError::Corrupt(e.to_string()))?;
            let raw = meta
                .name()
                .map_err(|e| PackageError::Corrupt(e.to_string()))?
                .into_owned();
            if meta.is_symlink() {
                return Err(PackageError::Refused(format!("{raw:?} is a symbolic link")));
            }
            const S_IFMT: u32 = 0o170000;
            const S_IFREG: u32 = 0o100000;
            const S_IFDIR: u32 = 0o040000;
            let mode = meta.unix_mode();
            if let Some(kind) = mode.map(|m| m & S_IFMT).filter(|k| *k != 0) {
                if kind != S_IFREG && kind != S_IFDIR {
                    return Err(PackageError::Refused(format!(
                        "{raw:?} is not a regular file or folder"
                    )));
                }
            }
            let is_dir = meta.is_dir();
            let path = safe_path(&raw)?;
            if !seen.insert(path.to_lowercase()) {
                return Err(PackageError::Refused(format!(
                    "{path:?} appears twice (names differing only in case count as one)"
                )));
            }
            declared = declared.saturating_add(meta.size());
            if declared > self.limits.max_total_bytes {
                return Err(too_large(self.limits));
            }
            entries.push(Entry {
                index,
                path,
                is_dir,
                executable: mode.is_some_and(|m| m & 0o100 != 0),
            });
        }
        Ok(entries)
    }

    /// Reads and parses the root manifest (under its own size limit).
    fn manifest(&mut self, entries: &[Entry]) -> Result<Manifest, PackageError> {
        let entry = entries
            .iter()
            .find(|e| !e.is_dir && e.path == MANIFEST_FILE)
            .ok_or(PackageError::MissingManifest)?;
        let mut bytes = Vec::new();
        let limit = self.limits.max_manifest_bytes;
        let mut capped = LimitWriter {
            inner: &mut bytes,
            left: limit,
        };
        // The manifest is read apart from the total count, which `copy` keeps.
        let saved = self.total;
        let res = self.copy(entry, &mut capped);
        self.total = saved;
        match res {
            Err(PackageError::Io(e)) if e.kind() == io::ErrorKind::WriteZero => {
                return Err(PackageError::UnreadableManifest(format!(
                    "larger than {limit} bytes"
                )))
            }
            other => other?,
        };
        let manifest = Manifest::parse(&bytes)?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Decompresses one entry into `out` under the limits; whether it was encrypted.
    fn copy(&mut self, e: &Entry, out: &mut dyn Write) -> Result<bool, PackageError> {
        let limits = *self.limits;
        let budget = limits.max_total_bytes.saturating_sub(self.total);
        let file = match self.password {
            Some(p) => self.zip.by_index_decrypt(e.index, p.as_bytes()),
            None => self.zip.by_index(e.index),
        };
        let mut file = file.map_err(|err| match err {
            ZipError::InvalidPassword => PackageError::WrongPassword,
            ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => {
                PackageError::WrongPassword
            }
            other => PackageError::Corrupt(format!("{}: {other}", e.path)),
        })?;
        let encrypted = file.encrypted();
        let compressed = file.compressed_size().max(1);
        let mut buf = [0u8; 64 * 1024];
        let mut produced: u64 = 0;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                // An AES entry whose authentication fails was most likely opened with a
                // wrong password that passed the 16-bit check.
                Err(_) if encrypted => return Err(PackageError::WrongPassword),
                Err(err) => return Err(PackageError::Corrupt(format!("{}: {err}", e.path))),
            };
            produced += n as u64;
            if produced > budget {
                return Err(too_large(self.limits));
            }
            if produced > limits.ratio_floor_bytes && produced / compressed > limits.max_ratio {
                return Err(PackageError::Refused(format!(
                    "{:?} decompresses more than {} times its size",
                    e.path, limits.max_ratio
                )));
            }
            out.write_all(&buf[..n])?;
        }
        self.total += produced;
        Ok(encrypted)
    }
}

/// Calls `f` with each file's normalized name, content and executable bit, under the
/// default limits.
pub(crate) fn for_each_file(
    bytes: &[u8],
    password: Option<&str>,
    mut f: impl FnMut(&str, &[u8], bool) -> Result<(), PackageError>,
) -> Result<(), PackageError> {
    let limits = Limits::default();
    let mut reader = Reader::new(bytes, password, &limits)?;
    for e in reader.entries()?.iter().filter(|e| !e.is_dir) {
        let mut content = Vec::new();
        reader.copy(e, &mut content)?;
        f(&e.path, &content, e.executable)?;
    }
    Ok(())
}

fn too_large(limits: &Limits) -> PackageError {
    PackageError::Refused(format!(
        "more than {} bytes when decompressed",
        limits.max_total_bytes
    ))
}

/// Writes at most `left` bytes, then fails with `WriteZero`.
struct LimitWriter<'w> {
    inner: &'w mut Vec<u8>,
    left: u64,
}

impl Write for LimitWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() as u64 > self.left {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "limit reached"));
        }
        self.left -= buf.len() as u64;
        self.inner.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The normalized relative path of an entry name, or a refusal: absolute paths, drive
/// letters, `..` and `.` components, backslashes, colons and control characters.
pub(crate) fn safe_path(raw: &str) -> Result<String, PackageError> {
    let refuse = |why: &str| Err(PackageError::Refused(format!("entry {raw:?}: {why}")));
    if raw.is_empty() {
        return refuse("empty name");
    }
    if raw.chars().any(|c| c.is_control()) {
        return refuse("control character in the name");
    }
    if raw.contains('\\') || raw.contains(':') {
        return refuse("backslash or colon in the name");
    }
    if raw.starts_with('/') {
        return refuse("absolute path");
    }
    let trimmed = raw.strip_suffix('/').unwrap_or(raw);
    let mut parts = Vec::new();
    for c in Path::new(trimmed).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => return refuse("path leaves the package ('..')"),
            Component::CurDir => return refuse("'.' component"),
            Component::RootDir | Component::Prefix(_) => return refuse("absolute path"),
        }
    }
    if parts.is_empty() || trimmed.split('/').any(str::is_empty) {
        return refuse("empty path component");
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths() {
        assert_eq!(safe_path("a/b.txt").unwrap(), "a/b.txt");
        assert_eq!(safe_path("dir/").unwrap(), "dir");
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "C:/x",
            "a\\b",
            "./a",
            "a//b",
            "",
            "a\u{0}b",
        ] {
            assert!(safe_path(bad).is_err(), "{bad:?}");
        }
    }
}
