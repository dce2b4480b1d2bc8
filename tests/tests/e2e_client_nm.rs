//! `oncp` under NetworkManager-openconnect's command line (root only; run
//! by `scripts/test/61-e2e-client.sh`).
//!
//! nm-openconnect-service (1.2.8 read; 1.2.10 adds `--no-dtls` for its
//! "disable UDP" setting) creates a persistent TUN device `vpnN` owned by
//! its unprivileged user, then starts OpenConnect *as that user* (it drops
//! privileges itself between fork and exec; it never passes `--setuid`):
//!
//! ```text
//! /usr/sbin/openconnect --protocol nc --servercert FINGERPRINT --syslog
//!     --cookie-on-stdin --script .../nm-openconnect-service-openconnect-helper
//!     --interface vpnN GATEWAY [--verbose]
//! ```
//!
//! with the cookie and a newline on standard input (then closed), its own
//! environment plus `NM_VPN_LOG_LEVEL`, `NM_VPN_LOG_PREFIX_TOKEN` and
//! `NM_DBUS_SERVICE_OPENCONNECT` for the helper, which hands the
//! vpnc-script variables of `reason=connect` to NetworkManager over D-Bus;
//! NetworkManager configures the device. It stops the client with SIGINT
//! and sends SIGKILL 2 s later if it is still there.
//!
//! Here: `oncp` started through a symlink named `openconnect`, as user
//! nobody (setpriv, as the service does), in the client namespace of a
//! pair with `oncp gateway`, with `/dev/log` a test socket (its own mount
//! namespace with a private /dev); the helper is a stand-in that records
//! its environment; the test configures the device from that record as
//! NetworkManager would, pings through it, and checks the exit after
//! SIGINT within the grace, the syslog lines and the device left in place.
//! A second test is OpenConnect's own `--setuid` (root at start, the
//! built-in setup, a root helper undoing the records on exit).

use oncp_tests::netns::{NetPair, Proc, is_root, oncp_bin, run};
use oncp_tests::peers::{Gateway, oncp_connect, oncp_gateway, ping_through_tunnel};
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DSID: &str = "e2enm0123456789abcdef0123456789";
/// NetworkManager's grace between SIGINT and SIGKILL.
const NM_GRACE: Duration = Duration::from_secs(2);
/// The unprivileged user (NetworkManager's is nm-openconnect).
const NOBODY: u32 = 65534;

/// Collects the datagrams sent to a Unix socket (the test's /dev/log).
struct SyslogSink {
    path: PathBuf,
    lines: Arc<Mutex<Vec<String>>>,
}

