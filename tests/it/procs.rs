//! `etal` as a process of its own, for tests that measure it (CPU, memory) or kill it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;

use crate::harness;

/// A child process, killed when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A node's folder and addresses, for `etal` processes.
pub struct Node {
    pub url: String,
    pub dir: std::path::PathBuf,
    pub database_url: String,
}

impl Node {
    /// `etal` for this node, listening on `listen_port`.
    pub fn command(&self, listen_port: u16) -> Command {
        // `ETAL_BIN` runs another build (a release one, for BENCHMARKS.md's figures).
        let bin = std::env::var("ETAL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_etal").into());
        let mut c = Command::new(bin);
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("ETAL_") && k != "ETAL_BIN") {
            c.env_remove(k);
        }
        c.env("ETAL_LISTEN", format!("127.0.0.1:{listen_port}"))
            .env("ETAL_PUBLIC_URL", &self.url)
            .env("ETAL_DATABASE_URL", &self.database_url)
            .env("ETAL_DATA_DIR", &self.dir)
            .env("ETAL_ALLOW_PRIVATE_NETWORKS", "1")
            .env("ETAL_PUBLISH_DELAY", "0")
            .env("RUST_LOG", "error");
        c
    }

    /// `etal serve`, once it answers.
    pub async fn serve(&self, port: u16) -> Proc {
        let child = self
            .command(port)
            .arg("serve")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while client
            .get(format!("http://127.0.0.1:{port}/api/v1/categories"))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "etal serve answers");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Proc(child)
    }

    /// An admin token.
    pub fn token(&self) -> String {
        let out = self
            .command(0)
            .args(["admin", "token", "create", "--name", "test"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

/// A port nobody listens on.
pub async fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A new node's folder and database, to answer on `port`.
pub async fn new_node(port: u16) -> (Node, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("http://localhost:{port}");
    let settings = harness::settings(tmp.path(), &url).await;
    (
        Node {
            url,
            dir: tmp.path().to_path_buf(),
            database_url: settings.database_url,
        },
        tmp,
    )
}

/// CPU time (user + system) of a process so far, from `/proc/PID/stat`, in milliseconds.
pub fn cpu_ms(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // The kernel reports these in USER_HZ, 100 a second on Linux.
    ticks * 10
}

/// Peak resident memory of a process (`VmHWM`), in MiB.
pub fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap();
    kb / 1024
}
