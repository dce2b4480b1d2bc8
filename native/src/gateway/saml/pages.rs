//! The SAML pages: the HTTP-POST binding's self-submitting form (the
//! gateway's request to the IdP and the IdP's response to the gateway),
//! the mock IdP's sign-in page, which is built by JavaScript — the HTML
//! has no form, so only a real browser gets through it — and the
//! gateway's "Sign in with SSO" button.

use super::{IDP_LOGIN_PATH, IDP_MFA_PATH, START_PATH};
use crate::gateway::portal::esc;

/// A form of hidden fields posted to `action` by script as soon as the
/// page loads (a button for browsers without script).
pub fn post_binding(title: &str, action: &str, fields: &[(&str, &str)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(n, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                esc(n),
                esc(v)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><title>{}</title></head>\n\
         <body>\n<form name=\"hiddenform\" id=\"samlPost\" method=\"POST\" action=\"{}\">\n{inputs}\
         <noscript><input type=\"submit\" value=\"Continue\"></noscript>\n</form>\n\
         <script>document.getElementById('samlPost').submit();</script>\n</body></html>\n",
        esc(title),
        esc(action)
    )
}

/// The gateway's SSO button, below its sign-in form.
pub fn sso_button() -> String {
    format!(
        "<form name=\"frmSSO\" method=\"GET\" action=\"{START_PATH}\">\
         <input type=\"submit\" id=\"btnSSO\" value=\"Sign in with SSO\"></form>"
    )
}

/// The mock IdP's sign-in page for sign-in `txn`. Its script draws the
/// user name and password fields, posts them (`fetch`) to the IdP, then
/// draws the MFA code field, posts that, and follows the IdP's answer to
/// the page that posts the assertion to the gateway.
pub fn idp_signin(txn: &str) -> String {
    // `txn` is 32 hex digits after a prefix of ours; JSON-quoted anyway.
    let txn_js = serde_json::to_string(txn).unwrap_or_else(|_| "\"\"".into());
    format!(
        r#"<!DOCTYPE html>
<html><head><title>oncp mock IdP - Sign in</title></head>
<body>
<h1>oncp mock identity provider</h1>
<div id="app"></div>
<p id="error" style="color:#b00"></p>
<noscript>This sign-in needs JavaScript.</noscript>
<script>
"use strict";
const txn = {txn_js};
const app = document.getElementById("app");
function field(id, label, type) {{
  const l = document.createElement("label");
  l.textContent = label + " ";
  const i = document.createElement("input");
  i.id = id; i.type = type; i.autocomplete = "off";
  l.appendChild(i);
  app.appendChild(l);
  app.appendChild(document.createElement("br"));
  return i;
}}
function button(id, text, onclick) {{
  const b = document.createElement("button");
  b.id = id; b.type = "button"; b.textContent = text;
  b.addEventListener("click", onclick);
  app.appendChild(b);
}}
function post(path, fields) {{
  const body = new URLSearchParams(Object.assign({{ txn }}, fields));
  return fetch(path, {{ method: "POST", body }}).then(r => r.json());
}}
function fail(j) {{ document.getElementById("error").textContent = j.error || "Sign-in failed"; }}
function passwordStep() {{
  app.replaceChildren();
  const u = field("idp-user", "User name", "text");
  const p = field("idp-password", "Password", "password");
  button("idp-next", "Next", () => post("{IDP_LOGIN_PATH}", {{ username: u.value, password: p.value }})
    .then(j => j.ok ? mfaStep() : fail(j)));
  u.focus();
}}
function mfaStep() {{
  app.replaceChildren();
  document.getElementById("error").textContent = "";
  const c = field("idp-code", "Verification code", "text");
  button("idp-verify", "Verify", () => post("{IDP_MFA_PATH}", {{ code: c.value }})
    .then(j => j.ok ? location.assign(j.next) : fail(j)));
  c.focus();
}}
passwordStep();
</script>
</body></html>
"#
    )
}

/// A page saying why the SAML step failed.
pub fn failure(message: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><title>Sign-in failed</title></head>\n\
         <body><p id=\"error\">{}</p></body></html>\n",
        esc(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idp_page_has_no_form_and_the_binding_page_escapes() {
        let p = idp_signin("idp0123");
        assert!(!p.contains("<form") && !p.contains("<input"), "{p}");
        assert!(p.contains("const txn = \"idp0123\";"));
        let b = post_binding("t", "/acs", &[("SAMLResponse", "a\"b<")]);
        assert!(b.contains("value=\"a&quot;b&lt;\""), "{b}");
        assert!(b.contains("action=\"/acs\""));
    }
}
