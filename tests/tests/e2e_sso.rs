//! SAML/SSO sign-in through a real headless Chromium, in two network
//! namespaces: `oncp gateway --saml` serves a mock identity provider whose
//! sign-in page is built by JavaScript (no HTML form) with a second MFA
//! step; `oncp connect` opens it in Chromium over the DevTools protocol,
//! the browser runs the page's script (the test types the credentials
//! with the hidden `--browser-step` option, as a user would), and the
//! DSID comes from the browser's cookie store. Then: a tunnel (ping over
//! ESP), `--authenticate`'s output, a wrong pin refused before any page
//! is requested, the temporary profile gone afterwards (also after SIGINT
//! mid-login), `--sso`/`--no-sso` choosing on a gateway with both a
//! form and an SSO button, and `--external-browser` (the URL handed to
//! the given program, the DSID pasted at a terminal without echo), a
//! kept `--browser-profile`, a browser window under Xvfb, and a Pulse
//! tunnel started with the browser's DSID (`--protocol=pulse`, and the
//! auto fallback against a gateway with oNCP disabled).
//!
//! Root only (namespaces, TUN; Chromium runs without its sandbox as
//! root); run by `scripts/test/64-e2e-sso.sh`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use oncp_tests::netns::{NetPair, Proc, is_root, oncp_bin, printed_value};
use oncp_tests::peers::{Gateway, oncp_gateway, ping_through_tunnel, wait_esp_established};

const POOL: &str = "10.81.0.0/24";
const TUNNEL_GW: &str = "10.81.0.1";
const PASSWORD: &str = "open sesame";
const MFA_CODE: &str = "424242";
const PROFILE_PREFIX: &str = "oncp-browser-";

/// What a user does on the mock IdP's script-built page.
const IDP_STEPS: [&str; 5] = [
    "#idp-user=alice",
    "#idp-password=open sesame",
    "#idp-next!",
    "#idp-code=424242",
    "#idp-verify!",
];

fn saml_gateway(net: &mut NetPair, mode: &str) -> Gateway {
    let saml = format!("--saml={mode}");
    oncp_gateway(
        net,
        &[
            "-v",
            "--pool",
            POOL,
            "--user",
            &format!("alice:{PASSWORD}"),
            &saml,
            "--saml-mfa-code",
            MFA_CODE,
        ],
    )
}

/// A private temporary directory for the client (its `TMPDIR`), where
/// the browser profile is made.
fn client_tmp(net: &NetPair) -> PathBuf {
    let dir = net.path("client-tmp");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Browser profiles left in `tmp`.
fn profiles(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(PROFILE_PREFIX))
        .collect()
}

/// The command line of `oncp connect` with `TMPDIR=tmp`, `--servercert
/// pin` and `args`, against the gateway.
fn connect_argv(net: &NetPair, tmp: &Path, pin: &str, args: &[&str]) -> Vec<String> {
    let mut v = vec![
        "env".to_string(),
        format!("TMPDIR={}", tmp.display()),
        oncp_bin().display().to_string(),
        "connect".into(),
        "--servercert".into(),
        pin.into(),
    ];
    v.extend(args.iter().map(|a| a.to_string()));
    v.push(format!("https://{}/", net.gw_addr));
    v
}

fn with_steps<'a>(args: &[&'a str], steps: &[&'a str]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    for s in steps {
        v.extend(["--browser-step", s]);
    }
    v
}

fn spawn_client(net: &mut NetPair, name: &str, argv: &[String]) -> Proc {
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let ns = net.client.clone();
    net.spawn(&ns, name, &argv, None)
}

/// Runs a client to its end (at most 90 s): its exit code and output.
fn run_client(net: &mut NetPair, name: &str, argv: &[String]) -> (Option<i32>, String) {
    let mut p = spawn_client(net, name, argv);
    let status = p.wait_exit(Duration::from_secs(90));
    let out = p.output();
    (status.and_then(|s| s.code()), out)
}

#[track_caller]
fn assert_private(out: &str) {
    for secret in [PASSWORD, MFA_CODE, "DSID="] {
        assert!(!out.contains(secret), "{secret:?} in the log:\n{out}");
    }
}

