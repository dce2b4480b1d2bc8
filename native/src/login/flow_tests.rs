//! The login flow against scripted gateway pages: OpenConnect's Juniper
//! test cases (auth.md §12.3) with their exact bodies, and the error
//! cases of §12.6.

use super::answers::{Answers, FormEntry};
use super::flow::{AuthError, HttpResponse, Login, QuestionKind, Step};

const LOGIN_CGI: &str = "https://gw.test/dana-na/auth/url_default/login.cgi";

fn answers() -> Answers {
    Answers {
        user: Some("test".into()),
        password: Some(String::from("test").into()),
        non_inter: true,
        ..Default::default()
    }
}

fn redirect(to: &str, cookies: &[&str]) -> HttpResponse {
    HttpResponse {
        status: 302,
        set_cookies: cookies.iter().map(|s| s.to_string()).collect(),
        location: Some(to.into()),
        body: String::new(),
    }
}

fn page(body: &str) -> HttpResponse {
    HttpResponse {
        status: 200,
        body: format!("<html><body>{body}</body></html>"),
        ..Default::default()
    }
}

fn login_page(realms: &[&str]) -> HttpResponse {
    let mut select = String::new();
    if !realms.is_empty() {
        select.push_str("<select name=\"realm\">");
        for (i, r) in realms.iter().enumerate() {
            select.push_str(&format!("<option value=\"{i}\">{r}</option>"));
        }
        select.push_str("</select>");
    }
    page(&format!(
        "<form name=\"frmLogin\" method=\"post\" action=\"/dana-na/auth/url_default/login.cgi\">\
         <input type=\"text\" name=\"username\"><input type=\"password\" name=\"password\">\
         <input type=\"submit\" name=\"btnSubmit\" value=\"Sign In\">{select}</form>"
    ))
}

fn token_page(form: &str, button: &str) -> HttpResponse {
    page(&format!(
        "<form name=\"{form}\" method=\"post\" action=\"/dana-na/auth/url_default/login.cgi\">\
         <input type=\"hidden\" name=\"username\" value=\"test\"><input type=\"password\" name=\"token_code\">\
         <input type=\"hidden\" name=\"realm\" value=\"None\"><input type=\"submit\" name=\"{button}\" value=\"Sign In\"></form>"
    ))
}

fn confirm_page(password: &str) -> HttpResponse {
    page(&format!(
        "<form name=\"frmConfirmation\" method=\"post\" action=\"/dana-na/auth/url_default/login.cgi\">\
         <input type=\"hidden\" name=\"username\" value=\"test\"><input type=\"hidden\" name=\"password\" value=\"{password}\">\
         <input type=\"hidden\" name=\"realm\" value=\"None\"><input type=\"submit\" name=\"btnContinue\" value=\"Confirm Login\"></form>"
    ))
}

fn dsid() -> HttpResponse {
    redirect(
        "/dana/home/starter0.cgi",
        &["DSID=abc; path=/", "DSFirstAccess=5"],
    )
}

/// Starts at `/`, follows to the welcome page, serves `first`.
fn start(a: Answers, first: HttpResponse) -> (Login, Step) {
    let (mut l, s) = Login::new("https://gw.test/".parse().unwrap(), a);
    assert!(matches!(&s, Step::Send(r) if r.url.path() == "/" && r.body.is_none()));
    let s = l.on_response(redirect(
        "/dana-na/auth/url_default/welcome.cgi",
        &["DSSIGNIN=url_default"],
    ));
    assert!(matches!(&s, Step::Send(r) if r.url.path().ends_with("welcome.cgi")));
    let s = l.on_response(first);
    (l, s)
}

#[track_caller]
fn expect_post(s: &Step, url: &str, body: &str) {
    match s {
        Step::Send(r) => {
            assert_eq!(r.url.as_str(), url);
            assert_eq!(r.body.as_deref(), Some(body));
        }
        other => panic!("expected POST {url}, got {other:?}"),
    }
}

