//! A real `ferry serve` process, for the tests that need one (crash recovery, the seed
//! flows driven with curl).

use std::time::Duration;

/// A `ferry serve` process on a free port with its own data dir; killed on drop.
pub struct FerryProcess {
    pub child: std::process::Child,
    pub base_url: String,
    pub s3_endpoint: String,
    pub data_dir: std::path::PathBuf,
    /// The thread reading the log; it returns every line once the process has exited.
    log: Option<std::thread::JoinHandle<Vec<String>>>,
}

impl FerryProcess {
    pub async fn spawn(data_dir: &std::path::Path) -> FerryProcess {
        FerryProcess::spawn_with(data_dir, &[]).await
    }

    /// With extra environment variables (sign-in settings, say).
    pub async fn spawn_with(data_dir: &std::path::Path, env: &[(&str, &str)]) -> FerryProcess {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
            .arg("serve")
            .envs(env.iter().copied())
            .env("FERRY_ADDR", "127.0.0.1:0")
            .env("FERRY_DATA_DIR", data_dir)
            .env("FERRY_SITE_ROOT", data_dir.join("no-site"))
            .env("RUST_LOG", "info")
            .env_remove("TABLE_NAME")
            .env_remove("BUCKET_NAME")
            .env_remove("FERRY_BACKEND")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // One thread reads the log for the whole run (a closed pipe would break logging) and
        // reports the two lines we need.
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::thread::spawn(move || {
            let (mut s3, mut sent, mut lines) = (None, false, vec![]);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split(" s3=").nth(1) {
                    s3 = rest.split_whitespace().next().map(str::to_string);
                }
                if let Some(rest) = line.split("Ferry listening on ").nth(1) {
                    if !sent {
                        let url = rest
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_string();
                        let _ = tx.send((s3.clone().unwrap_or_default(), url));
                        sent = true;
                    }
                }
                lines.push(line);
            }
            lines
        });
        let (s3_endpoint, base_url) = tokio::task::spawn_blocking(move || {
            rx.recv_timeout(std::time::Duration::from_secs(60))
                .expect("ferry serve did not come up")
        })
        .await
        .unwrap();
        assert!(s3_endpoint.starts_with("http://"), "{s3_endpoint}");
        FerryProcess {
            child,
            base_url,
            s3_endpoint,
            data_dir: data_dir.to_path_buf(),
            log: Some(log),
        }
    }

    /// Stops the server as a person would (SIGTERM, a graceful shutdown) and returns
    /// everything it logged.
    pub async fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        while self.child.try_wait().unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let log = self.log.take().unwrap();
        tokio::task::spawn_blocking(move || log.join().unwrap())
            .await
            .unwrap()
    }

    /// An S3 client with the embedded backend's credentials, as `aws s3 cp` would use.
    pub fn s3_client(&self) -> aws_sdk_s3::Client {
        let creds: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(self.data_dir.join("credentials.json")).unwrap(),
        )
        .unwrap();
        server::aws::s3_client(
            &server::aws::config_for_endpoint(
                &self.s3_endpoint,
                "us-east-1",
                creds["access_key"].as_str().unwrap(),
                creds["secret_key"].as_str().unwrap(),
            ),
            true,
        )
    }
}

impl Drop for FerryProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