#[test]
#[ignore = "needs root, network namespaces, TUN and chromium; run by scripts/test/64-e2e-sso.sh"]
fn sso_in_headless_chromium_then_tunnel() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = saml_gateway(&mut net, "only");
    let tmp = client_tmp(&net);
    let args = with_steps(&["-v", "--sso", "--browser-headless"], &IDP_STEPS);
    let argv = connect_argv(&net, &tmp, &gw.pin, &args);
    let mut client = spawn_client(&mut net, "client", &argv);
    wait_esp_established(&mut client, &gw);
    let out = client.output();
    assert!(
        out.contains("the browser has the gateway's session cookie"),
        "{out}"
    );
    assert!(
        gw.proc
            .output()
            .contains("user \"alice\" signed in through SAML"),
        "gateway:\n{}",
        gw.proc.output()
    );
    assert!(
        ping_through_tunnel(&net, TUNNEL_GW).0,
        "ping failed; client:\n{}",
        client.output()
    );
    assert!(
        profiles(&tmp).is_empty(),
        "profile left: {:?}",
        profiles(&tmp)
    );
    let status = client.interrupt().expect("the client exits after SIGINT");
    assert_eq!(status.code(), Some(0), "client:\n{}", client.output());
    assert_private(&client.output());
}

#[test]
#[ignore = "needs root, network namespaces and chromium; run by scripts/test/64-e2e-sso.sh"]
fn authenticate_detects_sso_and_prints_the_browser_cookie() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = saml_gateway(&mut net, "only");
    let tmp = client_tmp(&net);
    // No --sso: the gateway's SAML request page is recognised.
    let args = with_steps(&["--authenticate", "--browser-headless"], &IDP_STEPS);
    let argv = connect_argv(&net, &tmp, &gw.pin, &args);
    let (code, out) = run_client(&mut net, "authenticate", &argv);
    assert_eq!(code, Some(0), "{out}\ngateway:\n{}", gw.proc.output());
    assert!(
        out.contains("SSO sign-in: the sign-in page sends a SAML request"),
        "{out}"
    );
    let cookie = printed_value(&out, "COOKIE").expect("COOKIE printed");
    let dsid = cookie
        .trim_matches('\'')
        .split(';')
        .next()
        .and_then(|c| c.strip_prefix("DSID="))
        .unwrap_or_else(|| panic!("no DSID in {cookie}"));
    assert_eq!(dsid.len(), 32, "{dsid}");
    assert!(dsid.bytes().all(|b| b.is_ascii_hexdigit()), "{dsid}");
    assert_eq!(
        printed_value(&out, "FINGERPRINT").unwrap(),
        format!("'{}'", gw.pin)
    );
    // Only the printed assignments mention the DSID.
    let log: String = out
        .lines()
        .filter(|l| !l.starts_with("COOKIE="))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!log.contains(dsid), "DSID in the log:\n{out}");
    assert_private(&log);
    assert!(
        profiles(&tmp).is_empty(),
        "profile left: {:?}",
        profiles(&tmp)
    );
}

#[test]
#[ignore = "needs root, network namespaces and chromium; run by scripts/test/64-e2e-sso.sh"]
fn a_wrong_pin_fails_before_any_page_is_requested() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = saml_gateway(&mut net, "only");
    let tmp = client_tmp(&net);
    let wrong = "pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    for (name, forced) in [("forced", true), ("detected", false)] {
        let mut args = vec!["--browser-headless"];
        if forced {
            args.push("--sso");
        }
        let args = with_steps(&args, &IDP_STEPS);
        let argv = connect_argv(&net, &tmp, wrong, &args);
        let (code, out) = run_client(&mut net, name, &argv);
        assert_eq!(code, Some(1), "{name}: {out}");
        assert!(
            out.contains("certificate verification failed"),
            "{name}: {out}"
        );
        assert!(
            out.contains(&gw.pin),
            "{name}: the real pin is named: {out}"
        );
        assert!(
            !out.contains("opening https://"),
            "{name}: a browser started: {out}"
        );
    }
    let gw_log = gw.proc.output();
    assert!(
        gw_log.contains("TLS handshake with"),
        "the client did connect:\n{gw_log}"
    );
    for request in [": GET ", ": POST "] {
        assert!(!gw_log.contains(request), "a page was requested:\n{gw_log}");
    }
    assert!(profiles(&tmp).is_empty());
}

