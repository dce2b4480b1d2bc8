//! Driving the browser over the Chrome DevTools Protocol (chromiumoxide,
//! on the system's browser — nothing is downloaded): start it on a
//! profile, open the gateway's sign-in URL, let the user (or the
//! `--browser-step` script) finish at the identity provider, watch the
//! cookie store (`Storage.getCookies`, HttpOnly cookies included) until
//! the gateway's host has a new `DSID`, then close the browser.
//!
//! SIGINT and SIGTERM are caught from before the browser starts until it
//! has exited, so the caller can always delete the profile.

use std::path::PathBuf;
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use futures::StreamExt;
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::certs::BrowserTrust;
use super::cookies::{BrowserCookie, dsids, session_jar};
use super::steps::{self, BrowserStep};
use crate::login::jar::CookieJar;

/// How often the cookie store is read.
pub const COOKIE_POLL: Duration = Duration::from_millis(250);
/// How long the browser may take to start (a loaded two-core machine
/// needs several seconds).
pub const LAUNCH_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the browser may take to exit when asked before it is killed.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How to run the browser.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// The program.
    pub executable: PathBuf,
    /// Without a window.
    pub headless: bool,
    /// The certificate rule for the gateway.
    pub trust: BrowserTrust,
    /// More command-line switches, name (without `--`) and value
    /// (`--resolve`'s mapping).
    pub extra_args: Vec<(String, String)>,
    /// The browser's own temporary directory (`TMPDIR`), inside a
    /// temporary profile so that it goes with it; `None`: inherited.
    pub tmpdir: Option<PathBuf>,
    /// Scripted steps (test aid).
    pub steps: Vec<BrowserStep>,
    /// Give up after this long.
    pub timeout: Duration,
}

/// Why the browser sign-in did not produce a cookie.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The browser could not be started or spoken to.
    #[error("browser {program}: {reason}")]
    Start {
        /// The program.
        program: String,
        /// What went wrong.
        reason: String,
    },
    /// The DevTools connection failed during the sign-in.
    #[error("browser: {0}")]
    Protocol(String),
    /// The user closed the browser first.
    #[error("the browser was closed before the sign-in finished")]
    Closed,
    /// SIGINT or SIGTERM.
    #[error("interrupted: the browser sign-in was cancelled")]
    Interrupted,
    /// No session within the time allowed.
    #[error("no session cookie from the gateway within {0} s")]
    Timeout(u64),
}

/// SIGINT and SIGTERM.
struct Interrupt(Signal, Signal);

impl Interrupt {
    fn new() -> std::io::Result<Interrupt> {
        Ok(Interrupt(
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        ))
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.0.recv() => {}
            _ = self.1.recv() => {}
        }
    }
}

/// Whether this process runs as root (the browser's sandbox refuses it).
fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn config(opts: &BrowserOptions, profile: &std::path::Path) -> Result<BrowserConfig, String> {
    let mut b = BrowserConfig::builder()
        .chrome_executable(&opts.executable)
        .user_data_dir(profile)
        .respect_https_errors()
        .launch_timeout(LAUNCH_TIMEOUT)
        .args(
            opts.trust
                .args()
                .iter()
                .chain(&opts.extra_args)
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
    b = if opts.headless {
        b.new_headless_mode()
    } else {
        b.with_head().viewport(None)
    };
    if let Some(t) = &opts.tmpdir {
        b = b.env("TMPDIR", t.display().to_string());
    }
    if running_as_root() {
        tracing::warn!("running the browser as root, without its sandbox");
        b = b.no_sandbox();
    }
    b.build()
}

/// Signs in at `url` in a browser on `profile`; returns the gateway's
/// cookies. The browser has exited when this returns.
pub async fn sign_in(
    opts: &BrowserOptions,
    profile: &std::path::Path,
    url: &url::Url,
) -> Result<CookieJar, BrowserError> {
    let program = opts.executable.display().to_string();
    let start = |reason: String| BrowserError::Start {
        program: program.clone(),
        reason,
    };
    let mut interrupt = Interrupt::new().map_err(|e| start(format!("signal handlers: {e}")))?;
    let config = config(opts, profile).map_err(start)?;
    tracing::info!(
        "opening {} in {program}{} for the sign-in",
        url.as_str(),
        if opts.headless { " (headless)" } else { "" }
    );
    let (mut browser, mut handler) = Browser::launch(config)
        .await
        .map_err(|e| start(e.to_string()))?;
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
    let result = tokio::select! {
        r = watch(&mut browser, opts, url) => r,
        _ = interrupt.recv() => Err(BrowserError::Interrupted),
    };
    close(&mut browser).await;
    events.abort();
    result
}

async fn cookies(browser: &Browser) -> Result<Vec<BrowserCookie>, BrowserError> {
    let all = browser
        .get_cookies()
        .await
        .map_err(|e| BrowserError::Protocol(e.to_string()))?;
    Ok(all
        .into_iter()
        .map(|c| BrowserCookie {
            name: c.name,
            value: c.value,
            domain: c.domain,
        })
        .collect())
}

async fn watch(
    browser: &mut Browser,
    opts: &BrowserOptions,
    url: &url::Url,
) -> Result<CookieJar, BrowserError> {
    let host = url.host_str().unwrap_or_default();
    let old: Vec<String> = dsids(&cookies(browser).await?, host)
        .map(str::to_string)
        .collect();
    let page = browser
        .new_page(url.as_str())
        .await
        .map_err(|e| BrowserError::Protocol(format!("opening {url}: {e}")))?;
    tracing::info!("waiting for the sign-in to finish in the browser");
    let script = steps::run(&page, &opts.steps);
    tokio::pin!(script);
    let mut script_done = opts.steps.is_empty();
    let deadline = tokio::time::Instant::now() + opts.timeout;
    loop {
        if let Some(jar) = session_jar(&cookies(browser).await?, host, &old) {
            tracing::info!("the browser has the gateway's session cookie");
            return Ok(jar);
        }
        if let Ok(Some(_)) = browser.try_wait() {
            return Err(BrowserError::Closed);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(BrowserError::Timeout(opts.timeout.as_secs()));
        }
        tokio::select! {
            r = &mut script, if !script_done => {
                script_done = true;
                match r {
                    Ok(()) => tracing::debug!("browser steps done"),
                    Err(e) => tracing::warn!("browser steps stopped: {e}"),
                }
            }
            _ = tokio::time::sleep(COOKIE_POLL) => {}
        }
    }
}

/// Asks the browser to close (it saves a kept profile), waits for it and
/// kills it if it does not go.
async fn close(browser: &mut Browser) {
    if let Ok(Some(_)) = browser.try_wait() {
        return;
    }
    let asked = tokio::time::timeout(CLOSE_TIMEOUT, browser.close()).await;
    if asked.is_ok_and(|r| r.is_ok())
        && let Ok(Ok(_)) = tokio::time::timeout(CLOSE_TIMEOUT, browser.wait()).await
    {
        return;
    }
    tracing::debug!("the browser did not close when asked; killing it");
    let _ = browser.kill().await;
    let _ = browser.wait().await;
}
