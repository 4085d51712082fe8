//! Runs one process in its own process group (Unix) or job object (Windows), so a stop
//! request, the timeout or the agent's own end kills the whole tree it started, not just
//! its first process. Stdout is read line by line for progress reports.

use super::progress::{self, Lines, Progress};
use process_wrap::tokio::{ChildWrapper, CommandWrap};
use std::ffi::OsString;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::sync::watch;

/// How to start the process.
pub struct Launch<'a> {
    pub argv: &'a [String],
    pub cwd: &'a Path,
    pub env: Vec<(&'static str, OsString)>,
    /// `None`: no limit.
    pub timeout: Option<Duration>,
}

/// How the process ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// It exited by itself; `None` when a signal ended it.
    Exited(Option<i32>),
    /// A stop request killed it.
    Stopped,
    /// The timeout killed it.
    TimedOut,
}

/// Kills the tree if the run is abandoned (the agent shutting down mid-job).
struct TreeGuard {
    child: Box<dyn ChildWrapper>,
    armed: bool,
}

impl Drop for TreeGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.child.start_kill();
        }
    }
}

/// The program to start: a relative path with a folder in it (`./run.sh`,
/// `bin\tool.exe`) is inside the package, not relative to the agent's folder.
fn program(argv0: &str, cwd: &Path) -> PathBuf {
    let has_folder = argv0.contains('/') || (cfg!(windows) && argv0.contains('\\'));
    let path = Path::new(argv0);
    if has_folder && path.is_relative() {
        cwd.join(path)
    } else {
        path.to_path_buf()
    }
}

/// Starts the process and waits for it to end, to be stopped (`stop` resolves) or to time
/// out. Progress lines go to `progress`; other output goes to the agent's debug log.
pub async fn run(
    launch: Launch<'_>,
    stop: impl Future<Output = ()>,
    progress: watch::Sender<Option<Progress>>,
) -> std::io::Result<Ending> {
    let Some((argv0, args)) = launch.argv.split_first() else {
        return Err(std::io::Error::other("the process has no command"));
    };
    let mut command = tokio::process::Command::new(program(argv0, launch.cwd));
    command
        .args(args)
        .current_dir(launch.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The agent's own settings (the license among them) are not the process's business.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("SLUICE_") {
            command.env_remove(key);
        }
    }
    command.envs(launch.env);
    let mut wrap = CommandWrap::from(command);
    #[cfg(unix)]
    wrap.wrap(process_wrap::tokio::ProcessGroup::leader());
    #[cfg(windows)]
    wrap.wrap(process_wrap::tokio::JobObject);
    let mut guard = TreeGuard {
        child: wrap.spawn()?,
        armed: true,
    };
    let readers = spawn_readers(guard.child.as_mut(), progress);

    let deadline = async {
        match launch.timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending().await,
        }
    };
    enum Woke {
        Exited(std::process::ExitStatus),
        Stop,
        Timeout,
    }
    let woke = tokio::select! {
        status = guard.child.wait() => Woke::Exited(status?),
        () = stop => Woke::Stop,
        () = deadline => Woke::Timeout,
    };
    // Killing the group after a normal exit too: whatever the process left running in
    // the background goes with it (Unix; on Windows `wait` waits for the whole job).
    let _ = guard.child.start_kill();
    guard.armed = false;
    let ending = match woke {
        Woke::Exited(status) => Ending::Exited(status.code()),
        Woke::Stop | Woke::Timeout => {
            let _ = guard.child.wait().await;
            if matches!(woke, Woke::Stop) {
                Ending::Stopped
            } else {
                Ending::TimedOut
            }
        }
    };
    finish(readers, ending).await
}