#[test]
#[ignore = "needs root, network namespaces and chromium; run by scripts/test/64-e2e-sso.sh"]
fn sigint_mid_login_closes_the_browser_and_deletes_the_profile() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = saml_gateway(&mut net, "only");
    let tmp = client_tmp(&net);
    // The user name typed, then nothing: the sign-in waits at the IdP.
    let args = with_steps(&["--sso", "--browser-headless"], &IDP_STEPS[..1]);
    let argv = connect_argv(&net, &tmp, &gw.pin, &args);
    let mut client = spawn_client(&mut net, "client", &argv);
    assert!(
        client.wait_for(
            "waiting for the sign-in to finish in the browser",
            Duration::from_secs(60)
        ),
        "{}",
        client.output()
    );
    // The IdP page is loaded in the browser and the profile is in use.
    let end = std::time::Instant::now() + Duration::from_secs(30);
    while !gw.proc.output().contains("POST /idp/sso") && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        gw.proc.output().contains("POST /idp/sso"),
        "{}",
        gw.proc.output()
    );
    assert_eq!(
        profiles(&tmp).len(),
        1,
        "the profile exists while signing in"
    );
    let status = client.interrupt().expect("the client exits after SIGINT");
    assert_eq!(status.code(), Some(1), "{}", client.output());
    assert!(
        client.output().contains("interrupted"),
        "{}",
        client.output()
    );
    // Nothing at all is left in the temporary directory: the browser's
    // own temporary files went into the profile, and it is gone.
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    // The browser is gone too: nothing runs in the client's namespace
    // any more (its helpers may take a moment to go).
    let left = || {
        let out = std::process::Command::new("ip")
            .args(["netns", "pids", &net.client])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let end = std::time::Instant::now() + Duration::from_secs(5);
    while !left().is_empty() && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        left().is_empty(),
        "processes left in the namespace: {}",
        left()
    );
    assert!(!gw.proc.output().contains("signed in through SAML"));
}

#[test]
#[ignore = "needs root, network namespaces and chromium; run by scripts/test/64-e2e-sso.sh"]
fn a_form_and_an_sso_button_sso_and_no_sso_pick() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = saml_gateway(&mut net, "button");
    let tmp = client_tmp(&net);
    let form_login = [
        "--authenticate",
        "-u",
        "alice",
        "--passwd-on-stdin",
        "--non-inter",
    ];
    for (name, extra) in [("default", None), ("no-sso", Some("--no-sso"))] {
        let mut args: Vec<&str> = form_login.to_vec();
        args.extend(extra);
        let argv = connect_argv(&net, &tmp, &gw.pin, &args);
        let cmd = format!(
            "echo '{PASSWORD}' | {}",
            argv.iter()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let (ok, out) = net.exec(&net.client, &["sh", "-c", &cmd]);
        assert!(ok, "{name}: {out}\ngateway:\n{}", gw.proc.output());
        assert!(printed_value(&out, "COOKIE").is_some(), "{name}: {out}");
        assert!(!out.contains("SSO sign-in"), "{name}: {out}");
    }
    // --sso: the browser, where the user presses the SSO button first.
    let mut steps = vec!["#btnSSO!"];
    steps.extend(IDP_STEPS);
    let args = with_steps(&["--authenticate", "--sso", "--browser-headless"], &steps);
    let argv = connect_argv(&net, &tmp, &gw.pin, &args);
    let (code, out) = run_client(&mut net, "sso", &argv);
    assert_eq!(code, Some(0), "{out}\ngateway:\n{}", gw.proc.output());
    assert!(
        out.contains("SSO sign-in: asked for on the command line"),
        "{out}"
    );
    assert!(printed_value(&out, "COOKIE").is_some(), "{out}");
    assert!(gw.proc.output().contains("signed in through SAML"));
    assert!(profiles(&tmp).is_empty());
}

