//! Starts `sluice serve` as a child process on a free port and a fresh database.

use anyhow::{bail, Context};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MASTER_KEY: &str = "bench-master-key-0123456789abcdef0123456789abcdef";

pub struct Server {
    child: Child,
    pub url: String,
    /// The sluice binary started (the jobs scenario starts bots with it).
    pub bin: std::path::PathBuf,
    _dir: Option<TempDir>,
}

/// A scratch folder removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Server {
    pub async fn start(database: &str, bin: Option<&Path>) -> anyhow::Result<Self> {
        let bin = match bin {
            Some(b) => b.to_path_buf(),
            None => std::env::current_exe()?.with_file_name("sluice"),
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let (url, dir) = if database == "sqlite" {
            let dir =
                std::env::temp_dir().join(format!("sluice-bench-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            (
                format!("sqlite://{}/sluice.db", dir.display()),
                Some(TempDir(dir)),
            )
        } else {
            (database.to_string(), None)
        };
        let child = Command::new(&bin)
            .arg("serve")
            .env("SLUICE_LISTEN", format!("127.0.0.1:{port}"))
            .env("SLUICE_DATABASE_URL", &url)
            .env("SLUICE_MASTER_API_KEY", MASTER_KEY)
            .env("SLUICE_ADMIN_PASSWORD", "bench-admin-password")
            .env(
                "SLUICE_SECRET_KEY",
                "bench-secret-key-that-is-long-enough-01",
            )
            .env("SLUICE_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            bin,
            _dir: dir,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/readyz", self.url)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("sluice did not become ready within 30 s")
    }

    /// Peak resident memory of the server process (Linux `VmHWM`).
    pub fn peak_rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    /// CPU time the server process has used so far, user plus system, in seconds: a
    /// measure of cost per request that other load on the machine disturbs less than
    /// throughput does.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // Fields after the parenthesized command name; utime and stime are the 12th and 13th.
        let rest = stat.rsplit_once(')')?.1;
        let mut fields = rest.split_whitespace().skip(11);
        let utime: f64 = fields.next()?.parse().ok()?;
        let stime: f64 = fields.next()?.parse().ok()?;
        // Linux reports both in USER_HZ ticks, 100 per second.
        Some((utime + stime) / 100.0)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
