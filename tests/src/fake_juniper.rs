//! A fake Juniper gateway for login tests, serving the pages of
//! OpenConnect's test server (spec/auth.md §12.2) plus a pre-auth Host
//! Checker step and an administrator-customised form. It records every
//! request (method, target, body) so tests can assert exact bodies.
//! The login state is one server-side session per fake (one client at a
//! time), reset by `GET /`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use oncp::gateway::http::{Response, read_request};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::pem::PemObject;

/// What the fake asks for.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// `realms=a,b,c`: a realm select in `frmLogin`.
    pub realms: Vec<String>,
    /// `roles=a,b,c`: a role page after login.
    pub roles: Vec<String>,
    /// `confirm=1`: a `frmConfirmation` page.
    pub confirm: bool,
    /// `token_form=NAME`: frmLogin, frmTotpToken, frmDefender or frmNextToken.
    pub token_form: Option<String>,
    /// A Host Checker step before the login page (DSPREAUTH).
    pub host_checker: bool,
    /// After the password, a custom form `frmCustomPin` asking for `pin`
    /// (must be `4242`).
    pub custom_pin: bool,
}

impl Scenario {
    /// Realms `xyz`, `abc` and `def` in `frmLogin` (OpenConnect's case 2).
    pub fn with_realms() -> Scenario {
        Scenario {
            realms: vec!["xyz".into(), "abc".into(), "def".into()],
            ..Scenario::default()
        }
    }

    /// A token asked for on `form`: `frmLogin` (a second password, case
    /// 3), or a page after it — `frmTotpToken` (4), `frmDefender` (5),
    /// `frmNextToken` (6).
    pub fn with_token_form(form: &str) -> Scenario {
        Scenario {
            token_form: Some(form.into()),
            ..Scenario::default()
        }
    }

    /// A confirmation page, then roles `foo`, `bar` and `baz` (case 7).
    pub fn confirm_then_roles() -> Scenario {
        Scenario {
            confirm: true,
            roles: vec!["foo".into(), "bar".into(), "baz".into()],
            ..Scenario::default()
        }
    }
}

/// The sign-in POST of user `test`, password `test` (no realm).
pub const LOGIN_POST: &str = "username=test&password=test&btnSubmit=Sign%20In";
/// The sign-in POST with realm `abc` of [`Scenario::with_realms`] chosen.
pub const LOGIN_REALM_ABC_POST: &str = "realm=1&username=test&password=test&btnSubmit=Sign%20In";
/// The confirmation POST right after the sign-in (case 7).
pub const CONFIRM_POST: &str = "username=test&password=test&realm=None&btnContinue=Confirm%20Login";
/// The confirmation POST after a token page (case 5).
pub const CONFIRM_AFTER_TOKEN_POST: &str =
    "username=test&password=None&realm=None&btnContinue=Confirm%20Login";

/// One request the fake saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Method.
    pub method: String,
    /// Request target.
    pub target: String,
    /// Body.
    pub body: String,
}

#[derive(Debug, Default)]
struct State {
    user: Option<String>,
    password: Option<String>,
    realm: Option<String>,
    token_given: bool,
    confirmed: bool,
    pin_ok: bool,
    log: Vec<Seen>,
}

/// A running fake.
#[derive(Debug, Clone)]
pub struct FakeJuniper {
    /// Its address.
    pub addr: SocketAddr,
    /// `pin-sha256:` of its certificate.
    pub pin: String,
    /// Hex SHA-1 of its certificate (the fingerprint form OpenConnect
    /// 9.01's own tests pass to `--servercert`).
    pub cert_sha1: String,
    state: Arc<Mutex<State>>,
}

