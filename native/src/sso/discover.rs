//! Finding a browser that speaks the Chrome DevTools Protocol: the
//! `--browser` path, else the first of Chromium, Chrome and Edge on
//! `PATH`.

use std::path::{Path, PathBuf};

/// Program names tried, in order.
pub const CANDIDATES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "microsoft-edge",
    "microsoft-edge-stable",
];

/// Why no browser could be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DiscoverError {
    /// `--browser` names no executable file.
    #[error("--browser {0}: not an executable file")]
    NotExecutable(PathBuf),
    /// Nothing found on `PATH`.
    #[error(
        "no Chromium, Chrome or Edge found on PATH (tried {}); install one, give --browser PATH, \
         or use --external-browser",
        CANDIDATES.join(", ")
    )]
    NoneFound,
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The browser to run: `given`, or the first candidate in the
/// `:`-separated `path` list.
pub fn find(
    given: Option<&Path>,
    path: Option<&std::ffi::OsStr>,
) -> Result<PathBuf, DiscoverError> {
    if let Some(p) = given {
        return if is_executable(p) {
            Ok(p.to_path_buf())
        } else {
            Err(DiscoverError::NotExecutable(p.to_path_buf()))
        };
    }
    let dirs: Vec<PathBuf> = path
        .map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default();
    CANDIDATES
        .iter()
        .flat_map(|name| dirs.iter().map(move |d| d.join(name)))
        .find(|p| is_executable(p))
        .ok_or(DiscoverError::NoneFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_candidate_on_the_path_wins() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let mk = |p: &Path, mode: u32| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::write(p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        mk(&b.join("google-chrome"), 0o755);
        mk(&a.join("chromium"), 0o644);
        let path = std::env::join_paths([&a, &b]).unwrap();
        assert_eq!(
            find(None, Some(&path)),
            Ok(b.join("google-chrome")),
            "not executable skipped"
        );
        mk(&b.join("chromium"), 0o755);
        assert_eq!(
            find(None, Some(&path)),
            Ok(b.join("chromium")),
            "chromium first"
        );
        assert_eq!(
            find(None, Some(std::ffi::OsStr::new(""))),
            Err(DiscoverError::NoneFound)
        );
        let given = a.join("chromium");
        assert_eq!(
            find(Some(&given), None),
            Err(DiscoverError::NotExecutable(given))
        );
        assert_eq!(
            find(Some(&b.join("chromium")), None),
            Ok(b.join("chromium"))
        );
    }
}
