//! `oncp connect` never rejects a command line Debian's OpenConnect 9.01
//! accepts for `--protocol=nc`. Each command line below goes to both:
//!
//! * `openconnect` against a closed port on 127.0.0.1 (so it stops right
//!   after parsing, at its first connection attempt; it never reaches
//!   another address): the test first checks that OpenConnect got that
//!   far ("Failed to connect to [host] 127.0.0.1"), i.e. accepted the
//!   line;
//! * oncp's command-line parser ([`oncp::cli::connect::parse_command_line`],
//!   the one the binary uses, config files included) must accept it too;
//! * for lines that log in (no cookie given), the `oncp` binary itself,
//!   which must fail the same way: exit status 1 on the refused
//!   connection, not a usage error. (Cookie lines would open a TUN device
//!   first, so the binary is not run on them here.)
//!
//! Together the lines cover every option of OpenConnect 9.01's
//! `--help`, the list in flag form and in a `--config` file.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use oncp_tests::netns::oncp_bin;

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

struct Files {
    dir: PathBuf,
}

impl Files {
    fn new() -> Files {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("oncp-dropin-parse-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Files { dir }
    }
    fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cafile() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../native/src/tls/testdata/test-cert.pem")
        .to_str()
        .unwrap()
        .to_string()
}

const PIN: &str = "pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const SHA1: &str = "sha1:0123456789abcdef0123456789abcdef01234567";
const SHA256: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Line {
    what: &'static str,
    args: Vec<String>,
    stdin: &'static str,
    /// No cookie: the line starts with a login (safe to run the binary).
    login: bool,
}

fn lines(f: &Files, server: &str) -> Vec<Line> {
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let pid = f.dir.join("oncp.pid");
    let pid = pid.to_str().unwrap();
    let cfg = f.write(
        "flags.conf",
        "# written for openconnect\nprotocol=nc\nuser test\nno-dtls\n",
    );
    let hotp = f.write("hotp.token", "base32:GEZDGNBVGY3TQOJQ,3\n");
    let every_in_a_file = f.write(
        "all.conf",
        &format!(
            "  # every option of the issue's list, OpenConnect config style\n\
             protocol nc\nuser = test\npasswd-on-stdin\nauthgroup=Users\n\
             form-entry frmLogin:realm=Staff Users\nauthenticate\nservercert {PIN}\n\
             servercert={SHA1}\ncafile {ca}\nno-system-trust\nscript /bin/true\n\
             interface tun-oncp-p\nmtu 1300\nno-dtls\nreconnect-timeout 30\nforce-dpd 10\n\
             local-hostname box\nuseragent Open AnyConnect VPN Agent v9.01\n\
             resolve localhost:127.0.0.1\nnon-inter\nbackground\npid-file {pid}\nquiet\n\
             verbose\ndump-http-traffic\ntoken-mode totp\ntoken-secret base32:MZXW6===\n\
             \n\tserver {server}\n",
            ca = cafile(),
        ),
    );
    let ca = cafile();
    vec![
        Line {
            what: "the issue's list: login options",
            args: s(&[
                "--protocol=nc",
                "-u",
                "test",
                "--passwd-on-stdin",
                "--authgroup=Users",
                "-F",
                "frmLogin:realm=Users",
                "--form-entry=frmX:pin=1",
                "--authenticate",
                "--servercert",
                PIN,
                "--servercert",
                SHA1,
                "--servercert",
                SHA256,
                "--cafile",
                &ca,
                "--no-system-trust",
                "-s",
                "/bin/true",
                "-i",
                "tun-oncp-p",
                "-m",
                "1300",
                "--no-dtls",
                "--reconnect-timeout",
                "30",
                "--force-dpd",
                "10",
                "--local-hostname",
                "box",
                "--useragent",
                "UA",
                "--resolve",
                "localhost:127.0.0.1",
                "--non-inter",
                "-b",
                "--pid-file",
                pid,
                "-q",
                "-v",
                "--dump-http-traffic",
                "--config",
                &cfg,
                "--token-mode=totp",
                "--token-secret=base32:MZXW6===",
                server,
            ]),
            stdin: "test\n",
            login: true,
        },
        Line {
            what: "--cookieonly, --printcookie, HOTP from a file",
            args: s(&[
                "--protocol",
                "nc",
                "--cookieonly",
                "--printcookie",
                "-u",
                "test",
                "--passwd-on-stdin",
                "--token-mode",
                "hotp",
                "--token-secret",
                &format!("@{hotp}"),
                "--non-inter",
                server,
            ]),
            stdin: "test\n",
            login: true,
        },
        Line {
            what: "every option in a --config file",
            args: s(&["--config", &every_in_a_file]),
            stdin: "test\n",
            login: true,
        },
        Line {
            what: "cookie on the command line",
            args: s(&[
                "--protocol=nc",
                "-C",
                "DSID=0123456789abcdef",
                "--servercert",
                PIN,
                "-s",
                "/bin/true",
                "-i",
                "tun-oncp-p",
                "--no-dtls",
                "--printcookie",
                server,
            ]),
            stdin: "",
            login: false,
        },
        Line {
            what: "cookie on standard input",
            args: s(&["--protocol=nc", "--cookie-on-stdin", "-q", server]),
            stdin: "DSID=0123456789abcdef\n",
            login: false,
        },
        Line {
            what: "every other OpenConnect 9.01 option (accepted, ignored by oncp)",
            args: s(&[
                "--juniper",
                "--no-passwd",
                "-c",
                &ca,
                "-k",
                "/nonexistent.key",
                "-e",
                "30",
                "-p",
                "pass",
                "--external-browser=/bin/false",
                "--key-password-from-fsid",
                "-g",
                "grp",
                "--usergroup=grp",
                "-P",
                &format!("http://{server}"),
                "--proxy-auth=basic",
                "--no-proxy",
                "--libproxy",
                "--passtos",
                "--dtls-local-port=5000",
                "--http-auth=Basic",
                "-U",
                "nobody",
                "-l",
                "--timestamp",
                "-S",
                "--disable-ipv6",
                "-x",
                "/nonexistent.xml",
                "--base-mtu=1400",
                "-d",
                "-D",
                "--compression=none",
                "--pfs",
                "--dtls-ciphers=x",
                "--dtls12-ciphers=x",
                "-Q",
                "16",
                "--os=linux",
                "--version-string=1",
                "--csd-user=nobody",
                "--csd-wrapper=/bin/false",
                "--force-trojan=60",
                "--no-http-keepalive",
                "--no-xmlpost",
                "--allow-insecure-crypto",
                "--mca-certificate=x",
                "--mca-key=x",
                "--mca-key-password=x",
                "--gnutls-debug=1",
                "--non-inter",
                &format!("--server={server}"),
            ]),
            stdin: "",
            login: true,
        },
        Line {
            what: "short options clustered, values attached",
            args: s(&[
                "-bqv",
                "-utest",
                "-m1300",
                "-itun-oncp-p",
                "--non-inter",
                server,
            ]),
            stdin: "",
            login: true,
        },
    ]
}

fn run(program: &Path, pre: &[&str], args: &[String], stdin: &str) -> (Option<i32>, String) {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(pre)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn oncp_accepts_what_openconnect_accepts() {
    let files = Files::new();
    let port = closed_port();
    let server = format!("127.0.0.1:{port}");
    let openconnect = Path::new("openconnect");
    for line in lines(&files, &server) {
        let (code, out) = run(openconnect, &[], &line.args, line.stdin);
        assert!(
            out.contains(&format!("Failed to connect to 127.0.0.1:{port}"))
                || out.contains("Failed to connect to host 127.0.0.1"),
            "{}: openconnect did not get past its command line (status {code:?}):\n{out}",
            line.what
        );

        let mut argv = vec!["oncp".to_string(), "connect".to_string()];
        argv.extend(line.args.iter().cloned());
        if let Err(e) = oncp::cli::connect::parse_command_line(&argv) {
            panic!(
                "{}: oncp rejected what openconnect accepts: {e:#}",
                line.what
            );
        }

        if line.login {
            let (code, out) = run(&oncp_bin(), &["connect"], &line.args, line.stdin);
            assert_eq!(code, Some(1), "{}: oncp:\n{out}", line.what);
            assert!(
                out.contains("Connection refused"),
                "{}: oncp did not fail on the connection:\n{out}",
                line.what
            );
            assert!(
                !files.dir.join("oncp.pid").exists(),
                "no PID file after a failure"
            );
        }
    }
}

/// Options not given to OpenConnect here because they could make it look
/// beyond loopback (libproxy may consult the network's proxy settings):
/// oncp must still accept them.
#[test]
fn oncp_accepts_the_options_kept_from_openconnect() {
    let a = oncp::cli::connect::parse_command_line([
        "oncp",
        "connect",
        "--libproxy",
        "--protocol=nc",
        "h",
    ])
    .unwrap();
    assert_eq!(
        a.ignored.warnings(),
        ["--libproxy is ignored: oncp connects directly"]
    );
}

#[test]
fn both_refuse_the_same_mistakes() {
    let files = Files::new();
    let server = format!("127.0.0.1:{}", closed_port());
    let bad_cfg = files.write("bad.conf", "user=test\nno-such-option 1\n");
    let nested = files.write("nested.conf", &format!("config {bad_cfg}\n"));
    let flag_value = files.write("flagvalue.conf", "no-dtls yes\n");
    let cases: Vec<Vec<String>> = vec![
        vec!["--no-such-option".into(), server.clone()],
        vec!["--config".into(), bad_cfg],
        vec!["--config".into(), nested],
        vec!["--config".into(), flag_value],
        vec![
            "--config".into(),
            files.dir.join("missing").to_str().unwrap().into(),
        ],
        vec!["--server".into(), server.clone(), server.clone()],
        vec![
            "--protocol=nc".into(),
            "--no-cert-check".into(),
            server.clone(),
        ],
    ];
    for args in cases {
        let (code, out) = run(Path::new("openconnect"), &["--protocol=nc"], &args, "");
        assert!(
            code == Some(1) && !out.contains("Failed to connect"),
            "openconnect accepted {args:?}:\n{out}"
        );
        let (code, out) = run(&oncp_bin(), &["connect", "--protocol=nc"], &args, "");
        assert_eq!(code, Some(1), "oncp {args:?}:\n{out}");
        assert!(
            !out.contains("Connection refused"),
            "oncp accepted {args:?}:\n{out}"
        );
    }
}