impl FakeJuniper {
    /// Starts a fake on a random loopback port.
    pub async fn start(scenario: Scenario) -> FakeJuniper {
        let id = oncp::tls::server::self_signed(&["127.0.0.1".into()]).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let acceptor = tokio_rustls::TlsAcceptor::from(id.config.clone());
        let (st, sc) = (state.clone(), Arc::new(scenario));
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, st, sc) = (acceptor.clone(), st.clone(), sc.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut left = Vec::new();
                    while let Ok(Some(req)) =
                        read_request(&mut tls, std::mem::take(&mut left)).await
                    {
                        let resp = handle(&sc, &st, &req);
                        if tls.write_all(&resp.to_bytes()).await.is_err() {
                            return;
                        }
                        left = req.rest;
                    }
                });
            }
        });
        let der =
            tokio_rustls::rustls::pki_types::CertificateDer::from_pem_slice(id.cert_pem.as_bytes())
                .expect("the fake's certificate");
        let cert_sha1 = oncp::tls::pin::CertFingerprints::of_der(&der)
            .expect("the fake's certificate")
            .cert_sha1_hex;
        FakeJuniper {
            addr,
            pin: id.pin,
            cert_sha1,
            state,
        }
    }

    /// The requests seen so far.
    pub fn log(&self) -> Vec<Seen> {
        self.state.lock().unwrap().log.clone()
    }

    /// The bodies of the POSTs seen so far.
    pub fn posts(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|s| s.method == "POST")
            .map(|s| s.body)
            .collect()
    }
}

const LOGIN: &str = "/dana-na/auth/url_default/login.cgi";
const WELCOME: &str = "/dana-na/auth/url_default/welcome.cgi";

fn page(body: &str) -> Response {
    Response::new(200, format!("<html><body>{body}</body></html>"))
}

fn with_cookie(mut r: Response, c: &str) -> Response {
    r.headers
        .push(("Set-Cookie".into(), format!("{c}; path=/")));
    r
}

