//! Packages kept on disk by SHA-256 (`<state-dir>/packages/<sha256>.zip`), so a bot
//! running the same process again does not download it again. Every read is checked
//! against its hash: a damaged or tampered file is fetched anew.

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::path::{Path, PathBuf};

/// Packages kept; the least recently used beyond this are deleted.
const KEEP: usize = 32;

pub struct PackageCache {
    dir: PathBuf,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl PackageCache {
    pub fn new(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(PackageCache {
            dir: dir.to_path_buf(),
        })
    }

    /// The package with this hash: from disk when present and intact, else from `fetch`
    /// (whose bytes must match the hash), then kept.
    pub async fn get<F, Fut, E>(&self, sha256: &str, fetch: F) -> anyhow::Result<Vec<u8>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<u8>, E>>,
        E: std::error::Error + Send + Sync + 'static,
    {
        if !is_sha256(sha256) {
            bail!("the job names no valid package hash");
        }
        let sha256 = sha256.to_ascii_lowercase();
        let path = self.dir.join(format!("{sha256}.zip"));
        if let Ok(bytes) = tokio::fs::read(&path).await {
            if sha256_hex(&bytes) == sha256 {
                touch(&path);
                return Ok(bytes);
            }
            tracing::warn!(package = %sha256, "cached package damaged; fetching it again");
            let _ = tokio::fs::remove_file(&path).await;
        }
        let bytes = fetch().await.context("downloading the package")?;
        if sha256_hex(&bytes) != sha256 {
            bail!("the downloaded package does not match its SHA-256");
        }
        self.store(&path, &bytes).await?;
        Ok(bytes)
    }

    /// Writes to a temporary name then renames, so a reader never sees half a file.
    async fn store(&self, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, path).await?;
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || evict(&dir, KEEP)).await?;
        Ok(())
    }
}

/// Marks a package as just used (its modification time orders eviction).
fn touch(path: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(std::time::SystemTime::now());
    }
}

/// Deletes the least recently used packages beyond `keep`.
fn evict(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut packages: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "zip"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if packages.len() <= keep {
        return;
    }
    packages.sort();
    for (_, path) in &packages[..packages.len() - keep] {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("sluice-bot-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test]
    async fn a_package_is_downloaded_once_then_read_from_disk() {
        let dir = temp("once");
        let cache = PackageCache::new(&dir).unwrap();
        let bytes = b"zip bytes".to_vec();
        let sha = sha256_hex(&bytes);
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            let got = cache
                .get(&sha, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, std::io::Error>(bytes.clone())
                })
                .await
                .unwrap();
            assert_eq!(got, bytes);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_damaged_copy_is_fetched_again_and_a_wrong_download_refused() {
        let dir = temp("damaged");
        let cache = PackageCache::new(&dir).unwrap();
        let bytes = b"the real package".to_vec();
        let sha = sha256_hex(&bytes);
        std::fs::write(dir.join(format!("{sha}.zip")), b"tampered").unwrap();
        let got = cache
            .get(&sha, || async { Ok::<_, std::io::Error>(bytes.clone()) })
            .await
            .unwrap();
        assert_eq!(got, bytes);

        let other = sha256_hex(b"other");
        let wrong = cache
            .get(&other, || async {
                Ok::<_, std::io::Error>(b"not it".to_vec())
            })
            .await;
        assert!(wrong.is_err());
        assert!(!dir.join(format!("{other}.zip")).exists());
        let bad_hash = cache
            .get("../../etc/passwd", || async {
                Ok::<_, std::io::Error>(vec![])
            })
            .await;
        assert!(bad_hash.is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_the_most_recent_packages_are_kept() {
        let dir = temp("evict");
        std::fs::create_dir_all(&dir).unwrap();
        let base = std::time::SystemTime::now() - std::time::Duration::from_secs(100);
        for i in 0..5u64 {
            let path = dir.join(format!("{i}.zip"));
            std::fs::write(&path, b"x").unwrap();
            let f = std::fs::File::options().append(true).open(&path).unwrap();
            f.set_modified(base + std::time::Duration::from_secs(i))
                .unwrap();
        }
        evict(&dir, 2);
        let mut left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["3.zip", "4.zip"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
