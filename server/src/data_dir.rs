//! The data dir of `ferry serve`: private to the user who runs it.
//!
//! Everything Ferry keeps there (the embedded DynamoDB's SQLite file and its `-wal`/`-shm`,
//! the embedded S3's objects and metadata, `credentials.json`, `cookie.key`) is readable by
//! nobody else: [`make_private`] sets the process umask to `0o077` (so every file created
//! afterwards, by Ferry or by the libraries under it, is at most `0600` and every directory
//! at most `0700`), then creates the data dir `0700`, or tightens an existing one that is
//! wider (a data dir from an older Ferry), saying so in the log.

use std::{io, path::Path};

/// The mode bits the process never grants: everything for group and others.
pub const PRIVATE_UMASK: u32 = 0o077;

/// Makes files created from now on private to the current user and prepares `data_dir`
/// (created `0700` if missing, else narrowed to `0700` if group or others had access).
///
/// The umask is process-wide: call this once at the start of `ferry serve`, before anything
/// writes under the data dir. Only `ferry serve` calls it (Lambda writes no files).
pub fn make_private(data_dir: &Path) -> io::Result<()> {
    set_private_umask();
    create_or_tighten(data_dir)
}

#[cfg(unix)]
fn set_private_umask() {
    use rustix::fs::Mode;
    rustix::process::umask(Mode::from_raw_mode(PRIVATE_UMASK as _));
}

#[cfg(not(unix))]
fn set_private_umask() {}

#[cfg(unix)]
fn create_or_tighten(data_dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !data_dir.exists() {
        // Parents too (as `create_dir_all`); the umask keeps them private as well.
        return std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir);
    }
    let mode = std::fs::metadata(data_dir)?.permissions().mode() & 0o7777;
    if mode & PRIVATE_UMASK != 0 {
        let private = mode & !PRIVATE_UMASK;
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(private))?;
        tracing::warn!(
            data_dir = %data_dir.display(),
            from = format!("{mode:o}"),
            to = format!("{private:o}"),
            "the data dir was readable by other users: narrowed it to its owner"
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn create_or_tighten(data_dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(data_dir)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_dir_is_0700_and_a_wide_one_is_narrowed() {
        let tmp = tempfile::tempdir().unwrap();
        let new = tmp.path().join("a/b");
        create_or_tighten(&new).unwrap();
        assert_eq!(mode(&new), 0o700);

        let old = tmp.path().join("old");
        std::fs::create_dir(&old).unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_or_tighten(&old).unwrap();
        assert_eq!(mode(&old), 0o700);

        // Stricter than 0700 stays as it is.
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o500)).unwrap();
        create_or_tighten(&old).unwrap();
        assert_eq!(mode(&old), 0o500);
    }
}
