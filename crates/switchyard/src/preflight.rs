//! What `serve` needs of the file system before it starts: the folder the
//! http service serves, the chat MOTD, the kv append-only log's place.
//!
//! `check-config` and `serve` run the same checks (through
//! [`crate::config::load`] for the file's paths, and in `serve` for a
//! flag's), so a file that `check-config` passes is one `serve` starts
//! with, and both refuse the others with exit status 2. Each check is what
//! the service itself does first at start, or stricter; it is not a
//! promise: the file system can change between the check and the start.
//! Addresses are not tried: binding is the start itself.

use std::path::Path;

/// One path's check: `Ok`, or why the service would refuse it.
pub type Check = fn(&Path) -> Result<(), String>;

/// `http.root` / `--root`: a folder the service can resolve.
///
/// # Errors
///
/// Why the http service would refuse it.
pub fn root(path: &Path) -> Result<(), String> {
    switchyard_http::files::Files::new(path).map(drop).map_err(|e| explain(path, &e))
}

/// `chat.motd` / `--motd`: a UTF-8 text file, read as the service reads it.
///
/// # Errors
///
/// It cannot be read, or is not UTF-8 text.
pub fn motd(path: &Path) -> Result<(), String> {
    std::fs::read_to_string(path).map(drop).map_err(|e| explain(path, &e))
}

/// `kv.appendonly` / `--appendonly`: an existing regular file the server
/// can read and append to, or a name in an existing folder.
///
/// # Errors
///
/// Why opening the log would fail.
pub fn appendonly(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Err(format!("{} is not a regular file", path.display())),
        Ok(_) => {
            std::fs::OpenOptions::new().read(true).append(true).open(path).map(drop).map_err(|e| explain(path, &e))
        }
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            match std::fs::metadata(dir) {
                Ok(meta) if meta.is_dir() => Ok(()),
                Ok(_) => Err(format!("{} is not a folder", dir.display())),
                Err(e) => Err(explain(dir, &e)),
            }
        }
        Err(e) => Err(explain(path, &e)),
    }
}

fn explain(path: &Path, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("{} does not exist", path.display()),
        std::io::ErrorKind::InvalidData => format!("{} is not UTF-8 text", path.display()),
        _ => format!("{}: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_is_refused_for_what_would_stop_the_start() {
        let dir = std::env::temp_dir().join(format!("switchyard-preflight-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("file"), "hello\n").unwrap();
        std::fs::write(dir.join("latin1"), b"caf\xe9\n").unwrap();
        let missing = dir.join("missing");

        assert_eq!(root(&dir), Ok(()));
        assert_eq!(root(&missing), Err(format!("{} does not exist", missing.display())));
        assert!(root(&dir.join("file")).unwrap_err().contains("not a folder"));

        assert_eq!(motd(&dir.join("file")), Ok(()));
        assert_eq!(motd(&missing), Err(format!("{} does not exist", missing.display())));
        assert!(motd(&dir.join("latin1")).unwrap_err().contains("not UTF-8"));
        assert!(motd(&dir).is_err());

        assert_eq!(appendonly(&dir.join("file")), Ok(()));
        assert_eq!(appendonly(&missing), Ok(()));
        assert!(appendonly(&dir).unwrap_err().contains("not a regular file"));
        assert!(appendonly(&missing.join("log.aof")).unwrap_err().contains("does not exist"));
        assert!(appendonly(&dir.join("file/log.aof")).unwrap_err().contains("not a folder"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