#[test]
#[ignore = "needs root, network namespaces and chromium; run by scripts/test/64-e2e-sso.sh"]
fn the_form_login_cannot_pass_the_script_built_idp_page() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = saml_gateway(&mut net, "only");
    let tmp = client_tmp(&net);
    let args = ["--authenticate", "--no-sso", "-u", "alice", "--non-inter"];
    let argv = connect_argv(&net, &tmp, &gw.pin, &args);
    let (code, out) = run_client(&mut net, "no-sso", &argv);
    assert_eq!(code, Some(1), "{out}");
    assert!(printed_value(&out, "COOKIE").is_none(), "{out}");
    assert!(!out.contains("SSO sign-in"), "{out}");
    assert!(!gw.proc.output().contains("signed in through SAML"));
}

#[test]
#[ignore = "needs root and network namespaces; run by scripts/test/64-e2e-sso.sh"]
fn external_browser_opens_the_url_and_takes_the_pasted_dsid() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let dsid = "e2e5505505505505505505505505505a";
    let gw = oncp_gateway(&mut net, &["--pool", POOL, "--saml", "--dsid", dsid]);
    // The "browser" records the URL it is asked to open.
    let opened = net.path("opened.txt");
    let opener = net.path("opener.sh");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\necho \"$1\" > {}\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let tmp = client_tmp(&net);
    let external = format!("--external-browser={}", opener.display());
    let argv = connect_argv(&net, &tmp, &gw.pin, &["--authenticate", &external]);
    // script(1) gives the prompt a terminal; the paste comes after it.
    let cmd = format!(
        "(sleep 3; echo 'DSID={dsid}; DSFirstAccess=1') | script -qec \"{}\" /dev/null",
        argv.join(" ")
    );
    let (ok, out) = net.exec(&net.client, &["sh", "-c", &cmd]);
    assert!(ok, "{out}");
    assert!(out.contains("Paste the DSID cookie value"), "{out}");
    assert!(
        out.contains("copy the value of the cookie named DSID"),
        "{out}"
    );
    assert_eq!(
        printed_value(&out, "COOKIE").map(|c| c.trim().to_string()),
        Some(format!("'DSID={dsid}'")),
        "{out}"
    );
    let url = std::fs::read_to_string(&opened).expect("the opener ran");
    assert_eq!(url.trim(), format!("https://{}/", net.gw_addr));
    // The pasted value was not echoed.
    assert_eq!(out.matches(dsid).count(), 1, "{out}");
}

#[test]
#[ignore = "needs root, network namespaces, chromium and Xvfb; run by scripts/test/64-e2e-sso.sh"]
fn with_a_display_the_browser_opens_a_window() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = saml_gateway(&mut net, "only");
    let tmp = client_tmp(&net);
    // A private X display (its socket is a file, so the namespace sees it).
    let n = (50 + std::process::id() % 400..1000)
        .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
        .expect("a free display number");
    let display = format!(":{n}");
    let ns = net.client.clone();
    let mut xvfb = net.spawn(
        &ns,
        "xvfb",
        &[
            "Xvfb",
            &display,
            "-nolisten",
            "tcp",
            "-screen",
            "0",
            "1024x768x24",
        ],
        None,
    );
    let socket = PathBuf::from(format!("/tmp/.X11-unix/X{}", &display[1..]));
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while !socket.exists() && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(socket.exists(), "Xvfb did not start:\n{}", xvfb.output());
    let args = with_steps(&["--authenticate"], &IDP_STEPS);
    let mut argv = connect_argv(&net, &tmp, &gw.pin, &args);
    argv.insert(1, format!("DISPLAY={display}"));
    let (code, out) = run_client(&mut net, "windowed", &argv);
    assert_eq!(code, Some(0), "{out}\ngateway:\n{}", gw.proc.output());
    assert!(out.contains("opening https://"), "{out}");
    assert!(!out.contains("(headless)"), "no window: {out}");
    assert!(printed_value(&out, "COOKIE").is_some(), "{out}");
    assert!(profiles(&tmp).is_empty());
    assert!(xvfb.is_running(), "{}", xvfb.output());
    // SIGTERM: Xvfb removes its lock file and socket.
    xvfb.signal("TERM");
    assert!(xvfb.wait_exit(Duration::from_secs(10)).is_some());
}

