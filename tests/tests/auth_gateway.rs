//! Web login end to end on loopback (no root): `oncp connect
//! --authenticate` and Debian's `openconnect --protocol=nc --authenticate`
//! log in to an in-process `oncp gateway` serving each sign-in scenario
//! of spec/auth.md — plain, realm, second factor on each token form,
//! "already signed in" confirmation, role choice, wrong password.

use oncp::gateway::login::config::{ConfirmMode, LoginConfig, TokenConfig, TokenForm};
use oncp::gateway::{GatewayConfig, GatewayHandle};
use oncp_tests::netns::printed_value;
use oncp_tests::program::{ProgramOutput, run_with_stdin};
use oncp_tests::web_login::{LoginClient, authenticate_command};

async fn gateway(login: LoginConfig) -> GatewayHandle {
    let mut c = GatewayConfig::loopback_echo();
    c.users = vec![("alice".into(), "s3cret pass".into())];
    c.login = login;
    oncp::gateway::serve(c).await.expect("gateway")
}

/// A web login as alice by `client` to the in-process gateway.
fn login_command(client: LoginClient, gw: &GatewayHandle, extra: &[&str]) -> std::process::Command {
    let url = format!("https://127.0.0.1:{}", gw.tls_addr.port());
    authenticate_command(client, &url, &gw.pin, "alice", extra)
}

async fn oncp_auth(gw: &GatewayHandle, extra: &[&str], password: &str) -> ProgramOutput {
    let cmd = login_command(LoginClient::Oncp, gw, extra);
    run_with_stdin(cmd, &format!("{password}\n")).await
}

/// The DSID of a successful `--authenticate`, checked against the gateway.
#[track_caller]
fn signed_in(gw: &GatewayHandle, r: &ProgramOutput) -> String {
    assert!(r.success(), "login failed:\n{}\n{}", r.stdout, r.stderr);
    let cookie = printed_value(&r.stdout, "COOKIE").expect("COOKIE printed");
    let dsid = cookie
        .trim_matches('\'')
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("DSID=")
        .expect("DSID first")
        .to_string();
    assert_eq!(gw.session_user(&dsid).as_deref(), Some("alice"), "{cookie}");
    assert_eq!(
        printed_value(&r.stdout, "FINGERPRINT").unwrap(),
        format!("'{}'", gw.pin)
    );
    assert_eq!(printed_value(&r.stdout, "HOST").unwrap(), "'127.0.0.1'");
    assert!(
        !r.stderr.contains("s3cret") && !r.stderr.contains(&dsid),
        "secrets in the log: {}",
        r.stderr
    );
    dsid
}

