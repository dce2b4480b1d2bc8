//! The sign-in pages, laid out like a Juniper/Pulse gateway's: one form
//! per page with the standard form and field names (`frmLogin`,
//! `frmDefender`, `frmTotpToken`, `frmNextToken`, `frmConfirmation`,
//! `frmSelectRoles`).

use super::config::{LoginConfig, TokenForm};
use crate::gateway::portal::{LOGIN_PATH, PORTAL_NAME, esc};

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><title>{PORTAL_NAME} - {title}</title>\
         <script type=\"text/javascript\">function SetLastRealm(){{}}</script></head>\n\
         <body>\n<table class=\"banner\"><tr><td>{PORTAL_NAME}</td></tr></table>\n{body}\n</body></html>\n"
    )
}

fn error_line(msg: Option<&str>) -> String {
    msg.map(|m| format!("<p class=\"cssSmallError\" id=\"error\">{}</p>\n", esc(m)))
        .unwrap_or_default()
}

/// The sign-in page (`frmLogin`): username, password, the token as a
/// second password when so configured, and the realm list or a hidden
/// realm.
pub fn login(cfg: &LoginConfig, error: Option<&str>) -> String {
    let token = matches!(&cfg.token, Some(t) if t.form == TokenForm::Login);
    let mut rows = String::new();
    rows.push_str(
        "<tr><td><label for=\"username\">Username</label></td>\
         <td><input type=\"text\" id=\"username\" name=\"username\" value=\"\" size=\"20\"></td></tr>\n\
         <tr><td><label for=\"password\">Password</label></td>\
         <td><input type=\"password\" id=\"password\" name=\"password\" value=\"\" size=\"20\"></td></tr>\n",
    );
    if token {
        rows.push_str(
            "<tr><td><label for=\"token\">Token code</label></td>\
             <td><input type=\"password\" id=\"token\" name=\"token_as_second_password\" value=\"\" size=\"20\"></td></tr>\n",
        );
    }
    if cfg.realms.is_empty() {
        rows.push_str("<input type=\"hidden\" name=\"realm\" value=\"Users\">\n");
    } else {
        rows.push_str("<tr><td><label for=\"realm\">Realm</label></td><td><select id=\"realm\" name=\"realm\">\n");
        for (i, r) in cfg.realms.iter().enumerate() {
            rows.push_str(&format!("<option value=\"{i}\">{}</option>\n", esc(r)));
        }
        rows.push_str("</select></td></tr>\n");
    }
    page(
        "Sign In",
        &format!(
            "{}<form name=\"frmLogin\" method=\"POST\" action=\"{LOGIN_PATH}\" autocomplete=\"off\" onsubmit=\"return Login.submit()\">\n\
             <input type=\"hidden\" name=\"tz_offset\" value=\"\">\n\
             <table>\n{rows}<tr><td></td><td><input type=\"submit\" name=\"btnSubmit\" value=\"Sign In\"></td></tr>\n</table>\n</form>\n\
             <form name=\"frmHelp\" method=\"GET\" action=\"/dana-na/help.cgi\"><input type=\"submit\" name=\"btnHelp\" value=\"Help\"></form>{}",
            error_line(error),
            if cfg.saml == crate::gateway::saml::SamlMode::Button {
                crate::gateway::saml::pages::sso_button()
            } else {
                String::new()
            }
        ),
    )
}

/// The separate second-factor page.
pub fn token(form: TokenForm, error: Option<&str>) -> String {
    let (prompt, button, button_value) = match form {
        TokenForm::Defender => (
            "Challenge: enter the response from your token.",
            "btnAction",
            "Sign In",
        ),
        TokenForm::NextToken => (
            "Wait for the token code to change, then enter the new code.",
            "btnAction",
            "Sign In",
        ),
        TokenForm::Totp | TokenForm::Login => (
            "Enter the code from your authenticator app.",
            "totpactionEnter",
            "Sign In",
        ),
    };
    page(
        "Token",
        &format!(
            "{}<form name=\"{}\" method=\"POST\" action=\"{LOGIN_PATH}\" autocomplete=\"off\">\n\
             <p id=\"challenge\">{prompt}</p>\n\
             <input type=\"hidden\" name=\"key\" value=\"token\">\n\
             <table><tr><td><label for=\"password\">Code</label></td>\
             <td><input type=\"password\" id=\"password\" name=\"password\" value=\"\"></td></tr>\n\
             <tr><td></td><td><input type=\"submit\" name=\"{button}\" value=\"{button_value}\">\
             <input type=\"submit\" name=\"btnCancel\" value=\"Cancel\"></td></tr></table>\n</form>",
            error_line(error),
            form.form_name()
        ),
    )
}

/// One open session listed on the confirmation page.
#[derive(Debug, Clone)]
pub struct OpenSession {
    /// Opaque handle posted back when the user closes it.
    pub handle: String,
    /// What the user sees (address).
    pub label: String,
}

/// The "already signed in" page (`frmConfirmation`): one checkbox per
/// open session (ticked = close it), Continue or Cancel.
pub fn confirm(sessions: &[OpenSession]) -> String {
    let mut rows = String::new();
    for s in sessions {
        rows.push_str(&format!(
            "<tr><td><input type=\"checkbox\" name=\"postfixSID\" value=\"{}\"></td><td>{}</td></tr>\n",
            esc(&s.handle),
            esc(&s.label)
        ));
    }
    let text = if sessions.is_empty() {
        "Please confirm that you want to start a new session."
    } else {
        "There are already other user sessions in progress. Select sessions to end, or continue without ending them."
    };
    page(
        "Confirm",
        &format!(
            "<form name=\"frmConfirmation\" method=\"POST\" action=\"{LOGIN_PATH}\">\n\
             <p id=\"confirmText\">{text}</p>\n\
             <input type=\"hidden\" name=\"FormDataStr\" value=\"confirm\">\n\
             <table id=\"TABLE_ActiveSessions\">\n{rows}</table>\n\
             <input type=\"submit\" name=\"btnContinue\" value=\"Continue the session\">\
             <input type=\"submit\" name=\"btnCancel\" value=\"Cancel\">\n</form>"
        ),
    )
}

/// The role page (`frmSelectRoles`): a table of links.
pub fn roles(roles: &[String]) -> String {
    let mut rows = String::from("<tr><td>You have access to the following roles:</td></tr>\n");
    for (i, r) in roles.iter().enumerate() {
        rows.push_str(&format!(
            "<tr><td><a href=\"{LOGIN_PATH}?role={i}\">{}</a></td></tr>\n",
            esc(r)
        ));
    }
    rows.push_str(
        "<tr><td>Each role allows you to access a different set of resources.</td></tr>\n",
    );
    page(
        "Select Role",
        &format!(
            "<form name=\"frmSelectRoles\">\n<table id=\"TABLE_SelectRole_1\">\n{rows}</table>\n</form>"
        ),
    )
}

/// The landing page after sign-in.
pub fn landing() -> String {
    page(
        "Home",
        "<p>Welcome. Network Connect is available for this session.</p>",
    )
}

/// The page after sign-out.
pub fn logged_out() -> String {
    page("Signed Out", "<p>Your session has ended.</p>")
}
