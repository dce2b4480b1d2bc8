//! The browser's profile directory: a fresh private one (mode 0700 under
//! the temporary directory, prefix [`TEMP_PREFIX`]) deleted when the
//! sign-in ends — also on failure, Ctrl-C or a panic — or the user's own
//! `--browser-profile DIR`, kept.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The name prefix of temporary profiles.
pub const TEMP_PREFIX: &str = "oncp-browser-";

/// A browser profile.
#[derive(Debug)]
pub enum Profile {
    /// Ours; removed by [`Profile::remove`] or when dropped.
    Temporary(Option<tempfile::TempDir>),
    /// The user's; kept.
    Kept(PathBuf),
}

impl Profile {
    /// `dir` if given (created if missing), else a new temporary one.
    pub fn new(dir: Option<&Path>) -> std::io::Result<Profile> {
        match dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                Ok(Profile::Kept(d.to_path_buf()))
            }
            None => Ok(Profile::Temporary(Some(
                tempfile::Builder::new().prefix(TEMP_PREFIX).tempdir()?,
            ))),
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        match self {
            Profile::Temporary(Some(t)) => t.path(),
            Profile::Temporary(None) => Path::new(""),
            Profile::Kept(p) => p,
        }
    }

    /// For a temporary profile, a directory inside it for the browser's
    /// other temporary files (its `TMPDIR`), so they go with the profile;
    /// `None` for a kept one.
    pub fn scratch_dir(&self) -> std::io::Result<Option<PathBuf>> {
        match self {
            Profile::Temporary(Some(t)) => {
                let d = t.path().join("tmp");
                std::fs::create_dir_all(&d)?;
                Ok(Some(d))
            }
            _ => Ok(None),
        }
    }

    /// Deletes a temporary profile once the browser has exited. Browser
    /// helper processes may still write for a moment: retried for up to
    /// two seconds.
    pub async fn remove(&mut self) {
        let Profile::Temporary(slot) = self else {
            return;
        };
        let Some(dir) = slot.take() else {
            return;
        };
        let path = dir.keep();
        for _ in 0..20 {
            match std::fs::remove_dir_all(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ => return,
            }
        }
        tracing::warn!("could not delete the browser profile {}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn temporary_profiles_go_kept_ones_stay() {
        let mut t = Profile::new(None).unwrap();
        let p = t.path().to_path_buf();
        assert!(
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(TEMP_PREFIX)
        );
        std::fs::create_dir_all(p.join("Default/Cache")).unwrap();
        std::fs::write(p.join("Default/Cookies"), b"x").unwrap();
        t.remove().await;
        assert!(!p.exists());
        let dropped = Profile::new(None).unwrap();
        let q = dropped.path().to_path_buf();
        drop(dropped);
        assert!(!q.exists(), "removed when dropped too");
        let dir = tempfile::tempdir().unwrap();
        let mut k = Profile::new(Some(&dir.path().join("mine"))).unwrap();
        assert_eq!(k.scratch_dir().unwrap(), None);
        k.remove().await;
        assert!(dir.path().join("mine").is_dir());
    }
}