#[track_caller]
fn expect_done(s: Step) {
    match s {
        Step::Done(s) => {
            assert_eq!(s.cookie, "DSID=abc; DSFirst=5");
            assert_eq!(s.jar, "DSSIGNIN=url_default; DSID=abc; DSFirstAccess=5");
        }
        other => panic!("expected success, got {other:?}"),
    }
}

#[test]
fn case1_plain_login() {
    let (mut l, s) = start(answers(), login_page(&[]));
    expect_post(
        &s,
        LOGIN_CGI,
        "username=test&password=test&btnSubmit=Sign%20In",
    );
    expect_done(l.on_response(dsid()));
}

#[test]
fn case2_realm_by_authgroup() {
    let a = Answers {
        authgroup: Some("abc".into()),
        ..answers()
    };
    let (mut l, s) = start(a, login_page(&["xyz", "abc", "def"]));
    expect_post(
        &s,
        LOGIN_CGI,
        "realm=1&username=test&password=test&btnSubmit=Sign%20In",
    );
    expect_done(l.on_response(dsid()));
}

#[test]
fn realm_is_asked_and_checked_when_interactive() {
    let a = Answers {
        non_inter: false,
        ..answers()
    };
    let (mut l, s) = start(a, login_page(&["xyz", "abc"]));
    match &s {
        Step::Ask { questions, .. } => {
            assert_eq!(questions.len(), 1);
            assert!(matches!(&questions[0].kind, QuestionKind::Choice(c) if c.len() == 2));
        }
        other => panic!("{other:?}"),
    }
    let s = l.on_answers(vec!["0".into()]);
    expect_post(
        &s,
        LOGIN_CGI,
        "realm=0&username=test&password=test&btnSubmit=Sign%20In",
    );
    let (mut l, _) = start(
        Answers {
            non_inter: false,
            ..answers()
        },
        login_page(&["xyz", "abc"]),
    );
    assert!(matches!(
        l.on_answers(vec!["9".into()]),
        Step::Fail(AuthError::BadChoice(..))
    ));
}

#[test]
fn ambiguous_authgroup_fails_without_a_terminal() {
    let a = Answers {
        authgroup: Some("a".into()),
        ..answers()
    };
    let (_, s) = start(a, login_page(&["abc", "abd"]));
    assert!(matches!(s, Step::Fail(AuthError::BadChoice(..))), "{s:?}");
}

#[test]
fn case5_defender_then_confirmation() {
    let a = Answers {
        form_entries: vec![
            "frmDefender:token_code=123456"
                .parse::<FormEntry>()
                .unwrap(),
        ],
        ..answers()
    };
    let (mut l, s) = start(a, login_page(&[]));
    expect_post(
        &s,
        LOGIN_CGI,
        "username=test&password=test&btnSubmit=Sign%20In",
    );
    let s = l.on_response(redirect("token.cgi", &[]));
    assert!(
        matches!(&s, Step::Send(r) if r.url.as_str() == "https://gw.test/dana-na/auth/url_default/token.cgi")
    );
    let s = l.on_response(token_page("frmDefender", "btnAction"));
    expect_post(
        &s,
        LOGIN_CGI,
        "username=test&token_code=123456&realm=None&btnAction=Sign%20In",
    );
    let s = l.on_response(redirect("confirm.cgi", &[]));
    assert!(matches!(&s, Step::Send(_)));
    let s = l.on_response(confirm_page("None"));
    expect_post(
        &s,
        LOGIN_CGI,
        "username=test&password=None&realm=None&btnContinue=Confirm%20Login",
    );
    expect_done(l.on_response(dsid()));
}

#[test]
fn totp_and_next_token_pages_use_their_buttons() {
    for (form, button) in [
        ("frmTotpToken", "totpactionEnter"),
        ("frmNextToken", "btnAction"),
    ] {
        let a = Answers {
            form_entries: vec![format!("{form}:token_code=654321").parse().unwrap()],
            ..answers()
        };
        let (mut l, _) = start(a, login_page(&[]));
        let _ = l.on_response(redirect("token.cgi", &[]));
        let s = l.on_response(token_page(form, button));
        expect_post(
            &s,
            LOGIN_CGI,
            &format!("username=test&token_code=654321&realm=None&{button}=Sign%20In"),
        );
    }
}

