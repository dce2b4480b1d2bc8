//! SAML/SSO sign-in through a real browser.
//!
//! When the gateway's sign-in page leads to an identity provider
//! ([`detect`]), or `--sso` says so, `oncp connect` checks the gateway's
//! certificate with the tunnel's rule ([`certs`]), starts Chromium,
//! Chrome or Edge ([`discover`]) on a private profile ([`profile`]) and
//! drives it over the DevTools protocol ([`browser`]) until the gateway's
//! host has a `DSID` cookie ([`cookies`]); `--external-browser`
//! ([`external`]) lets the user bring the cookie instead. The result is
//! the same as a form login's: the tunnel, or `--authenticate`'s output.
//! The DSID and anything typed are never logged.

pub mod args;
pub mod browser;
pub mod certs;
pub mod cookies;
pub mod detect;
pub mod discover;
pub mod external;
pub mod profile;
pub mod steps;

use std::time::Duration;

use args::SsoArgs;
use detect::{Next, Signin};

use crate::auth::LoginSetup;
use crate::login::flow::{HttpRequest, Success};
use crate::login::jar::CookieJar;
use crate::tls::client::{TlsClient, TlsOptions};

/// Redirects followed on the gateway while looking at its sign-in page.
pub const MAX_PROBE_HOPS: usize = 10;

/// Looks at the gateway's sign-in page: form or SSO.
pub async fn probe(setup: &LoginSetup, tls: &TlsClient) -> anyhow::Result<Signin> {
    let http = crate::auth::http::LoginHttp::new(tls, &setup.user_agent)?.with_dump(setup.dump);
    let mut jar = CookieJar::new();
    let mut at = setup.url.clone();
    for _ in 0..MAX_PROBE_HOPS {
        let req = HttpRequest {
            url: at.clone(),
            body: None,
        };
        let resp = http.send(&req, jar.header()).await?;
        for c in &resp.set_cookies {
            jar.set_cookie_header(c);
        }
        match detect::classify(&setup.url, &at, &resp) {
            Next::Follow(to) => at = to,
            Next::Decided(s) => return Ok(s),
        }
    }
    Ok(Signin::Form)
}

/// Whether a display is there for a browser window.
fn have_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// Signs in through a browser when the gateway needs it (or `--sso` /
/// `--external-browser` say so); `None`: go on with the form login.
pub async fn sign_in(
    a: &SsoArgs,
    setup: &LoginSetup,
    tls: &TlsClient,
    tls_opts: &TlsOptions,
) -> anyhow::Result<Option<Success>> {
    if a.no_sso {
        return Ok(None);
    }
    let url = &setup.url;
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    // The certificate first, with a clear refusal (and the pin to trust)
    // before any request.
    let trust = certs::check_gateway(tls, tls_opts, host, port).await?;
    let reason = if a.sso || a.external_browser.is_some() {
        "asked for on the command line"
    } else {
        match probe(setup, tls).await? {
            Signin::Form => return Ok(None),
            Signin::Sso(why) => why,
        }
    };
    tracing::info!("SSO sign-in: {reason}");
    let jar = if let Some(opener) = &a.external_browser {
        if !crate::auth::prompt::have_terminal() {
            anyhow::bail!(
                "--external-browser needs a terminal to paste the DSID into; without one, \
                 give the cookie with -C or --cookie-on-stdin"
            );
        }
        let opener = opener
            .as_deref()
            .unwrap_or(std::path::Path::new("xdg-open"));
        external::sign_in(url, &mut crate::auth::prompt::Terminal, Some(opener))?
    } else {
        let mut profile = profile::Profile::new(a.browser_profile.as_deref())?;
        let opts = browser::BrowserOptions {
            executable: discover::find(a.browser.as_deref(), std::env::var_os("PATH").as_deref())?,
            headless: a.browser_headless || !have_display(),
            trust,
            extra_args: certs::resolve_args(&tls_opts.resolve),
            tmpdir: profile.scratch_dir()?,
            steps: a.browser_steps.clone(),
            timeout: Duration::from_secs(a.sso_timeout),
        };
        let result = browser::sign_in(&opts, profile.path(), url).await;
        profile.remove().await;
        result?
    };
    let cookie = jar
        .session_cookie()
        .ok_or_else(|| anyhow::anyhow!("the sign-in ended without a DSID cookie"))?;
    Ok(Some(Success {
        cookie,
        jar: jar.header().unwrap_or_default(),
        url: url.clone(),
    }))
}