fn token(form: TokenForm, code: &str) -> Option<TokenConfig> {
    Some(TokenConfig {
        form,
        code: Some(code.into()),
        totp: None,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_login_and_wrong_password() {
    let gw = gateway(LoginConfig::default()).await;
    signed_in(&gw, &oncp_auth(&gw, &[], "s3cret pass").await);
    let r = oncp_auth(&gw, &[], "wrong").await;
    assert!(!r.success(), "{}", r.stdout);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains("Invalid username or password"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("wrong"), "{}", r.stderr);
    gw.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn realm_by_authgroup() {
    let gw = gateway(LoginConfig {
        realms: vec!["Users".into(), "Staff".into(), "Contractors".into()],
        ..Default::default()
    })
    .await;
    signed_in(
        &gw,
        &oncp_auth(&gw, &["--authgroup", "staff"], "s3cret pass").await,
    );
    signed_in(
        &gw,
        &oncp_auth(&gw, &["--authgroup", "Con"], "s3cret pass").await,
    );
    let r = oncp_auth(&gw, &["--authgroup", "nobody"], "s3cret pass").await;
    assert!(
        !r.success() && r.stderr.contains("--authgroup"),
        "{}",
        r.stderr
    );
    let r = oncp_auth(&gw, &[], "s3cret pass").await;
    assert!(!r.success() && r.stderr.contains("realm"), "{}", r.stderr);
    gw.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn second_factor_on_each_token_form() {
    for (form, field) in [
        (TokenForm::Defender, "frmDefender:password"),
        (TokenForm::Totp, "frmTotpToken:password"),
        (TokenForm::NextToken, "frmNextToken:password"),
        (TokenForm::Login, "frmLogin:token_as_second_password"),
    ] {
        let gw = gateway(LoginConfig {
            token: token(form, "246810"),
            ..Default::default()
        })
        .await;
        let good = format!("{field}=246810");
        signed_in(
            &gw,
            &oncp_auth(&gw, &["--form-entry", &good], "s3cret pass").await,
        );
        let bad = format!("{field}=111111");
        let r = oncp_auth(&gw, &["--form-entry", &bad], "s3cret pass").await;
        assert!(!r.success(), "{form:?} accepted a wrong code: {}", r.stdout);
        let r = oncp_auth(&gw, &[], "s3cret pass").await;
        assert!(!r.success(), "{form:?}");
        assert!(
            r.stderr.contains("--form-entry") && r.stderr.contains(form.form_name()),
            "{form:?}: {}",
            r.stderr
        );
        gw.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn confirmation_closes_the_chosen_session() {
    let gw = gateway(LoginConfig {
        confirm: ConfirmMode::IfActive,
        ..Default::default()
    })
    .await;
    let first = signed_in(&gw, &oncp_auth(&gw, &[], "s3cret pass").await);
    // --non-inter: OpenConnect's choice, the first open session is closed.
    let second = signed_in(&gw, &oncp_auth(&gw, &[], "s3cret pass").await);
    assert_eq!(gw.session_user(&first), None, "first session closed");
    // "close none" by an empty --form-entry keeps the open one.
    let third = signed_in(
        &gw,
        &oncp_auth(&gw, &["-F", "frmConfirmation:postfixSID="], "s3cret pass").await,
    );
    assert!(gw.session_user(&second).is_some() && gw.session_user(&third).is_some());
    gw.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_by_authgroup_or_form_entry() {
    let gw = gateway(LoginConfig {
        roles: vec!["Engineering".into(), "Sales".into()],
        confirm: ConfirmMode::Always,
        ..Default::default()
    })
    .await;
    signed_in(
        &gw,
        &oncp_auth(&gw, &["--authgroup", "sales"], "s3cret pass").await,
    );
    signed_in(
        &gw,
        &oncp_auth(&gw, &["-F", "frmSelectRoles:role=Eng"], "s3cret pass").await,
    );
    let r = oncp_auth(&gw, &[], "s3cret pass").await;
    assert!(!r.success() && r.stderr.contains("role"), "{}", r.stderr);
    gw.shutdown();
}

async fn openconnect_auth(gw: &GatewayHandle, extra: &[&str]) -> ProgramOutput {
    let cmd = login_command(LoginClient::OpenConnect, gw, extra);
    run_with_stdin(cmd, "s3cret pass\n").await
}

#[tokio::test(flavor = "multi_thread")]
async fn openconnect_logs_in_to_oncp_gateway() {
    let gw = gateway(LoginConfig::default()).await;
    let r = openconnect_auth(&gw, &[]).await;
    let dsid = signed_in(&gw, &r);
    assert!(dsid.len() >= 32);
    gw.shutdown();
    // Realm, TOTP page, confirmation and roles in one sign-in.
    let gw = gateway(LoginConfig {
        realms: vec!["Users".into(), "Staff".into()],
        roles: vec!["Users".into(), "Admins".into()],
        token: Some(TokenConfig {
            form: TokenForm::Totp,
            code: None,
            totp: None,
        }),
        confirm: ConfirmMode::Always,
        ..Default::default()
    })
    .await;
    let r = openconnect_auth(
        &gw,
        &[
            "--authgroup",
            "Users",
            "--token-mode=totp",
            "--token-secret=ABCD",
        ],
    )
    .await;
    signed_in(&gw, &r);
    gw.shutdown();
}