#[test]
fn token_page_without_answer_asks_or_fails_clearly() {
    let (mut l, _) = start(answers(), login_page(&[]));
    let _ = l.on_response(redirect("token.cgi", &[]));
    match l.on_response(token_page("frmTotpToken", "totpactionEnter")) {
        Step::Fail(e @ AuthError::NeedsInput { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("token_code")
                    && m.contains("--form-entry frmTotpToken:token_code=VALUE"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    let (mut l, _) = start(
        Answers {
            non_inter: false,
            ..answers()
        },
        login_page(&[]),
    );
    let _ = l.on_response(redirect("token.cgi", &[]));
    let s = l.on_response(token_page("frmTotpToken", "totpactionEnter"));
    assert!(
        matches!(&s, Step::Ask { questions, .. } if questions[0].kind == QuestionKind::Password)
    );
    let s = l.on_answers(vec!["111222".into()]);
    expect_post(
        &s,
        LOGIN_CGI,
        "username=test&token_code=111222&realm=None&totpactionEnter=Sign%20In",
    );
}

#[test]
fn case7_confirmation_then_role_by_authgroup() {
    let a = Answers {
        authgroup: Some("bar".into()),
        ..answers()
    };
    let (mut l, _) = start(a, login_page(&[]));
    let _ = l.on_response(redirect("confirm.cgi", &[]));
    let s = l.on_response(confirm_page("test"));
    expect_post(
        &s,
        LOGIN_CGI,
        "username=test&password=test&realm=None&btnContinue=Confirm%20Login",
    );
    let _ = l.on_response(redirect("select_role.cgi", &[]));
    let roles = page(
        "<form name=\"frmSelectRoles\"><table id=\"TABLE_SelectRole_1\"><tr><td>pick</td></tr>\
         <tr><td><a href=\"/dana-na/auth/url_default/login.cgi?role=0\">foo</a></td></tr>\
         <tr><td><a href=\"/dana-na/auth/url_default/login.cgi?role=1\">bar</a></td></tr>\
         <tr><td><a href=\"/dana-na/auth/url_default/login.cgi?role=2\">baz</a></td></tr></table></form>",
    );
    match l.on_response(roles) {
        Step::Send(r) => {
            assert_eq!(
                r.url.as_str(),
                "https://gw.test/dana-na/auth/url_default/login.cgi?role=1"
            );
            assert_eq!(r.body, None);
        }
        other => panic!("{other:?}"),
    }
    expect_done(l.on_response(dsid()));
}

#[test]
fn confirmation_with_open_sessions_lets_the_user_choose() {
    let html = "<form name=\"frmConfirmation\" method=\"post\" action=\"login.cgi\">\
        <input type=\"hidden\" name=\"FormDataStr\" value=\"k\"><table>\
        <tr><td><input type=\"checkbox\" name=\"postfixSID\" value=\"s1\"></td><td>from 10.0.0.1</td></tr>\
        <tr><td><input type=\"checkbox\" name=\"postfixSID\" value=\"s2\"></td><td>from 10.0.0.2</td></tr></table>\
        <input type=\"submit\" name=\"btnContinue\" value=\"Continue the session\">\
        <input type=\"submit\" name=\"btnCancel\" value=\"Cancel\"></form>";
    // Interactive: a choice of sessions to close, or none.
    let (mut l, _) = start(
        Answers {
            non_inter: false,
            ..answers()
        },
        login_page(&[]),
    );
    let _ = l.on_response(redirect("confirm.cgi", &[]));
    match l.on_response(page(html)) {
        Step::Ask { questions, .. } => match &questions[0].kind {
            QuestionKind::Choice(c) => {
                assert_eq!(c.len(), 3);
                assert_eq!(c[1].label, "from 10.0.0.2");
            }
            k => panic!("{k:?}"),
        },
        other => panic!("{other:?}"),
    }
    let s = l.on_answers(vec![String::new()]);
    expect_post(
        &s,
        LOGIN_CGI,
        "FormDataStr=k&btnContinue=Continue%20the%20session",
    );
    // --form-entry picks the session; --non-inter alone ticks the first.
    let a = Answers {
        form_entries: vec!["frmConfirmation:postfixSID=s2".parse().unwrap()],
        ..answers()
    };
    let (mut l, _) = start(a, login_page(&[]));
    let _ = l.on_response(redirect("confirm.cgi", &[]));
    expect_post(
        &l.on_response(page(html)),
        LOGIN_CGI,
        "FormDataStr=k&postfixSID=s2&btnContinue=Continue%20the%20session",
    );
    let (mut l, _) = start(answers(), login_page(&[]));
    let _ = l.on_response(redirect("confirm.cgi", &[]));
    expect_post(
        &l.on_response(page(html)),
        LOGIN_CGI,
        "FormDataStr=k&postfixSID=s1&btnContinue=Continue%20the%20session",
    );
}

#[test]
fn wrong_password_says_what_the_gateway_said() {
    let (mut l, _) = start(answers(), login_page(&[]));
    let _ = l.on_response(redirect("welcome.cgi?p=failed", &[]));
    let mut again = login_page(&[]);
    again.body = again.body.replace(
        "<form",
        "<p class=\"cssSmallError\">Invalid username or password.</p><form",
    );
    match l.on_response(again) {
        Step::Fail(e) => {
            let m = e.to_string();
            assert!(
                m.contains("Invalid username or password") && m.contains("--passwd-on-stdin"),
                "{m}"
            );
            assert!(!m.contains("test&"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_form_fields_are_asked_or_taken_from_form_entry() {
    let html = "<form name=\"frmCustom\" method=\"POST\" action=\"/custom.cgi\">\
        <label for=\"p\">Badge PIN</label><input type=\"text\" id=\"p\" name=\"pin\">\
        <input type=\"hidden\" name=\"step\" value=\"2\"><input type=\"submit\" name=\"go\" value=\"Go\"></form>";
    let (_, s) = start(answers(), page(html));
    assert!(
        matches!(&s, Step::Fail(AuthError::NeedsInput { form, .. }) if form == "frmCustom"),
        "{s:?}"
    );
    let a = Answers {
        form_entries: vec!["frmCustom:pin=4242".parse().unwrap()],
        ..answers()
    };
    let (_, s) = start(a, page(html));
    expect_post(&s, "https://gw.test/custom.cgi", "pin=4242&step=2&go=Go");
    let (mut l, s) = start(
        Answers {
            non_inter: false,
            ..answers()
        },
        page(html),
    );
    assert!(matches!(&s, Step::Ask { questions, .. } if questions[0].label == "Badge PIN"));
    expect_post(
        &l.on_answers(vec!["1 2@".into()]),
        "https://gw.test/custom.cgi",
        "pin=1%202%40&step=2&go=Go",
    );
}

#[test]
fn host_checker_hand_off() {
    let a = Answers {
        csd_wrapper: true,
        ..answers()
    };
    let (mut l, s) = start(a.clone(), redirect_then_waiting());
    assert!(matches!(s, Step::Send(_)));
    let s = l.on_response(HttpResponse {
        status: 200,
        set_cookies: vec!["DSPREAUTH=hostchecker".into()],
        body: "<html>Waiting for host checker</html>".into(),
        ..Default::default()
    });
    assert_eq!(
        s,
        Step::RunTncc {
            preauth: "hostchecker".into(),
            signin: Some("url_default".into())
        }
    );
    match l.on_tncc("success") {
        Step::Send(r) => {
            assert!(r.url.as_str().ends_with("welcome.cgi?p=preauth") && r.body.is_none())
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(l.jar().get("DSPREAUTH"), Some("success"));
    // Without DSPREAUTH, or without a wrapper: clear errors.
    let (mut l, _) = start(a, redirect_then_waiting());
    assert_eq!(
        l.on_response(page("Waiting")),
        Step::Fail(AuthError::NoPreauth)
    );
    let (mut l, _) = start(answers(), redirect_then_waiting());
    assert!(matches!(
        l.on_response(page("Waiting")),
        Step::Fail(AuthError::NoForm(_))
    ));
}

fn redirect_then_waiting() -> HttpResponse {
    redirect("welcome.cgi?p=preauth", &[])
}

#[test]
fn redirect_rules() {
    // Another host empties the jar; an empty Set-Cookie deletes.
    let (mut l, _) = Login::new("https://gw.test/".parse().unwrap(), answers());
    let _ = l.on_response(redirect("/a", &["A=1", "B=2"]));
    let _ = l.on_response(redirect("/b", &["A="]));
    assert_eq!(l.jar().header().as_deref(), Some("B=2"));
    let s = l.on_response(redirect("https://idp.test:444/x", &[]));
    assert!(matches!(&s, Step::Send(r) if r.url.as_str() == "https://idp.test:444/x"));
    assert_eq!(l.jar().header(), None);
    assert!(matches!(
        l.on_response(redirect("http://x/", &[])),
        Step::Fail(AuthError::Redirect(_))
    ));
    // Too many redirects.
    let (mut l, _) = Login::new("https://gw.test/".parse().unwrap(), answers());
    let mut last = Step::Fail(AuthError::NoPreauth);
    for _ in 0..=super::flow::MAX_REDIRECTS {
        last = l.on_response(redirect("/loop", &[]));
    }
    assert!(matches!(last, Step::Fail(AuthError::Redirect(_))));
}

#[test]
fn errors_and_dsid_first() {
    // A 403 landing page after the DSID is still success.
    let (mut l, _) = Login::new("https://gw.test/".parse().unwrap(), answers());
    let s = l.on_response(HttpResponse {
        status: 403,
        set_cookies: vec!["DSID=z".into()],
        ..Default::default()
    });
    assert!(matches!(s, Step::Done(_)));
    let (mut l, _) = Login::new("https://gw.test/".parse().unwrap(), answers());
    let s = l.on_response(HttpResponse {
        status: 401,
        ..Default::default()
    });
    assert!(
        s != Step::Send(super::flow::HttpRequest {
            url: "https://gw.test/".parse().unwrap(),
            body: None
        })
    );
    match s {
        Step::Fail(e) => assert!(e.to_string().contains("permission denied")),
        other => panic!("{other:?}"),
    }
    // A form with method GET.
    let (_, s) = start(
        answers(),
        page("<form name=\"frmLogin\" method=\"get\"></form>"),
    );
    assert!(matches!(s, Step::Fail(AuthError::BadForm { .. })));
}

#[test]
fn software_token_fills_token_fields_then_asks() {
    // Second password of frmLogin (case 3 of auth.md §12.3).
    let a = Answers {
        token_codes: vec!["123456".into(), "234567".into()].into(),
        ..answers()
    };
    let mut page_html = login_page(&[]);
    page_html.body = page_html.body.replace(
        "<input type=\"submit\"",
        "<input type=\"password\" name=\"token_as_second_password\"><input type=\"submit\"",
    );
    let (_, s) = start(a.clone(), page_html);
    expect_post(
        &s,
        LOGIN_CGI,
        "username=test&password=test&token_as_second_password=123456&btnSubmit=Sign%20In",
    );
    // Token pages: the current code, then the next, then a question.
    let (mut l, _) = start(
        Answers {
            non_inter: false,
            ..a
        },
        login_page(&[]),
    );
    for code in ["123456", "234567"] {
        let _ = l.on_response(redirect("token.cgi", &[]));
        let s = l.on_response(token_page("frmTotpToken", "totpactionEnter"));
        expect_post(
            &s,
            LOGIN_CGI,
            &format!("username=test&token_code={code}&realm=None&totpactionEnter=Sign%20In"),
        );
    }
    let _ = l.on_response(redirect("token.cgi", &[]));
    let s = l.on_response(token_page("frmTotpToken", "totpactionEnter"));
    assert!(
        matches!(&s, Step::Ask { questions, .. } if questions[0].field == "token_code"),
        "{s:?}"
    );
}
