//! Where `oncp connect` meets the web login: without a cookie it logs in
//! first; `--authenticate` / `--cookieonly` print the result and stop.

use std::io::BufRead;

use zeroize::Zeroizing;

use super::auth_args::AuthArgs;
use crate::auth::{LoginSetup, login, start_url};
use crate::cli::connect::args::ConnectArgs;
use crate::cli::connect::settings::{local_hostname, tls_options};
use crate::login::answers::Answers;
use crate::tls::client::TlsClient;

/// Quotes a value for a POSIX shell assignment.
pub fn shell_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "'\\''"))
}

/// The `--authenticate` output for `cookie`: shell assignments as
/// OpenConnect prints them.
pub fn authenticate_output(
    cookie: &str,
    start: &url::Url,
    host_ip: &str,
    fingerprint: &str,
) -> String {
    let host = start.host_str().unwrap_or_default();
    let connect_url = match start.port() {
        Some(p) => format!("https://{host}:{p}{}", start.path()),
        None => format!("https://{host}{}", start.path()),
    };
    format!(
        "COOKIE={}\nHOST={}\nCONNECT_URL={}\nFINGERPRINT={}\nRESOLVE={}\n",
        shell_quote(cookie),
        shell_quote(host_ip),
        shell_quote(&connect_url),
        shell_quote(fingerprint),
        shell_quote(&format!("{host}:{host_ip}")),
    )
}

/// Prints the `--authenticate` output for `cookie` obtained from the
/// gateway at `start` through `tls` (its address as resolved, the pin of
/// the certificate it showed).
pub async fn print_authenticate(cookie: &str, start: &url::Url, tls: &TlsClient) {
    let host = start.host_str().unwrap_or_default().to_string();
    let port = start.port_or_known_default().unwrap_or(443);
    let ip = match tls.resolved(&host) {
        Some(ip) => ip.to_string(),
        None => tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
            .await
            .ok()
            .and_then(|mut a| a.next())
            .map(|a| a.ip().to_string())
            .unwrap_or(host),
    };
    let fp = tls.last_pin().unwrap_or_default();
    print!("{}", authenticate_output(cookie, start, &ip, &fp));
}

/// The answers the command line gives (reads the password line from
/// `stdin` with `--passwd-on-stdin`).
pub fn answers(a: &AuthArgs, stdin: &mut dyn BufRead) -> anyhow::Result<Answers> {
    let password = if a.passwd_on_stdin {
        let mut line = Zeroizing::new(String::new());
        stdin.read_line(&mut line)?;
        Some(Zeroizing::new(
            line.trim_end_matches(['\r', '\n']).to_string(),
        ))
    } else {
        None
    };
    let token_codes = Zeroizing::new(token_codes(a, now_secs())?);
    Ok(Answers {
        token_used: hotp_file_hook(a)?,
        token_codes,
        user: a.user.clone(),
        password,
        authgroup: a.authgroup.clone(),
        form_entries: a.form_entries.clone(),
        non_inter: a.non_inter,
        csd_wrapper: false,
    })
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The software-token codes for this login (`--token-mode`,
/// `--token-secret`): the current and the next code.
pub fn token_codes(a: &AuthArgs, now: u64) -> anyhow::Result<Vec<String>> {
    use crate::login::otp::{Secret, hotp, totp};
    let Some(mode) = a.token_mode.as_deref() else {
        return Ok(Vec::new());
    };
    match mode {
        "totp" | "hotp" => {}
        "rsa" | "yubioath" | "oidc" => {
            tracing::warn!(
                "--token-mode={mode} is ignored: oncp generates totp and hotp codes only; \
                 token fields will be asked for"
            );
            return Ok(Vec::new());
        }
        other => {
            anyhow::bail!("invalid software token mode {other:?} (oncp supports totp and hotp)")
        }
    }
    let Some(secret) = a.token_secret.as_deref() else {
        anyhow::bail!("--token-mode={mode} needs --token-secret");
    };
    let secret = match secret.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("--token-secret @{path}: {e}"))?,
        None => secret.to_string(),
    };
    Ok(if mode == "totp" {
        let s = Secret::parse(&secret, false)?;
        vec![totp(&s, now, 6), totp(&s, now + 30, 6)]
    } else {
        let s = Secret::parse(&secret, true)?;
        let c = s.counter.unwrap_or(0);
        vec![hotp(&s, c, 6), hotp(&s, c + 1, 6)]
    })
}

/// For `--token-mode=hotp --token-secret=@FILE`: a hook that writes the
/// file back with the counter after each code used (OpenConnect's
/// behaviour), so the next run starts at the next code.
pub fn hotp_file_hook(a: &AuthArgs) -> anyhow::Result<Option<crate::login::answers::TokenHook>> {
    let (Some("hotp"), Some(path)) = (
        a.token_mode.as_deref(),
        a.token_secret.as_deref().and_then(|s| s.strip_prefix('@')),
    ) else {
        return Ok(None);
    };
    let path = std::path::PathBuf::from(path);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("--token-secret @{}: {e}", path.display()))?;
    let start = crate::login::otp::Secret::parse(&text, true)?
        .counter
        .unwrap_or(0);
    Ok(Some(std::sync::Arc::new(move |used: usize| {
        let next = start + used as u64 + 1;
        if let Err(e) = std::fs::write(&path, crate::login::otp::with_counter(&text, next)) {
            tracing::error!("failed to write the token file {}: {e}", path.display());
        }
    })))
}

