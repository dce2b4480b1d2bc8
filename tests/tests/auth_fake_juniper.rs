//! `oncp connect --authenticate` walks the login scenarios of
//! spec/auth.md against a fake Juniper gateway laid out like OpenConnect's
//! test server (§12.3, exact request bodies), plus a pre-auth Host Checker
//! through a stand-in TNCC program, an administrator's custom form
//! answered by `--form-entry`, and a wrong password.

use oncp_tests::fake_juniper::{
    CONFIRM_AFTER_TOKEN_POST, CONFIRM_POST, FakeJuniper, LOGIN_POST, LOGIN_REALM_ABC_POST, Scenario,
};
use oncp_tests::netns::printed_value;
use oncp_tests::program::{ProgramOutput, run_with_stdin};
use oncp_tests::web_login::{LoginClient, authenticate_command};

async fn login(fake: &FakeJuniper, extra: &[&str], password: &str) -> ProgramOutput {
    let url = format!("https://{}", fake.addr);
    let cmd = authenticate_command(LoginClient::Oncp, &url, &fake.pin, "test", extra);
    run_with_stdin(cmd, &format!("{password}\n")).await
}

#[track_caller]
fn assert_dsid(r: &ProgramOutput) {
    assert!(r.success(), "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        printed_value(&r.stdout, "COOKIE").as_deref(),
        Some("'DSID=fakedsid0123456789; DSFirst=1700000000'")
    );
}

fn scenario() -> Scenario {
    Scenario::default()
}

#[tokio::test(flavor = "multi_thread")]
async fn case1_plain_login() {
    let f = FakeJuniper::start(scenario()).await;
    assert_dsid(&login(&f, &[], "test").await);
    assert_eq!(f.posts(), [LOGIN_POST]);
}

#[tokio::test(flavor = "multi_thread")]
async fn case2_realm_by_authgroup() {
    let f = FakeJuniper::start(Scenario::with_realms()).await;
    assert_dsid(&login(&f, &["--authgroup=abc"], "test").await);
    assert_eq!(f.posts(), [LOGIN_REALM_ABC_POST]);
}

#[tokio::test(flavor = "multi_thread")]
async fn case3_token_as_second_password() {
    let f = FakeJuniper::start(Scenario::with_token_form("frmLogin")).await;
    assert_dsid(
        &login(
            &f,
            &["-F", "frmLogin:token_as_second_password=123456"],
            "test",
        )
        .await,
    );
    assert_eq!(
        f.posts(),
        ["username=test&password=test&token_as_second_password=123456&btnSubmit=Sign%20In"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cases4_and_6_token_pages() {
    for (form, button) in [
        ("frmTotpToken", "totpactionEnter"),
        ("frmNextToken", "btnAction"),
    ] {
        let f = FakeJuniper::start(Scenario::with_token_form(form)).await;
        let entry = format!("{form}:token_code=123456");
        assert_dsid(&login(&f, &["-F", &entry], "test").await);
        assert_eq!(
            f.posts(),
            [
                LOGIN_POST.to_string(),
                format!("username=test&token_code=123456&realm=None&{button}=Sign%20In"),
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn case5_defender_then_confirmation() {
    let f = FakeJuniper::start(Scenario {
        confirm: true,
        ..Scenario::with_token_form("frmDefender")
    })
    .await;
    assert_dsid(&login(&f, &["-F", "frmDefender:token_code=123456"], "test").await);
    assert_eq!(
        f.posts(),
        [
            LOGIN_POST,
            "username=test&token_code=123456&realm=None&btnAction=Sign%20In",
            CONFIRM_AFTER_TOKEN_POST,
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn case7_confirmation_then_roles() {
    let f = FakeJuniper::start(Scenario::confirm_then_roles()).await;
    assert_dsid(&login(&f, &["--authgroup=bar"], "test").await);
    assert_eq!(f.posts(), [LOGIN_POST, CONFIRM_POST]);
    assert!(
        f.log()
            .iter()
            .any(|s| s.method == "GET" && s.target == "/dana-na/auth/url_default/login.cgi?role=1"),
        "{:?}",
        f.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_fails_clearly() {
    let f = FakeJuniper::start(scenario()).await;
    let r = login(&f, &[], "nope").await;
    assert!(!r.success() && r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("--passwd-on-stdin"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_form_answered_by_form_entry() {
    let f = FakeJuniper::start(Scenario {
        custom_pin: true,
        ..scenario()
    })
    .await;
    let r = login(&f, &[], "test").await;
    assert!(!r.success(), "{}", r.stdout);
    assert!(
        r.stderr.contains("--form-entry frmCustomPin:pin=VALUE"),
        "{}",
        r.stderr
    );
    let f = FakeJuniper::start(Scenario {
        custom_pin: true,
        ..scenario()
    })
    .await;
    assert_dsid(&login(&f, &["--form-entry", "frmCustomPin:pin=4242"], "test").await);
    assert_eq!(f.posts()[1], "pin=4242&step=badge&go=Continue");
}

#[tokio::test(flavor = "multi_thread")]
async fn host_checker_through_a_stand_in_tncc() {
    let dir = std::env::temp_dir().join(format!("oncp-tncc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("fake-tncc.sh");
    let seen = dir.join("seen.txt");
    // Like OpenConnect's fake-tncc.py: on `Cookie=hostchecker` after
    // `start`, answer 200 / 3 / success and end the response.
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nwhile read -r line; do\n  echo \"$line\" >> {seen}\n  case \"$line\" in\n    Cookie=hostchecker) printf '200\\n3\\nsuccess\\n\\n\\n' >&0 ;;\n  esac\ndone\n",
            seen = seen.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let f = FakeJuniper::start(Scenario {
        host_checker: true,
        ..scenario()
    })
    .await;
    let r = login(&f, &["--csd-wrapper", script.to_str().unwrap()], "test").await;
    assert_dsid(&r);
    let seen_text = std::fs::read_to_string(&seen).unwrap();
    assert!(
        seen_text.starts_with("start\nIC=127.0.0.1\nCookie=hostchecker\nDSSIGNIN=null\n"),
        "{seen_text}"
    );
    // Without the wrapper: a clear failure.
    let f = FakeJuniper::start(Scenario {
        host_checker: true,
        ..scenario()
    })
    .await;
    let r = login(&f, &[], "test").await;
    assert!(
        !r.success() && r.stderr.contains("web form"),
        "{}",
        r.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn software_totp_token_like_openconnects_test() {
    use oncp::login::otp::{Secret, totp};
    let f = FakeJuniper::start(Scenario::with_token_form("frmTotpToken")).await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_dsid(&login(&f, &["--token-mode=totp", "--token-secret=ABCD"], "test").await);
    let after = before + 60;
    let key = Secret::parse("ABCD", false).unwrap();
    let posts = f.posts();
    let code = posts[1]
        .strip_prefix("username=test&token_code=")
        .and_then(|r| r.strip_suffix("&realm=None&totpactionEnter=Sign%20In"))
        .unwrap_or_else(|| panic!("{posts:?}"));
    assert!(
        (before..=after)
            .step_by(30)
            .any(|t| totp(&key, t, 6) == code),
        "{code} is not key ABCD's TOTP code"
    );
}
