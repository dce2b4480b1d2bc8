//! `oncp connect`'s web-login options (OpenConnect's names, short
//! letters and help groups), flattened into its command line.

use super::heading;
use crate::login::answers::FormEntry;

/// Web-login options of `oncp connect`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AuthArgs {
    /// Set login username.
    #[arg(short = 'u', long = "user", value_name = "NAME", help_heading = heading::AUTH)]
    pub user: Option<String>,
    /// Do not expect user input; exit if it is required.
    #[arg(long, help_heading = heading::AUTH)]
    pub non_inter: bool,
    /// Read password from standard input (first line).
    #[arg(long, help_heading = heading::AUTH)]
    pub passwd_on_stdin: bool,
    /// Choose authentication login selection: the realm (and the role) by
    /// its name or a unique prefix.
    #[arg(long, value_name = "GROUP", alias = "usergroup-name", help_heading = heading::AUTH)]
    pub authgroup: Option<String>,
    /// Provide authentication form responses (repeatable).
    #[arg(
        short = 'F',
        long = "form-entry",
        value_name = "FORM:OPT=VALUE",
        help_heading = heading::AUTH
    )]
    pub form_entries: Vec<FormEntry>,
    /// Software token type: totp or hotp (rsa, yubioath and oidc are
    /// accepted and ignored).
    #[arg(long, value_name = "MODE", help_heading = heading::AUTH)]
    pub token_mode: Option<String>,
    /// Software token secret: `[sha1:|sha256:|sha512:]` then `base32:…`,
    /// `0x…` hex or raw text; HOTP may end in `,COUNTER`; `@FILE` reads it
    /// from a file (and HOTP writes the next counter back).
    #[arg(long, value_name = "STRING", help_heading = heading::AUTH)]
    pub token_secret: Option<String>,
}
