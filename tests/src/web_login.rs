//! The command line of a non-interactive web login (`--authenticate`),
//! the same for `oncp connect` and Debian's `openconnect --protocol=nc`,
//! to run with [`crate::program::run_with_stdin`] and the password as its
//! input. On success either program prints `COOKIE=`, `HOST=` and
//! `FINGERPRINT=` lines.

use crate::netns::oncp_bin;
use std::process::Command;

/// Which program logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginClient {
    /// `oncp connect` (the binary built for these tests).
    Oncp,
    /// Debian's `openconnect --protocol=nc`.
    OpenConnect,
}

/// `… --authenticate --non-inter --servercert PIN -u USER
/// --passwd-on-stdin EXTRA URL` for `client`.
pub fn authenticate_command(
    client: LoginClient,
    url: &str,
    pin: &str,
    user: &str,
    extra: &[&str],
) -> Command {
    let mut cmd = match client {
        LoginClient::Oncp => {
            let mut c = Command::new(oncp_bin());
            c.arg("connect");
            c
        }
        LoginClient::OpenConnect => {
            let mut c = Command::new("openconnect");
            c.arg("--protocol=nc");
            c
        }
    };
    cmd.args(["--authenticate", "--non-inter", "--servercert", pin])
        .args(["-u", user, "--passwd-on-stdin"])
        .args(extra)
        .arg(url);
    cmd
}
