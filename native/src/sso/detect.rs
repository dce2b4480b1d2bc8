//! Whether a gateway signs users in through SSO: its sign-in page
//! redirects or posts to another host, hands the browser a SAML request,
//! or is an SSO start page instead of a form. Pure: [`classify`] looks at
//! one response; [`super::probe`] walks the redirects.

use scraper::{Html, Selector};
use url::Url;

use crate::login::flow::HttpResponse;

/// How the gateway wants users to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signin {
    /// A form the form login can fill.
    Form,
    /// A browser is needed; why.
    Sso(&'static str),
}

/// What to do after one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Follow this redirect on the gateway.
    Follow(Url),
    /// Decided.
    Decided(Signin),
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

fn has_saml_request(u: &Url) -> bool {
    u.query_pairs().any(|(k, _)| k == "SAMLRequest")
}

/// Classifies the response to a request for `at` in a sign-in that
/// started at `start`.
pub fn classify(start: &Url, at: &Url, resp: &HttpResponse) -> Next {
    if (300..400).contains(&resp.status) {
        let Some(to) = resp.location.as_deref().and_then(|l| at.join(l).ok()) else {
            return Next::Decided(Signin::Form);
        };
        if !same_origin(start, &to) {
            return Next::Decided(Signin::Sso("the sign-in page redirects to another host"));
        }
        if has_saml_request(&to) {
            return Next::Decided(Signin::Sso(
                "the sign-in page redirects with a SAML request",
            ));
        }
        return Next::Follow(to);
    }
    Next::Decided(classify_page(start, at, &resp.body))
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

/// Classifies a sign-in page.
pub fn classify_page(start: &Url, at: &Url, body: &str) -> Signin {
    let doc = Html::parse_document(body);
    if doc.select(&sel("input[name=SAMLRequest]")).next().is_some() {
        return Signin::Sso("the sign-in page sends a SAML request");
    }
    let forms: Vec<_> = doc.select(&sel("form")).collect();
    for f in &forms {
        if let Some(action) = f.value().attr("action").and_then(|a| at.join(a).ok())
            && !same_origin(start, &action)
        {
            return Signin::Sso("the sign-in page posts to another host");
        }
    }
    let fields =
        sel("input[type=password], input[type=text], input[type=email], input:not([type])");
    let has_form_fields = forms.iter().any(|f| f.select(&fields).next().is_some());
    // The POST binding's response page is for the form login to submit.
    let saml_response = doc
        .select(&sel("input[name=SAMLResponse]"))
        .next()
        .is_some();
    if !has_form_fields && !saml_response {
        let text = body.to_ascii_lowercase();
        let mut words = text.split(|c: char| !c.is_ascii_alphanumeric());
        if text.contains("single sign-on") || words.any(|w| w == "sso" || w == "saml") {
            return Signin::Sso("the sign-in page is an SSO start page without a form");
        }
    }
    Signin::Form
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, location: Option<&str>, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            set_cookies: Vec::new(),
            location: location.map(str::to_string),
            body: body.into(),
        }
    }

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn redirects() {
        let start = u("https://vpn.example.com/");
        let at = start.clone();
        assert_eq!(
            classify(
                &start,
                &at,
                &resp(302, Some("/dana-na/auth/url_default/welcome.cgi"), "")
            ),
            Next::Follow(u(
                "https://vpn.example.com/dana-na/auth/url_default/welcome.cgi"
            ))
        );
        assert!(matches!(
            classify(
                &start,
                &at,
                &resp(302, Some("https://login.idp.example/saml"), "")
            ),
            Next::Decided(Signin::Sso(_))
        ));
        assert!(matches!(
            classify(
                &start,
                &at,
                &resp(302, Some("https://vpn.example.com:8443/"), "")
            ),
            Next::Decided(Signin::Sso(_))
        ));
        assert!(matches!(
            classify(&start, &at, &resp(302, Some("/idp?SAMLRequest=abc"), "")),
            Next::Decided(Signin::Sso(_))
        ));
    }

    #[test]
    fn pages() {
        let start = u("https://vpn.example.com/");
        let p = |b: &str| classify_page(&start, &start, b);
        let form = "<form name=frmLogin action=/login.cgi><input name=username><input type=password name=password></form>";
        assert_eq!(p(form), Signin::Form);
        let both = format!(
            "{form}<form name=frmSSO action=/saml-start.cgi><input type=submit value='Sign in with SSO'></form>"
        );
        assert_eq!(
            p(&both),
            Signin::Form,
            "a form and an SSO button: the form by default"
        );
        assert!(matches!(
            p(
                "<form action=/idp/sso method=post><input type=hidden name=SAMLRequest value=x></form>"
            ),
            Signin::Sso(_)
        ));
        assert!(matches!(
            p("<form action=https://idp.example/login><input name=u></form>"),
            Signin::Sso(_)
        ));
        assert!(matches!(
            p("<a href=/saml/start>Sign in with your organisation (SSO)</a>"),
            Signin::Sso(_)
        ));
        // A page without a form that only happens to contain the letters.
        assert_eq!(
            p("<p>Waiting for the host checker (process lasso)</p>"),
            Signin::Form
        );
        // Same-host ADFS-style form (what the form login fills): a form.
        assert_eq!(
            p(
                "<form id=loginForm action=/adfs/ls/><input type=email name=UserName><input type=password name=Password></form>"
            ),
            Signin::Form
        );
        // The SAML POST-binding response page (the form login submits it).
        assert_eq!(
            p(
                "<form name=hiddenform action=/dana-na/auth/saml-consumer.cgi><input type=hidden name=SAMLResponse value=x></form>"
            ),
            Signin::Form
        );
    }
}
