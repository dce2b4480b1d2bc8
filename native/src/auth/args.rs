//! `oncp connect`'s web-login options (OpenConnect's names), flattened
//! into its command line.

use std::path::PathBuf;

use super::answers::FormEntry;

/// Web-login options of `oncp connect`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AuthArgs {
    /// Log in as this user.
    #[arg(short = 'u', long = "user", value_name = "NAME")]
    pub user: Option<String>,
    /// Read the password from standard input (first line).
    #[arg(long)]
    pub passwd_on_stdin: bool,
    /// Choose this realm (and this role) by its name or a unique prefix.
    #[arg(long, value_name = "NAME", alias = "usergroup-name")]
    pub authgroup: Option<String>,
    /// Answer a login form field: FORM:FIELD=VALUE (repeatable).
    #[arg(short = 'F', long = "form-entry", value_name = "FORM:FIELD=VALUE")]
    pub form_entries: Vec<FormEntry>,
    /// Never ask: fail with a clear message when the login needs an answer.
    #[arg(long)]
    pub non_inter: bool,
    /// Log in, print COOKIE, HOST, CONNECT_URL, FINGERPRINT as shell
    /// assignments, and exit.
    #[arg(long)]
    pub authenticate: bool,
    /// Log in, print the cookie and exit.
    #[arg(long)]
    pub cookieonly: bool,
    /// Print the cookie after logging in, then connect.
    #[arg(long)]
    pub printcookie: bool,
    /// Run this program as the Host Checker (TNCC) when the gateway asks.
    #[arg(long, value_name = "PROGRAM")]
    pub csd_wrapper: Option<PathBuf>,
    /// Software token type for second-factor fields: totp or hotp.
    #[arg(long, value_name = "MODE", requires = "token_secret")]
    pub token_mode: Option<String>,
    /// The token's secret: `[sha1:|sha256:|sha512:]` then `base32:…`,
    /// `0x…` hex or raw text; HOTP may end in `,COUNTER`; `@FILE` reads it
    /// from a file.
    #[arg(long, value_name = "SECRET")]
    pub token_secret: Option<String>,
}

impl AuthArgs {
    /// Whether only the login is wanted (no tunnel).
    pub fn login_only(&self) -> bool {
        self.authenticate || self.cookieonly
    }
}
