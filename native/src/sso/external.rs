//! `--external-browser`: the user signs in with a browser of their own.
//! oncp prints the URL (and opens it with `xdg-open`, or the program
//! given as `--external-browser=BROWSER`),
//! says where the `DSID` cookie is found, and reads the value pasted
//! (without echo).

use crate::auth::prompt::Prompter;
use crate::login::flow::{Question, QuestionKind};
use crate::login::jar::CookieJar;

/// Pastes accepted before giving up.
pub const MAX_TRIES: usize = 3;

/// The instructions shown before the prompt.
pub fn instructions(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    format!(
        "Sign in to the VPN in your web browser:\n    {url}\n\
         When the gateway's start page shows, open the browser's developer tools (F12):\n\
         Application → Cookies (Chrome, Edge) or Storage → Cookies (Firefox) → https://{host},\n\
         and copy the value of the cookie named DSID."
    )
}

/// The DSID in what the user pasted: a bare value, `DSID=value`, or a
/// whole `Cookie` header holding it.
pub fn parse_pasted(text: &str) -> Option<String> {
    let text = text.trim();
    let value = if text.contains('=') {
        text.split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim() == "DSID")
            .map(|(_, v)| v.trim())?
    } else {
        text
    };
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'"' | b'\\'));
    ok.then(|| value.to_string())
}

/// Opens `url` with `program` if it can be started (not waited for).
fn open_with(program: &std::path::Path, url: &url::Url) {
    match tokio::process::Command::new(program)
        .arg(url.as_str())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => tracing::debug!("asked {} to open the sign-in URL", program.display()),
        Err(e) => tracing::info!("{}: {e}; open the URL yourself", program.display()),
    }
}

/// Runs the external-browser sign-in; returns the jar with the DSID.
pub fn sign_in(
    url: &url::Url,
    prompter: &mut dyn Prompter,
    opener: Option<&std::path::Path>,
) -> anyhow::Result<CookieJar> {
    prompter.show(&instructions(url));
    if let Some(program) = opener {
        open_with(program, url);
    }
    let q = Question {
        form: "sso".into(),
        field: "DSID".into(),
        label: "Paste the DSID cookie value".into(),
        kind: QuestionKind::Password,
    };
    for _ in 0..MAX_TRIES {
        let pasted = zeroize::Zeroizing::new(prompter.ask(&q)?);
        if let Some(dsid) = parse_pasted(&pasted) {
            let mut jar = CookieJar::new();
            jar.set("DSID", &dsid);
            return Ok(jar);
        }
        prompter.show("That is not a DSID cookie value; paste the value only (or DSID=value).");
    }
    anyhow::bail!("no DSID cookie value given")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pasted(Vec<&'static str>, Vec<String>);

    impl Prompter for Pasted {
        fn ask(&mut self, q: &Question) -> anyhow::Result<String> {
            assert_eq!(q.kind, QuestionKind::Password, "not echoed");
            self.0
                .pop()
                .map(str::to_string)
                .ok_or_else(|| anyhow::anyhow!("no more input"))
        }
        fn show(&mut self, message: &str) {
            self.1.push(message.to_string());
        }
    }

    #[test]
    fn pasted_forms() {
        assert_eq!(parse_pasted(" abc123 \n").as_deref(), Some("abc123"));
        assert_eq!(parse_pasted("DSID=abc123").as_deref(), Some("abc123"));
        assert_eq!(
            parse_pasted("DSSIGNIN=url_default; DSID=abc123; DSFirstAccess=1").as_deref(),
            Some("abc123")
        );
        assert_eq!(parse_pasted(""), None);
        assert_eq!(parse_pasted("two words"), None);
        assert_eq!(parse_pasted("OTHER=1"), None);
    }

    #[test]
    fn asks_again_after_a_bad_paste() {
        let url = url::Url::parse("https://vpn.example.com/").unwrap();
        let mut p = Pasted(vec!["DSID=good1", "not a cookie"], Vec::new());
        let jar = sign_in(&url, &mut p, None).unwrap();
        assert_eq!(jar.header().unwrap(), "DSID=good1");
        assert!(p.1[0].contains("https://vpn.example.com/") && p.1[0].contains("DSID"));
        assert!(p.1[1].contains("not a DSID"));
        let mut p = Pasted(vec!["x y", "x y", "x y"], Vec::new());
        assert!(sign_in(&url, &mut p, None).is_err());
    }
}
