//! `oncp gateway`'s sign-in: the Juniper-style pages and their checks.
//!
//! `GET /` redirects to the sign-in page (`frmLogin`); its POST to
//! `login.cgi` checks the user, password and realm, then walks the
//! configured steps — second factor (`frmLogin` second password, or a
//! `frmDefender` / `frmTotpToken` / `frmNextToken` page), the "already
//! signed in" page (`frmConfirmation`) and role choice
//! (`frmSelectRoles`) — and finally sets `DSID` and redirects to the
//! landing page. The state between steps is server-side, keyed by a
//! random `DSLoginState` cookie. Passwords, codes and DSIDs are never
//! logged.

pub mod config;
pub mod pages;
pub mod pending;

use std::sync::Arc;

use oncp_core::oncp::wire::http::LOGOUT_PATH;

use super::Shared;
use super::credentials::{code_ok, user_matches};
use super::http::{Request, Response};
use super::portal::{
    LOGIN_PATH, STARTER_PATH, WELCOME_PATH, clear_cookie, session_response, set_cookie,
};
use config::{ConfirmMode, LoginConfig, TokenForm};
use pending::{Pending, STATE_COOKIE, Stage};

/// Wrong second-factor codes allowed before the sign-in starts over.
pub const MAX_TOKEN_FAILURES: u32 = 3;

/// An opaque handle for an open session (never the DSID itself).
pub fn session_handle(dsid: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(dsid.as_bytes())[..8])
}

/// Whether `code` is an acceptable second factor: the TOTP code of the
/// configured secret now or one 30 s step either side, else the fixed
/// code, else any 6 to 8 digits.
pub fn token_ok(cfg: &LoginConfig, code: &str) -> bool {
    let Some(t) = &cfg.token else {
        return false;
    };
    match &t.totp {
        Some(secret) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            [now.saturating_sub(30), now, now + 30]
                .iter()
                .any(|&at| code_ok(Some(&crate::login::otp::totp(secret, at, 6)), code))
        }
        None => code_ok(t.code.as_deref(), code),
    }
}

/// Answers a sign-in, landing or logout request.
pub fn handle(req: &Request, shared: &Arc<Shared>) -> Response {
    let (path, query) = req
        .head
        .target
        .split_once('?')
        .unwrap_or((req.head.target.as_str(), ""));
    let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let q = |n: &str| query.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let cfg = &shared.config.login;
    match (req.head.method.as_str(), path) {
        ("GET", "/") => {
            let mut r = Response::redirect(WELCOME_PATH);
            set_cookie(&mut r, "DSSIGNIN", "url_default");
            r
        }
        ("GET", WELCOME_PATH) => {
            let err = match q("p") {
                Some("failed") => {
                    Some("Invalid username or password. Please re-enter your user information.")
                }
                Some("token-failed") => Some("Too many wrong codes. Please sign in again."),
                _ => None,
            };
            Response::new(200, pages::login(cfg, err))
        }
        ("GET", "/dana-na/auth/url_default/token.cgi") => {
            match (&cfg.token, pending_of(req, shared)) {
                (Some(t), Some((_, p))) if p.stage == Stage::Token => {
                    let err =
                        (q("p") == Some("failed")).then_some("Invalid code. Please try again.");
                    Response::new(200, pages::token(t.form, err))
                }
                _ => Response::redirect(WELCOME_PATH),
            }
        }
        ("GET", "/dana-na/auth/url_default/confirm.cgi") => match pending_of(req, shared) {
            Some((_, p)) if p.stage == Stage::Confirm => {
                Response::new(200, pages::confirm(&open_sessions(shared, &p.user)))
            }
            _ => Response::redirect(WELCOME_PATH),
        },
        ("GET", "/dana-na/auth/url_default/select_role.cgi") => match pending_of(req, shared) {
            Some((_, p)) if p.stage == Stage::Roles => Response::new(200, pages::roles(&cfg.roles)),
            _ => Response::redirect(WELCOME_PATH),
        },
        // A sign-in by GET with the fields in the query (some scripts do this).
        ("GET", LOGIN_PATH) if q("role").is_none() && q("username").is_some() => {
            password_step(shared, &query, pending_of(req, shared).map(|(k, _)| k))
        }
        ("GET", LOGIN_PATH) => match (pending_of(req, shared), q("role")) {
            (Some((key, p)), Some(role)) if p.stage == Stage::Roles => {
                match role.parse::<usize>().ok().filter(|i| *i < cfg.roles.len()) {
                    Some(i) => {
                        tracing::info!("user {:?} chose role {:?}", p.user, cfg.roles[i]);
                        finish(shared, &key, &p)
                    }
                    None => Response::new(400, "<html><body>No such role.</body></html>"),
                }
            }
            _ => Response::redirect(WELCOME_PATH),
        },
        ("POST", LOGIN_PATH) => post_login(req, shared),
        ("GET", STARTER_PATH) | ("GET", "/dana/home/index.cgi") => {
            match req
                .head
                .cookie("DSID")
                .and_then(|d| shared.cookies.check(d))
            {
                Some(_) => Response::new(200, pages::landing()),
                None => Response::redirect(WELCOME_PATH),
            }
        }
        ("GET", LOGOUT_PATH) => {
            if let Some(d) = req.head.cookie("DSID") {
                shared.cookies.revoke(d);
            }
            let mut r = Response::new(200, pages::logged_out());
            clear_cookie(&mut r, "DSID");
            r
        }
        _ => Response::new(404, "<html><body>Not found.</body></html>"),
    }
}