/// Runs the login when `oncp connect` has no cookie. Returns an exit
/// status when the command is done (`--authenticate`, `--cookieonly`);
/// otherwise sets `args.cookie` to the session's cookies.
pub async fn before_connect(args: &mut ConnectArgs) -> anyhow::Result<Option<u8>> {
    if args.cookie.is_some() || args.cookie_on_stdin {
        if args.login_only() {
            anyhow::bail!("--authenticate/--cookieonly need a login, not a cookie");
        }
        return Ok(None);
    }
    let tls = TlsClient::new(&tls_options(args)?)?;
    let mut answers = {
        let mut stdin = std::io::stdin().lock();
        answers(&args.auth, &mut stdin)?
    };
    answers.csd_wrapper = args.csd_wrapper.is_some();
    if !answers.non_inter && !crate::auth::prompt::have_terminal() {
        tracing::debug!("no terminal: the login cannot ask questions");
        answers.non_inter = true;
    }
    let setup = LoginSetup {
        url: start_url(&args.gateway()?)?,
        user_agent: args
            .useragent
            .clone()
            .unwrap_or_else(|| crate::auth::http::DEFAULT_USER_AGENT.to_string()),
        csd_wrapper: args.csd_wrapper.clone(),
        local_hostname: local_hostname(args),
        dump: args
            .dump_http_traffic
            .then_some(crate::auth::http_dump::HttpDump {
                reveal: args.reveal_secrets,
            }),
    };
    let mut success =
        match crate::sso::sign_in(&args.sso, &setup, &tls, &tls_options(args)?).await? {
            Some(s) => s,
            None => login(&setup, &tls, answers, &mut crate::auth::prompt::Terminal).await?,
        };
    if args.authenticate {
        print_authenticate(&success.cookie, &setup.url, &tls).await;
        return Ok(Some(0));
    }
    if args.cookieonly || args.printcookie {
        println!("{}", success.cookie);
        if args.cookieonly {
            return Ok(Some(0));
        }
    }
    args.cookie = Some(std::mem::take(&mut success.jar));
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::flow::Success;

    #[test]
    fn quoting_and_output() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        let s = Success {
            cookie: "DSID=x; DSFirst=1".into(),
            jar: "DSID=x".into(),
            url: url::Url::parse("https://vpn.example:8443/dana/home/starter0.cgi").unwrap(),
        };
        let start = url::Url::parse("https://vpn.example:8443").unwrap();
        assert_eq!(
            authenticate_output(&s.cookie, &start, "10.0.0.1", "pin-sha256:AA="),
            "COOKIE='DSID=x; DSFirst=1'\nHOST='10.0.0.1'\nCONNECT_URL='https://vpn.example:8443/'\n\
             FINGERPRINT='pin-sha256:AA='\nRESOLVE='vpn.example:10.0.0.1'\n"
        );
    }

    #[test]
    fn token_codes_from_the_options() {
        let a = AuthArgs {
            token_mode: Some("hotp".into()),
            token_secret: Some("12345678901234567890,1".into()),
            ..Default::default()
        };
        assert_eq!(token_codes(&a, 0).unwrap(), ["287082", "359152"]);
        let a = AuthArgs {
            token_mode: Some("totp".into()),
            token_secret: Some("0x3132333435363738393031323334353637383930".into()),
            ..Default::default()
        };
        // RFC 6238's T=59 code, 6 digits; then the next step's.
        assert_eq!(token_codes(&a, 59).unwrap()[0], "287082");
        assert_eq!(token_codes(&a, 59).unwrap()[1], "359152");
        let a = AuthArgs {
            token_mode: Some("rsa".into()),
            ..Default::default()
        };
        assert!(token_codes(&a, 0).unwrap().is_empty(), "rsa: warned, asked");
        let a = AuthArgs {
            token_mode: Some("bogus".into()),
            token_secret: Some("x".into()),
            ..Default::default()
        };
        let e = token_codes(&a, 0).unwrap_err().to_string();
        assert!(e.contains("invalid software token mode"), "{e}");
        let a = AuthArgs {
            token_mode: Some("totp".into()),
            ..Default::default()
        };
        assert!(token_codes(&a, 0).is_err());
    }

    #[test]
    fn password_line_from_stdin() {
        let a = AuthArgs {
            passwd_on_stdin: true,
            user: Some("u".into()),
            ..Default::default()
        };
        let mut input: &[u8] = b"s3cret\r\nmore\n";
        let ans = answers(&a, &mut input).unwrap();
        assert_eq!(ans.password.as_deref().map(String::as_str), Some("s3cret"));
        assert!(!format!("{ans:?}").contains("s3cret"));
    }
}