impl SyslogSink {
    fn bind(path: PathBuf) -> SyslogSink {
        let sock = UnixDatagram::bind(&path).unwrap();
        // Writable for the unprivileged client.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = lines.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 16 * 1024];
            while let Ok(n) = sock.recv(&mut buf) {
                let line = String::from_utf8_lossy(&buf[..n]).into_owned();
                out.lock().unwrap().push(line);
            }
        });
        SyslogSink { path, lines }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.lines().iter().any(|l| l.contains(needle)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

/// Runs its arguments in a mount namespace whose /dev is a fresh tmpfs
/// holding the usual pseudo devices, /dev/net/tun and, as /dev/log, the
/// socket `$2` (bind mounts; nothing outside the namespace changes).
const PRIVATE_DEV_LOG: &str = r#"set -e
scratch=$1; sock=$2; shift 2
mkdir -p "$scratch/hostdev"
mount --rbind /dev "$scratch/hostdev"
mount -t tmpfs -o mode=0755 oncp-e2e-dev /dev
for n in null zero full random urandom tty; do
    touch "/dev/$n"; mount --bind "$scratch/hostdev/$n" "/dev/$n"
done
mkdir /dev/net
touch /dev/net/tun; mount --bind "$scratch/hostdev/net/tun" /dev/net/tun
ln -s /proc/self/fd /dev/fd
touch /dev/log; mount --bind "$sock" /dev/log
umount -l "$scratch/hostdev"
exec "$@"
"#;

/// The stand-in for nm-openconnect-service-openconnect-helper: writes its
/// user id and whole environment to `DIR/run.NANOSECONDS.REASON` (whole
/// files, renamed into place, so a reader never sees half a run).
fn helper_script(dir: &Path, runs: &Path) -> PathBuf {
    let path = dir.join("nm-openconnect-service-openconnect-helper");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nf='{}'/run.$(date +%s%N).$reason\n{{ echo \"UID=$(id -u)\"; env; }} > \"$f.tmp\"\nmv \"$f.tmp\" \"$f\"\n",
            runs.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The helper's runs: (reason, environment) in order.
fn helper_runs(runs: &Path) -> Vec<(String, HashMap<String, String>)> {
    let mut names: Vec<String> = std::fs::read_dir(runs)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("run.") && !n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .iter()
        .map(|n| {
            let reason = n.splitn(3, '.').nth(2).unwrap_or("").to_string();
            let text = std::fs::read_to_string(runs.join(n)).unwrap_or_default();
            let env = text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (reason, env)
        })
        .collect()
}

fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// A user id line of /proc/PID/status: real, effective, saved, fs.
fn uids(pid: u32) -> Option<String> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// SIGINT, then the exit within NetworkManager's grace: its status and
/// how long it took.
fn stop_like_nm(client: &mut Proc) -> (std::process::ExitStatus, Duration) {
    let start = Instant::now();
    client.signal("INT");
    let status = client.wait_exit(NM_GRACE);
    let took = start.elapsed();
    let status = status.unwrap_or_else(|| {
        panic!(
            "still running {took:?} after SIGINT (NetworkManager would SIGKILL it now):\n{}",
            client.output()
        )
    });
    (status, took)
}

fn start_gateway(net: &mut NetPair, pool: &str) -> Gateway {
    oncp_gateway(net, &["--dsid", DSID, "--pool", pool])
}

#[test]
#[ignore = "needs root, iproute2, util-linux (unshare, setpriv, mount); run by scripts/test/61-e2e-client.sh"]
fn networkmanager_command_line_unprivileged_on_its_tun_device() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let cl = net.client.clone();
    let gw = start_gateway(&mut net, "10.81.0.0/24");

    // Files the unprivileged client and its helper use.
    let shared = net.path("nm");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let helper_log = shared.join("runs");
    std::fs::create_dir_all(&helper_log).unwrap();
    std::fs::set_permissions(&helper_log, std::fs::Permissions::from_mode(0o777)).unwrap();
    let helper = helper_script(&shared, &helper_log);
    let sink = SyslogSink::bind(shared.join("dev-log.sock"));
    let sbin = shared.join("sbin");
    std::fs::create_dir_all(&sbin).unwrap();
    let openconnect = sbin.join("openconnect");
    std::os::unix::fs::symlink(oncp_bin(), &openconnect).unwrap();

    // NetworkManager's persistent device, owned by the user it runs as.
    let tun = format!("vpn{}", std::process::id() % 100_000);
    run(
        "ip",
        &[
            "-n", &cl, "tuntap", "add", "dev", &tun, "mode", "tun", "user", "65534", "group",
            "65534",
        ],
    );

    let token = std::process::id().to_string();
    let env_log_level = "NM_VPN_LOG_LEVEL=6".to_string();
    let env_prefix = format!("NM_VPN_LOG_PREFIX_TOKEN={token}");
    let env_bus = "NM_DBUS_SERVICE_OPENCONNECT=org.freedesktop.NetworkManager.openconnect";
    let (scratch, sock) = (
        shared.to_str().unwrap().to_string(),
        sink.path.to_str().unwrap().to_string(),
    );
    let argv: Vec<&str> = vec![
        "unshare",
        "-m",
        "sh",
        "-c",
        PRIVATE_DEV_LOG,
        "sh",
        &scratch,
        &sock,
        "env",
        &env_log_level,
        &env_prefix,
        env_bus,
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
        // NetworkManager-openconnect's argv from here on.
        openconnect.to_str().unwrap(),
        "--protocol",
        "nc",
        "--servercert",
        &gw.pin,
        "--syslog",
        "--cookie-on-stdin",
        "--script",
        helper.to_str().unwrap(),
        "--interface",
        &tun,
        "--no-dtls",
        &gw.listen,
        "--verbose",
    ];
    let cookie = format!("DSID={DSID}\n");
    let mut client = net.spawn(&cl, "nm-client", &argv, Some(&cookie));

    // reason=connect reaches the helper with what NetworkManager needs.
    assert!(
        wait_until(Duration::from_secs(30), || helper_runs(&helper_log)
            .iter()
            .any(|(r, _)| r == "connect")),
        "no connect run of the helper.\nclient:\n{}\nsyslog:\n{:#?}\ngateway:\n{}",
        client.output(),
        sink.lines(),
        gw.proc.output()
    );
    let runs = helper_runs(&helper_log);
    let (_, env) = runs.iter().find(|(r, _)| r == "connect").unwrap();
    let get = |k: &str| env.get(k).map(String::as_str);
    assert_eq!(runs[0].0, "pre-init", "{runs:?}");
    assert_eq!(get("UID"), Some("65534"), "the helper runs as the user");
    assert_eq!(get("TUNDEV"), Some(tun.as_str()), "{env:#?}");
    assert_eq!(get("VPNGATEWAY"), Some(net.gw_addr.as_str()));
    assert_eq!(get("NM_VPN_LOG_LEVEL"), Some("6"));
    assert_eq!(get("NM_VPN_LOG_PREFIX_TOKEN"), Some(token.as_str()));
    assert_eq!(
        get("NM_DBUS_SERVICE_OPENCONNECT"),
        Some("org.freedesktop.NetworkManager.openconnect")
    );
    let addr = get("INTERNAL_IP4_ADDRESS")
        .expect("INTERNAL_IP4_ADDRESS")
        .to_string();
    assert!(addr.starts_with("10.81.0."), "{addr}");
    let masklen = get("INTERNAL_IP4_NETMASKLEN").unwrap_or("32").to_string();
    let mtu = get("INTERNAL_IP4_MTU")
        .expect("INTERNAL_IP4_MTU")
        .to_string();
    assert!(get("CISCO_SPLIT_INC").is_some(), "{env:?}");
    let pid = client.pid();
    assert_eq!(
        uids(pid).as_deref(),
        Some("65534 65534 65534 65534"),
        "oncp runs as the user"
    );

    // NetworkManager configures the device from the helper's data.
    run(
        "ip",
        &[
            "-n",
            &cl,
            "addr",
            "add",
            &format!("{addr}/{masklen}"),
            "dev",
            &tun,
        ],
    );
    run("ip", &["-n", &cl, "link", "set", &tun, "mtu", &mtu, "up"]);
    let (ok, out) = ping_through_tunnel(&net, "10.81.0.1");
    assert!(
        ok,
        "ping through {tun}: {out}\nclient:\n{}\nsyslog:\n{:#?}",
        client.output(),
        sink.lines()
    );

    let (status, took) = stop_like_nm(&mut client);
    assert_eq!(status.code(), Some(0), "{}", client.output());
    assert!(
        sink.wait_for("logged out", Duration::from_secs(1)),
        "logout within {took:?}, reported to syslog: {:#?}",
        sink.lines()
    );
    eprintln!("exit {took:?} after SIGINT");

    // Logs went to /dev/log as oncp[PID], daemon facility, not to stderr.
    let lines = sink.lines();
    let tag = format!("oncp[{pid}]: ");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("<30>") && l.contains(&tag) && l.contains("connected to")),
        "{lines:#?}"
    );
    assert!(lines.iter().all(|l| l.contains(&tag)), "{lines:#?}");
    assert!(
        !client.output().contains("connected to"),
        "progress went to stderr too: {}",
        client.output()
    );
    // The helper saw the disconnect; the device stays for its creator.
    assert!(
        helper_runs(&helper_log)
            .iter()
            .any(|(r, _)| r == "disconnect"),
        "{:?}",
        helper_runs(&helper_log)
    );
    let (ok, out) = net.exec(&cl, &["ip", "link", "show", "dev", &tun]);
    assert!(ok, "{tun} was deleted: {out}");
    assert!(
        !lines.iter().any(|l| l.contains("cleanup:")),
        "an unprivileged run checks no stale state: {lines:#?}"
    );
}

#[test]
#[ignore = "needs root and iproute2; run by scripts/test/61-e2e-client.sh"]
fn setuid_drops_to_the_user_after_setup_and_a_root_helper_cleans_up() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = start_gateway(&mut net, "10.82.0.0/24");
    let tun = format!("oncpu{}", std::process::id() % 100_000);
    let record = Path::new("/run/oncp").join(format!("{tun}.json"));
    let mut client = oncp_connect(
        &mut net,
        "setuid-client",
        &gw,
        &[
            "-C", DSID, "--dns", "none", "-i", &tun, "--setuid", "nobody",
        ],
        None,
    );
    assert!(
        client.wait_for("dropped privileges to nobody", Duration::from_secs(30)),
        "{}\ngateway:\n{}",
        client.output(),
        gw.proc.output()
    );
    let pid = client.pid();
    assert_eq!(
        uids(pid).as_deref(),
        Some(format!("{NOBODY} {NOBODY} {NOBODY} {NOBODY}").as_str())
    );
    let caps = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let eff = caps
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap();
    assert_eq!(eff.trim(), "0000000000000000", "no capability kept");
    assert!(record.exists(), "the built-in setup keeps its record");
    let (ok, out) = ping_through_tunnel(&net, "10.82.0.1");
    assert!(ok, "ping after the drop: {out}\n{}", client.output());

    let (status, took) = stop_like_nm(&mut client);
    assert_eq!(status.code(), Some(0), "{}", client.output());
    assert!(
        client.output().contains("logged out"),
        "{}",
        client.output()
    );
    // The helper (root) undoes the records once the client is gone.
    assert!(
        wait_until(Duration::from_secs(5), || !record.exists()),
        "{} left after exit ({took:?}):\n{}",
        record.display(),
        client.output()
    );
    let (ok, _) = net.exec(&net.client, &["ip", "link", "show", "dev", &tun]);
    assert!(!ok, "the device oncp created goes with it");
}