fn pending_of(req: &Request, shared: &Shared) -> Option<(String, Pending)> {
    let key = req.head.cookie(STATE_COOKIE)?;
    shared.login_pending.get(key).map(|p| (key.to_string(), p))
}

fn open_sessions(shared: &Shared, user: &str) -> Vec<pages::OpenSession> {
    shared
        .cookies
        .sessions_of(user)
        .into_iter()
        .map(|(dsid, addr)| pages::OpenSession {
            handle: session_handle(&dsid),
            label: format!("session with address {addr}"),
        })
        .collect()
}

/// The step after `done`, or the DSID when none is left.
fn advance(shared: &Shared, key: Option<String>, mut p: Pending, done: Stage) -> Response {
    let cfg = &shared.config.login;
    let order = [Stage::Token, Stage::Confirm, Stage::Roles];
    let start = order.iter().position(|s| *s == done).map_or(0, |i| i + 1);
    let next = order[start..].iter().copied().find(|s| match s {
        Stage::Token => matches!(&cfg.token, Some(t) if t.form != TokenForm::Login),
        Stage::Confirm => match cfg.confirm {
            ConfirmMode::Always => true,
            ConfirmMode::Never => false,
            ConfirmMode::IfActive => !shared.cookies.sessions_of(&p.user).is_empty(),
        },
        Stage::Roles => cfg.roles.len() >= 2,
    });
    let Some(next) = next else {
        return finish(shared, key.as_deref().unwrap_or(""), &p);
    };
    p.stage = next;
    let to = match next {
        Stage::Token => "/dana-na/auth/url_default/token.cgi",
        Stage::Confirm => "/dana-na/auth/url_default/confirm.cgi",
        Stage::Roles => "/dana-na/auth/url_default/select_role.cgi",
    };
    let mut r = Response::redirect(to);
    match key {
        Some(k) => shared.login_pending.update(&k, p),
        None => {
            let k = shared
                .login_pending
                .start(p, &mut crate::runtime::os_rng::OsRng);
            set_cookie(&mut r, STATE_COOKIE, &k);
        }
    }
    r
}

