//! What the CLI's integration tests share: scratch folders and child processes that clean
//! up after themselves.

#![allow(dead_code)] // each test binary uses part of it

use std::path::PathBuf;
use std::process::Child;

/// A scratch folder removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("sluice-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed on drop.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `serve` (a `sluice serve` command with its environment) on a port the system
/// picks, and returns it with its base URL, read from its "sluice listening" log line. A
/// port the test picked and released could meanwhile go to a concurrent test's server,
/// whose answers this test would then read as its own. (Logs go to standard error.)
pub fn spawn_server(serve: std::process::Command) -> (Killed, String) {
    let (server, url, _log_writer) = spawn_server_logging(serve, None);
    (server, url)
}

/// [`spawn_server`], writing every line of the server's log to `log` too (at the level the
/// command's `SLUICE_LOG` sets, if it does). The log is whole once the server is dropped and
/// the returned thread joined.
pub fn spawn_server_logging(
    mut serve: std::process::Command,
    log: Option<&std::path::Path>,
) -> (Killed, String, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, Write};
    if !serve.get_envs().any(|(key, _)| key == "SLUICE_LOG") {
        serve.env("SLUICE_LOG", "warn,sluice::commands::serve=info");
    }
    let mut child = serve
        .env("SLUICE_LISTEN", "127.0.0.1:0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start sluice serve");
    let stderr = child.stderr.take().expect("stderr");
    let child = Killed(child);
    let mut file = log.map(|path| std::fs::File::create(path).expect("server log file"));
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads every line, so the server never blocks on a full pipe.
    let writer = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(file) = file.as_mut() {
                writeln!(file, "{line}").expect("write the server log");
            }
            if !line.contains("sluice listening") {
                continue;
            }
            if let Some(at) = line.find("127.0.0.1:") {
                let port: String = line[at + 10..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                let _ = tx.send(port);
            }
        }
    });
    let port = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the server's listening address");
    (child, format!("http://127.0.0.1:{port}"), writer)
}