#[test]
#[ignore = "needs root, network namespaces and chromium; run by scripts/test/64-e2e-sso.sh"]
fn a_kept_profile_stays_and_the_next_sign_in_gets_a_new_session() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = saml_gateway(&mut net, "only");
    let tmp = client_tmp(&net);
    let kept = net.path("kept-profile");
    let profile = format!("--browser-profile={}", kept.display());
    let mut dsids = Vec::new();
    for run in ["first", "second"] {
        let args = with_steps(
            &["--authenticate", "--browser-headless", &profile],
            &IDP_STEPS,
        );
        let argv = connect_argv(&net, &tmp, &gw.pin, &args);
        let (code, out) = run_client(&mut net, run, &argv);
        assert_eq!(
            code,
            Some(0),
            "{run}: {out}\ngateway:\n{}",
            gw.proc.output()
        );
        dsids.push(printed_value(&out, "COOKIE").expect("COOKIE printed"));
        assert!(
            kept.join("Default").is_dir(),
            "{run}: the profile was not kept"
        );
        assert!(
            profiles(&tmp).is_empty(),
            "{run}: a temporary profile was made"
        );
    }
    assert_ne!(dsids[0], dsids[1], "each sign-in gets its own session");
}

/// Pulse through the browser: `--protocol=pulse --sso` signs in on the
/// gateway's web pages in headless Chromium and starts IF-T/TLS with the
/// DSID from the cookie store (no IF-T sign-in questions); without
/// `--protocol` against a gateway with oNCP disabled, the same browser
/// sign-in ends on Pulse by the fallback. The gateway has `--disable-oncp`,
/// so a tunnel that comes up is a Pulse one.
#[test]
#[ignore = "needs root, network namespaces, TUN and chromium; run by scripts/test/64-e2e-sso.sh"]
fn sso_brings_a_pulse_tunnel_up() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = oncp_gateway(
        &mut net,
        &[
            "-v",
            "--pool",
            POOL,
            "--user",
            &format!("alice:{PASSWORD}"),
            "--saml=only",
            "--saml-mfa-code",
            MFA_CODE,
            "--disable-oncp",
        ],
    );
    let tmp = client_tmp(&net);
    for (name, protocol) in [("pulse", Some("--protocol=pulse")), ("auto", None)] {
        let mut flags = vec!["-v", "--non-inter", "--sso", "--browser-headless"];
        flags.extend(protocol);
        let args = with_steps(&flags, &IDP_STEPS);
        let argv = connect_argv(&net, &tmp, &gw.pin, &args);
        let mut client = spawn_client(&mut net, name, &argv);
        wait_esp_established(&mut client, &gw);
        let out = client.output();
        assert!(
            out.contains("the browser has the gateway's session cookie"),
            "{out}"
        );
        // --non-inter without -u: an IF-T password question would have
        // ended the sign-in, so ESP up means the browser's DSID sufficed.
        assert_eq!(
            out.contains("refused oNCP"),
            protocol.is_none(),
            "fallback only in auto mode:\n{out}"
        );
        assert!(
            ping_through_tunnel(&net, TUNNEL_GW).0,
            "ping failed; client:\n{}",
            client.output()
        );
        let status = client.interrupt().expect("the client exits after SIGINT");
        assert_eq!(status.code(), Some(0), "client:\n{}", client.output());
        assert_private(&client.output());
        assert!(
            profiles(&tmp).is_empty(),
            "profile left: {:?}",
            profiles(&tmp)
        );
    }
    let signed = gw
        .proc
        .output()
        .matches("user \"alice\" signed in through SAML")
        .count();
    assert_eq!(signed, 2, "gateway:\n{}", gw.proc.output());
}
