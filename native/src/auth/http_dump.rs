//! `--dump-http-traffic`: the login's HTTP requests and responses as
//! text lines (`> ` sent, `< ` received), like OpenConnect's dump. Below
//! `-vv` the secrets are redacted: every cookie value, and form values
//! (in request bodies and in the pages' `<input>` tags) of fields whose
//! name says password, token, code, PIN, secret or SAML.

/// Stands in for a redacted value.
pub const REDACTED: &str = "<redacted>";

/// How to dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpDump {
    /// Show secrets as they are (`-vv`).
    pub reveal: bool,
}

/// Whether a form field's name suggests a secret value.
pub fn secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "pass", "token", "code", "pin", "secret", "otp", "saml", "key", "auth", "cookie",
    ]
    .iter()
    .any(|w| n.contains(w))
}

impl HttpDump {
    /// The lines for a request.
    pub fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> Vec<String> {
        let mut out = vec![format!("> {method} {url}")];
        for (k, v) in headers {
            out.push(format!("> {k}: {}", self.header(k, v)));
        }
        if let Some(b) = body {
            out.push(">".into());
            out.push(format!("> {}", self.form_body(b)));
        }
        out
    }

    /// The lines for a response.
    pub fn response(&self, status: u16, headers: &[(String, String)], body: &str) -> Vec<String> {
        let mut out = vec![format!("< {status}")];
        for (k, v) in headers {
            out.push(format!("< {k}: {}", self.header(k, v)));
        }
        if !body.is_empty() {
            out.push("<".into());
            let body = self.page(body);
            out.extend(body.lines().map(|l| format!("< {l}")));
        }
        out
    }

    fn header(&self, name: &str, value: &str) -> String {
        if self.reveal {
            return value.to_string();
        }
        match name.to_ascii_lowercase().as_str() {
            "cookie" => value
                .split(';')
                .map(|c| match c.split_once('=') {
                    Some((n, _)) => format!("{n}={REDACTED}"),
                    None => c.to_string(),
                })
                .collect::<Vec<_>>()
                .join(";"),
            "set-cookie" => {
                let (first, attrs) = value.split_once(';').unwrap_or((value, ""));
                let name = first.split_once('=').map_or(first, |(n, _)| n);
                if attrs.is_empty() {
                    format!("{name}={REDACTED}")
                } else {
                    format!("{name}={REDACTED};{attrs}")
                }
            }
            "authorization" | "proxy-authorization" => REDACTED.into(),
            _ => value.to_string(),
        }
    }

    /// A form body with secret fields' values redacted.
    pub fn form_body(&self, body: &str) -> String {
        if self.reveal {
            return body.to_string();
        }
        body.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if secret_field(&percent_decoded(k)) => format!("{k}={REDACTED}"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// A page with the `value="…"` of secret `<input>` fields redacted.
    pub fn page(&self, body: &str) -> String {
        if self.reveal {
            return body.to_string();
        }
        let mut out = String::with_capacity(body.len());
        let mut rest = body;
        while let Some(start) = rest.find('<') {
            out.push_str(&rest[..start]);
            let tag_end = rest[start..]
                .find('>')
                .map_or(rest.len(), |e| start + e + 1);
            out.push_str(&redact_tag(&rest[start..tag_end]));
            rest = &rest[tag_end..];
        }
        out.push_str(rest);
        out
    }
}

fn percent_decoded(s: &str) -> String {
    form_urlencoded::parse(format!("{s}=").as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

/// The value of attribute `name` in a tag, and where the value lies.
fn attribute(tag: &str, name: &str) -> Option<(usize, usize)> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
        let after = lower[at + name.len()..].trim_start();
        if !before_ok || !after.starts_with('=') {
            continue;
        }
        let value_from = tag.len() - after.len() + 1;
        let v = &tag[value_from..];
        let lead = v.len() - v.trim_start().len();
        let v = v.trim_start();
        let (start, len) = match v.chars().next() {
            Some(q @ ('"' | '\'')) => (1, v[1..].find(q).unwrap_or(v.len() - 1)),
            _ => (
                0,
                v.find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .unwrap_or(v.len()),
            ),
        };
        let s = value_from + lead + start;
        return Some((s, s + len));
    }
    None
}

fn redact_tag(tag: &str) -> String {
    let Some((ns, ne)) = attribute(tag, "name") else {
        return tag.to_string();
    };
    if !secret_field(&tag[ns..ne]) {
        return tag.to_string();
    }
    match attribute(tag, "value") {
        Some((vs, ve)) if ve > vs => format!("{}{REDACTED}{}", &tag[..vs], &tag[ve..]),
        _ => tag.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HIDE: HttpDump = HttpDump { reveal: false };
    const SHOW: HttpDump = HttpDump { reveal: true };

    #[test]
    fn request_secrets_redacted() {
        let h = vec![
            (
                "cookie".to_string(),
                "DSID=abc123; DSPREAUTH=p9".to_string(),
            ),
            ("user-agent".to_string(), "UA".to_string()),
        ];
        let body = "username=test&password=s3cret&token_code=123456&realm=1&btnSubmit=Sign%20In";
        let lines = HIDE
            .request("POST", "https://gw/login.cgi", &h, Some(body))
            .join("\n");
        assert!(
            !lines.contains("abc123") && !lines.contains("p9"),
            "{lines}"
        );
        assert!(
            !lines.contains("s3cret") && !lines.contains("123456"),
            "{lines}"
        );
        assert!(
            lines.contains("> cookie: DSID=<redacted>; DSPREAUTH=<redacted>"),
            "{lines}"
        );
        assert!(lines.contains("username=test&password=<redacted>&token_code=<redacted>&realm=1"));
        let all = SHOW
            .request("POST", "https://gw/login.cgi", &h, Some(body))
            .join("\n");
        assert!(all.contains("s3cret") && all.contains("abc123"), "{all}");
    }

    #[test]
    fn response_secrets_redacted() {
        let h = vec![(
            "set-cookie".to_string(),
            "DSID=fakedsid0123; path=/; secure".to_string(),
        )];
        let page = "<form><input type=\"hidden\" name=\"SAMLResponse\" value=\"PHNhbWw+\">\n\
                    <input name='xsauth' value='tok'><input type=hidden name=realm value=Users></form>";
        let lines = HIDE.response(302, &h, page).join("\n");
        assert!(
            lines.contains("< set-cookie: DSID=<redacted>; path=/; secure"),
            "{lines}"
        );
        assert!(
            !lines.contains("fakedsid") && !lines.contains("PHNhbWw") && !lines.contains("'tok'")
        );
        assert!(lines.contains("value=Users"), "{lines}");
        assert_eq!(SHOW.page(page), page);
    }
}
