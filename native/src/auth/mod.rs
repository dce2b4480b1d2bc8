//! The web login's I/O (spec/auth.md): [`login`] drives the sans-IO
//! state machine of [`crate::login`] over HTTP ([`http`]), the terminal
//! ([`prompt`]) and the TNCC program ([`tncc`]); the result is
//! OpenConnect's cookie string and the session's cookie jar.

pub mod http;
pub mod http_dump;
pub mod prompt;
pub mod tncc;

use std::path::PathBuf;

use prompt::Prompter;

use crate::login::answers::Answers;
use crate::login::flow::{Login, Step, Success};
use crate::tls::client::TlsClient;

/// What a login needs besides the answers.
#[derive(Debug, Clone)]
pub struct LoginSetup {
    /// The start URL (`https://host[:port]/path`).
    pub url: url::Url,
    /// HTTP User-Agent.
    pub user_agent: String,
    /// `--csd-wrapper`.
    pub csd_wrapper: Option<PathBuf>,
    /// Host name reported to the Host Checker.
    pub local_hostname: String,
    /// `--dump-http-traffic`.
    pub dump: Option<http_dump::HttpDump>,
}

/// The start URL for a server argument (`host`, `host:port`, or a URL).
pub fn start_url(server: &str) -> anyhow::Result<url::Url> {
    let s = server.trim();
    let full = if s.contains("://") {
        s.to_string()
    } else {
        format!("https://{s}/")
    };
    let u = url::Url::parse(&full).map_err(|e| anyhow::anyhow!("gateway {server:?}: {e}"))?;
    if u.scheme() != "https" {
        anyhow::bail!("gateway {server:?}: only https is supported");
    }
    Ok(u)
}

/// Logs in; returns the cookies.
pub async fn login(
    setup: &LoginSetup,
    tls: &TlsClient,
    answers: Answers,
    prompter: &mut dyn Prompter,
) -> anyhow::Result<Success> {
    let http = http::LoginHttp::new(tls, &setup.user_agent)?.with_dump(setup.dump);
    let host = setup.url.host_str().unwrap_or_default().to_string();
    let (mut flow, mut step) = Login::new(setup.url.clone(), answers);
    let mut tncc_socket = None;
    loop {
        step = match step {
            Step::Send(req) => {
                let resp = http.send(&req, flow.jar().header()).await?;
                flow.on_response(resp)
            }
            Step::Ask { questions, message } => {
                if let Some(m) = message {
                    prompter.show(&m);
                }
                let mut a = Vec::new();
                for q in &questions {
                    a.push(prompter.ask(q)?);
                }
                flow.on_answers(a)
            }
            Step::RunTncc { preauth, signin } => {
                let Some(program) = &setup.csd_wrapper else {
                    anyhow::bail!("the gateway wants the Host Checker but no --csd-wrapper is set");
                };
                let pin = tls.last_pin().unwrap_or_default();
                let req = tncc::TnccRequest {
                    host: &host,
                    preauth: &preauth,
                    signin: signin.as_deref(),
                    sha256: pin.strip_prefix("pin-sha256:").unwrap_or(&pin),
                    local_hostname: &setup.local_hostname,
                };
                tracing::info!("running the Host Checker program {}", program.display());
                let (answer, sock) = tncc::run(program, &req)?;
                tncc_socket = Some(sock);
                flow.on_tncc(&answer.preauth)
            }
            Step::Done(s) => {
                if let (Some(sock), Some(p)) = (tncc_socket.as_mut(), flow.jar().get("DSPREAUTH")) {
                    tncc::send_setcookie(sock, p);
                }
                tracing::info!("logged in to {host}");
                return Ok(s);
            }
            Step::Fail(e) => return Err(e.into()),
        };
    }
}
