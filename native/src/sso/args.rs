//! `oncp connect`'s SSO options: when to sign in through a browser, which
//! browser, its profile and window.

use std::path::PathBuf;

use super::steps::BrowserStep;
use crate::cli::connect::heading;

/// Browser sign-in options of `oncp connect`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SsoArgs {
    /// Sign in through a web browser (SAML/SSO) even if the gateway
    /// offers a form.
    #[arg(long, conflicts_with = "no_sso", help_heading = heading::AUTH)]
    pub sso: bool,
    /// Never open a browser: use the form login only.
    #[arg(long, help_heading = heading::AUTH)]
    pub no_sso: bool,
    /// The browser for SSO (Chromium, Chrome or Edge; default: the first
    /// one found on PATH).
    #[arg(long, value_name = "PATH", help_heading = heading::AUTH)]
    pub browser: Option<PathBuf>,
    /// Keep the browser's profile in DIR (the identity provider then
    /// remembers you); default: a fresh private one, deleted afterwards.
    #[arg(long, value_name = "DIR", help_heading = heading::AUTH)]
    pub browser_profile: Option<PathBuf>,
    /// Run the browser without a window (default when there is no
    /// display).
    #[arg(long, help_heading = heading::AUTH)]
    pub browser_headless: bool,
    /// Sign in with your own browser: print the sign-in URL, open it with
    /// BROWSER (default: xdg-open), then read the DSID cookie you paste.
    #[arg(
        long,
        value_name = "BROWSER",
        num_args = 0..=1,
        require_equals = true,
        conflicts_with = "no_sso",
        help_heading = heading::AUTH
    )]
    pub external_browser: Option<Option<PathBuf>>,
    /// Give up an SSO sign-in after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, help_heading = heading::AUTH)]
    pub sso_timeout: u64,
    /// Test aid: what the browser does on the sign-in pages, in order —
    /// `CSS=TEXT` types TEXT into the element, `CSS!` clicks it (each
    /// waits for its element to appear). The typed text is never logged.
    #[arg(long = "browser-step", value_name = "STEP", hide = true)]
    pub browser_steps: Vec<BrowserStep>,
}
