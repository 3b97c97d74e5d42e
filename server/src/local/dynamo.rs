//! A DynamoDB-compatible endpoint on loopback: `dynoxide` on a SQLite file.
//!
//! dynoxide runs each request (and its fsync) synchronously under a mutex, so it gets its own
//! single-threaded runtime on its own thread, away from the app's workers. Every write is one
//! SQLite transaction in WAL mode: a crash leaves the old item or the new one, never half.
//! [`Durability`] says whether a commit also waits for the disk.
//! Its client is [`crate::aws::embedded_dynamodb_client`].

use crate::config::Durability;
use std::path::Path;

pub struct EmbeddedDynamo {
    pub endpoint: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmbeddedDynamo {
    /// Stops accepting requests, lets running ones finish and closes the database.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for EmbeddedDynamo {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Opens (or creates) the database file and serves it on 127.0.0.1 (a free port).
pub fn start(db_path: &Path, durability: Durability) -> std::io::Result<EmbeddedDynamo> {
    if let Some(parent) = db_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let path = db_path
        .to_str()
        .ok_or_else(|| std::io::Error::other("the data dir path must be UTF-8"))?;
    let db = dynoxide::Database::new(path)
        .map_err(|e| std::io::Error::other(format!("cannot open {path}: {e}")))?;
    if durability == Durability::Process {
        // dynoxide's name for `PRAGMA synchronous = NORMAL` with SQLite's other defaults.
        db.disable_bulk_loading()
            .map_err(|e| std::io::Error::other(format!("cannot configure {path}: {e}")))?;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let thread = std::thread::Builder::new()
        .name("ferry-dynamodb".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "embedded DynamoDB cannot listen");
                        return;
                    }
                };
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(e) = dynoxide::server::serve_with_shutdown(listener, db, shutdown).await
                {
                    tracing::error!(error = %e, "embedded DynamoDB stopped with an error");
                }
            })
        })?;
    Ok(EmbeddedDynamo {
        endpoint: format!("http://{addr}"),
        stop: Some(stop),
        thread: Some(thread),
    })
}