fn handle(sc: &Scenario, st: &Mutex<State>, req: &oncp::gateway::http::Request) -> Response {
    let mut s = st.lock().unwrap();
    let body = String::from_utf8_lossy(&req.body).into_owned();
    s.log.push(Seen {
        method: req.head.method.clone(),
        target: req.head.target.clone(),
        body: body.clone(),
    });
    let (path, query) = req
        .head
        .target
        .split_once('?')
        .unwrap_or((&req.head.target, ""));
    let none = |v: &Option<String>| v.clone().unwrap_or_else(|| "None".into());
    match (req.head.method.as_str(), path) {
        ("GET", "/") => {
            *s = State {
                log: std::mem::take(&mut s.log),
                ..Default::default()
            };
            Response::redirect(WELCOME)
        }
        ("GET", WELCOME) => {
            if sc.host_checker && req.head.cookie("DSPREAUTH") != Some("success") {
                return with_cookie(page("Waiting for host checker..."), "DSPREAUTH=hostchecker");
            }
            let mut f = String::from(
                "<form name=\"frmLogin\" method=\"post\" action=\"/dana-na/auth/url_default/login.cgi\">\
                 <input type=\"text\" name=\"username\"><input type=\"password\" name=\"password\">",
            );
            if sc.token_form.as_deref() == Some("frmLogin") {
                f.push_str("<input type=\"password\" name=\"token_as_second_password\">");
            }
            f.push_str("<input type=\"submit\" name=\"btnSubmit\" value=\"Sign In\">");
            if !sc.realms.is_empty() {
                f.push_str("<select name=\"realm\">");
                for (i, r) in sc.realms.iter().enumerate() {
                    f.push_str(&format!("<option value=\"{i}\">{r}</option>"));
                }
                f.push_str("</select>");
            }
            f.push_str("</form>");
            page(&f)
        }
        ("POST", LOGIN) => {
            let form: Vec<(String, String)> =
                form_urlencoded::parse(&req.body).into_owned().collect();
            let field = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            // Like OpenConnect's fake: each POST replaces the session's fields.
            s.user = field("username");
            s.password = field("password");
            s.realm = field("realm");
            if field("btnSubmit").is_some()
                && !sc.realms.is_empty()
                && s.realm
                    .as_deref()
                    .and_then(|r| r.parse::<usize>().ok())
                    .is_none_or(|i| i >= sc.realms.len())
            {
                return Response::new(400, "bad realm");
            }
            if ["btnAction", "totpactionEnter", "token_as_second_password"]
                .iter()
                .any(|k| field(k).is_some())
            {
                s.token_given = true;
            }
            if field("btnContinue").is_some() {
                s.confirmed = true;
            }
            if field("btnSubmit").is_some() && s.password.as_deref() != Some("test") {
                return Response::redirect(&format!("{WELCOME}?p=failed"));
            }
            next(sc, &mut s)
        }
        ("POST", "/dana-na/auth/url_default/custom.cgi") => {
            let form: Vec<(String, String)> =
                form_urlencoded::parse(&req.body).into_owned().collect();
            s.pin_ok = form.iter().any(|(k, v)| k == "pin" && v == "4242");
            if !s.pin_ok {
                return Response::new(403, "wrong pin");
            }
            next(sc, &mut s)
        }
        ("GET", "/dana-na/auth/url_default/token.cgi") => {
            let name = sc.token_form.clone().unwrap_or_default();
            let button = if name == "frmTotpToken" {
                "totpactionEnter"
            } else {
                "btnAction"
            };
            page(&format!(
                "<form name=\"{name}\" method=\"post\" action=\"{LOGIN}\">\
                 <input type=\"hidden\" name=\"username\" value=\"{}\"><input type=\"password\" name=\"token_code\">\
                 <input type=\"hidden\" name=\"realm\" value=\"{}\"><input type=\"submit\" name=\"{button}\" value=\"Sign In\"></form>",
                none(&s.user),
                none(&s.realm)
            ))
        }
        ("GET", "/dana-na/auth/url_default/confirm.cgi") => page(&format!(
            "<form name=\"frmConfirmation\" method=\"post\" action=\"{LOGIN}\">\
             <input type=\"hidden\" name=\"username\" value=\"{}\"><input type=\"hidden\" name=\"password\" value=\"{}\">\
             <input type=\"hidden\" name=\"realm\" value=\"{}\"><input type=\"submit\" name=\"btnContinue\" value=\"Confirm Login\"></form>",
            none(&s.user),
            none(&s.password),
            none(&s.realm)
        )),
        ("GET", "/dana-na/auth/url_default/custom.cgi") => page(
            "<h1>Corporate badge check</h1><form name=\"frmCustomPin\" method=\"post\" action=\"custom.cgi\">\
             <label for=\"pin\">Badge PIN</label><input type=\"text\" id=\"pin\" name=\"pin\">\
             <input type=\"hidden\" name=\"step\" value=\"badge\"><input type=\"submit\" name=\"go\" value=\"Continue\"></form>",
        ),
        ("GET", "/dana-na/auth/url_default/select_role.cgi") => {
            let mut rows = String::from("<tr><td>Pick a role</td></tr>");
            for (i, r) in sc.roles.iter().enumerate() {
                rows.push_str(&format!(
                    "<tr><td><a href=\"{LOGIN}?role={i}\">{r}</a></td></tr>"
                ));
            }
            rows.push_str("<tr><td>footer</td></tr>");
            page(&format!(
                "<form name=\"frmSelectRoles\"><table id=\"TABLE_SelectRole_1\">{rows}</table></form>"
            ))
        }
        ("GET", LOGIN) if query.starts_with("role=") => match query[5..].parse::<usize>() {
            Ok(i) if i < sc.roles.len() => issue(),
            _ => Response::new(400, "bad role"),
        },
        ("GET", "/dana/home/starter0.cgi") => page("some junk HTML webtop"),
        // Like OpenConnect's fake: the tunnel request is refused (the
        // client must exit with status 2, "cookie rejected").
        ("POST", "/dana/js") if query == "prot=1&svc=4" => {
            if req.head.cookie("DSID").is_none() {
                return Response::redirect("/dana-na/auth/url_default/welcome.cgi");
            }
            Response::new(401, "")
        }
        _ => Response::new(404, "not found"),
    }
}

fn next(sc: &Scenario, s: &mut State) -> Response {
    let separate_token = sc.token_form.as_deref().is_some_and(|t| t != "frmLogin");
    if sc.token_form.is_some() && !s.token_given && !s.confirmed {
        if separate_token {
            return Response::redirect("/dana-na/auth/url_default/token.cgi");
        }
        return Response::redirect(&format!("{WELCOME}?p=failed"));
    }
    if sc.custom_pin && !s.pin_ok {
        return Response::redirect("/dana-na/auth/url_default/custom.cgi");
    }
    if sc.confirm && !s.confirmed {
        return Response::redirect("/dana-na/auth/url_default/confirm.cgi");
    }
    if !sc.roles.is_empty() {
        return Response::redirect("/dana-na/auth/url_default/select_role.cgi");
    }
    issue()
}

fn issue() -> Response {
    let r = Response::redirect("/dana/home/starter0.cgi");
    let r = with_cookie(r, "DSID=fakedsid0123456789");
    with_cookie(r, "DSFirstAccess=1700000000")
}