/// Lets the output readers drain what is left (briefly: a leftover holding the pipe must
/// not keep the job open).
async fn finish(
    readers: Vec<tokio::task::JoinHandle<()>>,
    ending: Ending,
) -> std::io::Result<Ending> {
    for r in readers {
        let abort = r.abort_handle();
        if tokio::time::timeout(Duration::from_secs(2), r)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
    Ok(ending)
}

fn spawn_readers(
    child: &mut dyn ChildWrapper,
    progress: watch::Sender<Option<Progress>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    if let Some(out) = child.stdout().take() {
        tasks.push(tokio::spawn(async move {
            let mut lines = Lines::new(out);
            while let Ok(Some(line)) = lines.next_line().await {
                // Other output is drained, never logged: a process may echo its inputs or
                // credentials, which must not reach the agent's log.
                if let Some(p) = progress::parse(&line) {
                    let _ = progress.send(Some(p));
                }
            }
        }));
    }
    if let Some(err) = child.stderr().take() {
        tasks.push(tokio::spawn(async move {
            let mut lines = Lines::new(err);
            // Drained so the process never blocks on a full pipe; not logged (see above).
            while let Ok(Some(_)) = lines.next_line().await {}
        }));
    }
    tasks
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    fn alive(pid: i32) -> bool {
        // Signal 0 checks the process exists; a zombie has no /proc/<pid>/cmdline content.
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty())
    }

    async fn wait_for_file(path: &Path) -> String {
        for _ in 0..500 {
            if let Ok(s) = std::fs::read_to_string(path) {
                if s.ends_with('\n') {
                    return s;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{} never appeared", path.display());
    }

    #[tokio::test]
    async fn exit_codes_environment_and_progress_come_back() {
        let dir = std::env::temp_dir();
        let (tx, rx) = watch::channel(None);
        let argv =
            sh("echo '::progress 30 Working'; echo other; test \"$SLUICE_JOB_ID\" = j1 && exit 3");
        let ending = run(
            Launch {
                argv: &argv,
                cwd: &dir,
                env: vec![("SLUICE_JOB_ID", "j1".into())],
                timeout: None,
            },
            std::future::pending(),
            tx,
        )
        .await
        .unwrap();
        assert_eq!(ending, Ending::Exited(Some(3)));
        assert_eq!(
            *rx.borrow(),
            Some(Progress {
                percentage: 30,
                step: "Working".into()
            })
        );
    }

    /// Starts a shell that starts a grandchild, then ends it the way `end` says; both must
    /// be gone afterwards.
    async fn tree_is_killed(end: &str) {
        let dir =
            std::env::temp_dir().join(format!("sluice-bot-proc-{end}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pids = dir.join("pids");
        let argv = sh("sleep 300 & echo $$ $! > pids; wait");
        let (tx, _rx) = watch::channel(None);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let timeout = (end == "timeout").then(|| Duration::from_millis(300));
        let task = {
            let dir = dir.clone();
            tokio::spawn(async move {
                run(
                    Launch {
                        argv: &argv,
                        cwd: &dir,
                        env: vec![],
                        timeout,
                    },
                    async {
                        let _ = stop_rx.await;
                    },
                    tx,
                )
                .await
            })
        };
        let line = wait_for_file(&pids).await;
        let pids: Vec<i32> = line
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect();
        assert!(pids.iter().all(|&p| alive(p)));
        if end == "stop" {
            stop_tx.send(()).unwrap();
        }
        let ending = task.await.unwrap().unwrap();
        let expected = if end == "stop" {
            Ending::Stopped
        } else {
            Ending::TimedOut
        };
        assert_eq!(ending, expected);
        for _ in 0..200 {
            if pids.iter().all(|&p| !alive(p)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(pids.iter().all(|&p| !alive(p)), "the whole tree is gone");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_stop_kills_the_whole_tree() {
        tree_is_killed("stop").await;
    }

    #[tokio::test]
    async fn the_timeout_kills_the_whole_tree() {
        tree_is_killed("timeout").await;
    }

    #[tokio::test]
    async fn leftovers_of_a_finished_process_are_killed() {
        let dir = std::env::temp_dir();
        let pidfile = dir.join(format!("sluice-bot-leftover-{}", std::process::id()));
        let argv = sh(&format!(
            "sleep 300 > /dev/null 2>&1 & echo $! > {}",
            pidfile.display()
        ));
        let (tx, _rx) = watch::channel(None);
        let ending = run(
            Launch {
                argv: &argv,
                cwd: &dir,
                env: vec![],
                timeout: None,
            },
            std::future::pending(),
            tx,
        )
        .await
        .unwrap();
        assert_eq!(ending, Ending::Exited(Some(0)));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        for _ in 0..200 {
            if !alive(pid) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!alive(pid));
        std::fs::remove_file(&pidfile).unwrap();
    }

    #[test]
    fn programs_with_a_folder_are_found_in_the_package() {
        let cwd = Path::new("/work/job");
        assert_eq!(program("./run.sh", cwd), Path::new("/work/job/./run.sh"));
        assert_eq!(program("bin/tool", cwd), Path::new("/work/job/bin/tool"));
        assert_eq!(program("sh", cwd), Path::new("sh"));
        assert_eq!(program("/bin/sh", cwd), Path::new("/bin/sh"));
    }
}