/// Issues the DSID and ends the sign-in.
fn finish(shared: &Shared, key: &str, p: &Pending) -> Response {
    shared.login_pending.finish(key);
    let mut rng = crate::runtime::os_rng::OsRng;
    let Some(dsid) = shared.cookies.issue(&p.user, &mut rng) else {
        return Response::new(
            200,
            "<html><body>No address left in the pool.</body></html>",
        );
    };
    let realm = p.realm.and_then(|i| shared.config.login.realms.get(i));
    tracing::info!("user {:?} signed in (realm {realm:?})", p.user);
    let mut r = session_response(&dsid);
    if !key.is_empty() {
        clear_cookie(&mut r, STATE_COOKIE);
    }
    r
}

fn post_login(req: &Request, shared: &Shared) -> Response {
    let cfg = &shared.config.login;
    let form: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    let field = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let pending = pending_of(req, shared);
    if field("btnCancel").is_some() {
        if let Some((k, _)) = &pending {
            shared.login_pending.finish(k);
        }
        return Response::redirect(WELCOME_PATH);
    }
    match pending {
        Some((key, mut p)) if p.stage == Stage::Token && field("key") == Some("token") => {
            if token_ok(cfg, field("password").unwrap_or("")) {
                return advance(shared, Some(key), p, Stage::Token);
            }
            p.token_failures += 1;
            tracing::info!("wrong second factor for user {:?}", p.user);
            if p.token_failures >= MAX_TOKEN_FAILURES {
                shared.login_pending.finish(&key);
                return Response::redirect(&format!("{WELCOME_PATH}?p=token-failed"));
            }
            shared.login_pending.update(&key, p);
            Response::redirect("/dana-na/auth/url_default/token.cgi?p=failed")
        }
        Some((key, p)) if p.stage == Stage::Confirm && field("btnContinue").is_some() => {
            let close: Vec<&str> = form
                .iter()
                .filter(|(k, _)| k == "postfixSID")
                .map(|(_, v)| v.as_str())
                .collect();
            for (dsid, _) in shared.cookies.sessions_of(&p.user) {
                if close.contains(&session_handle(&dsid).as_str()) {
                    shared.cookies.revoke(&dsid);
                    tracing::info!("user {:?} closed an earlier session", p.user);
                }
            }
            advance(shared, Some(key), p, Stage::Confirm)
        }
        _ => password_step(shared, &form, pending.map(|(k, _)| k)),
    }
}

fn password_step(shared: &Shared, form: &[(String, String)], old: Option<String>) -> Response {
    let cfg = &shared.config.login;
    let field = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    if let Some(k) = old {
        shared.login_pending.finish(&k);
    }
    let failed = || Response::redirect(&format!("{WELCOME_PATH}?p=failed"));
    let (Some(user), Some(pass)) = (field("username"), field("password")) else {
        return failed();
    };
    let realm = if cfg.realms.is_empty() {
        None
    } else {
        match field("realm")
            .and_then(|r| r.parse::<usize>().ok())
            .filter(|i| *i < cfg.realms.len())
        {
            Some(i) => Some(i),
            None => return failed(),
        }
    };
    if !user_matches(&shared.config.users, user, pass) {
        tracing::info!("sign-in failed for user {user:?}");
        return failed();
    }
    if let Some(t) = &cfg.token
        && t.form == TokenForm::Login
        && !token_ok(cfg, field("token_as_second_password").unwrap_or(""))
    {
        tracing::info!("wrong second factor for user {user:?}");
        return failed();
    }
    let p = Pending {
        user: user.to_string(),
        realm,
        stage: Stage::Token,
        token_failures: 0,
    };
    // `Stage::Token` as "done" would skip the token page: start before it.
    advance_from_start(shared, p)
}

fn advance_from_start(shared: &Shared, p: Pending) -> Response {
    let cfg = &shared.config.login;
    if matches!(&cfg.token, Some(t) if t.form != TokenForm::Login) {
        let mut r = Response::redirect("/dana-na/auth/url_default/token.cgi");
        let k = shared
            .login_pending
            .start(p, &mut crate::runtime::os_rng::OsRng);
        set_cookie(&mut r, STATE_COOKIE, &k);
        return r;
    }
    advance(shared, None, p, Stage::Token)
}
