//! Network namespaces for end-to-end tests: two namespaces joined by a veth
//! pair, with unique names, removed (with every process started in them)
//! when the value is dropped — also when a test panics.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Runs a command, panicking with its output if it fails.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether the tests run as root (namespaces, TUN and nft need it).
pub fn is_root() -> bool {
    run("id", &["-u"]).trim() == "0"
}

/// A process started inside a namespace, its output captured to a file.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    /// Where stdout and stderr go.
    pub log: PathBuf,
}

impl Proc {
    /// Everything the process wrote so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits up to `timeout` for `needle` to appear in the output.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.output().contains(needle) {
                return true;
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                return self.output().contains(needle);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Sends SIGINT (by PID) and waits up to 10 s for the exit status.
    pub fn interrupt(&mut self) -> Option<std::process::ExitStatus> {
        self.signal("INT");
        self.wait_exit(Duration::from_secs(10))
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let end = Instant::now() + timeout;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (e.g. "TERM") to it, by PID.
    pub fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
    }

    /// Its peak resident set size in KiB (VmHWM), while it runs.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two namespaces, `gw` and `client`, joined by a veth pair on
/// 192.168.N.0/24 (gateway .1, client .2).
#[derive(Debug)]
pub struct NetPair {
    /// Gateway namespace name.
    pub gw: String,
    /// Client namespace name.
    pub client: String,
    /// The gateway's address on the veth link.
    pub gw_addr: String,
    /// The client's address on the veth link.
    pub client_addr: String,
    /// The veth ends (gateway side, client side), kept to remove them
    /// should creation fail before they moved into the namespaces.
    veth: (String, String),
    dir: PathBuf,
    procs: Vec<u32>,
}

impl NetPair {
    /// Creates the namespaces and the link.
    pub fn create() -> NetPair {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}{}", std::process::id() % 100_000, n);
        let subnet = 100 + (std::process::id() % 100 + n * 7) % 150;
        let (gw, client) = (format!("oncp{id}g"), format!("oncp{id}c"));
        let (va, vb) = (format!("ov{id}a"), format!("ov{id}b"));
        let dir = std::env::temp_dir().join(format!("oncp-e2e-{id}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pair = NetPair {
            gw: gw.clone(),
            client: client.clone(),
            gw_addr: format!("192.168.{subnet}.1"),
            client_addr: format!("192.168.{subnet}.2"),
            veth: (va.clone(), vb.clone()),
            dir,
            procs: Vec::new(),
        };
        run("ip", &["netns", "add", &gw]);
        run("ip", &["netns", "add", &client]);
        run(
            "ip",
            &["link", "add", &va, "type", "veth", "peer", "name", &vb],
        );
        run("ip", &["link", "set", &va, "netns", &gw]);
        run("ip", &["link", "set", &vb, "netns", &client]);
        for (ns, dev, addr) in [(&gw, &va, &pair.gw_addr), (&client, &vb, &pair.client_addr)] {
            run(
                "ip",
                &["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev],
            );
            run("ip", &["-n", ns, "link", "set", dev, "up"]);
            run("ip", &["-n", ns, "link", "set", "lo", "up"]);
        }
        pair
    }

    /// Runs a command in namespace `ns` and returns its output and status.
    pub fn exec(&self, ns: &str, cmd: &[&str]) -> (bool, String) {
        let out = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(cmd)
            .output()
            .expect("ip netns exec");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    /// Starts a long-running command in namespace `ns`.
    pub fn spawn(&mut self, ns: &str, name: &str, cmd: &[&str], stdin: Option<&str>) -> Proc {
        let log = self.dir.join(format!("{name}.log"));
        let f = std::fs::File::create(&log).unwrap();
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).args(cmd);
        c.stdout(f.try_clone().unwrap()).stderr(f);
        c.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = c.spawn().expect("spawn");
        if let Some(input) = stdin {
            use std::io::Write;
            let mut si = child.stdin.take().unwrap();
            si.write_all(input.as_bytes()).unwrap();
        }
        self.procs.push(child.id());
        Proc { child, log }
    }

    /// Drops (or, with `false`, allows again) UDP to and from `port` in
    /// namespace `ns`, with an nftables table of its own.
    pub fn block_udp(&self, ns: &str, port: u16, block: bool) {
        let table = "oncp_e2e";
        let _ = self.exec(ns, &["nft", "delete", "table", "inet", table]);
        if block {
            let rules = format!(
                "table inet {table} {{\n chain out {{\n  type filter hook output priority 0;\n  udp dport {port} drop\n  udp sport {port} drop\n }}\n chain inp {{\n  type filter hook input priority 0;\n  udp sport {port} drop\n  udp dport {port} drop\n }}\n}}\n"
            );
            let file = self.path(&format!("nft-{ns}.conf"));
            std::fs::write(&file, rules).unwrap();
            let (ok, out) = self.exec(ns, &["nft", "-f", file.to_str().unwrap()]);
            assert!(ok, "nft: {out}");
        }
    }

    /// The veth ends: (gateway side, client side).
    pub fn veth_names(&self) -> (&str, &str) {
        (&self.veth.0, &self.veth.1)
    }

    /// A file path in this test's scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for NetPair {
    fn drop(&mut self) {
        for pid in &self.procs {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
        // Also end anything else still running inside our namespaces.
        for ns in [&self.gw, &self.client] {
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill")
                        .args(["-KILL", pid])
                        .stderr(Stdio::null())
                        .status();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        // Deleting a namespace deletes the veth pair in it; this only
        // matters if creation failed while the link was still here.
        let _ = Command::new("ip")
            .args(["link", "del", &self.veth.0])
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Reads `KEY=value` lines a process printed (e.g. the gateway's PIN=).
pub fn printed_value(output: &str, key: &str) -> Option<String> {
    BufReader::new(output.as_bytes())
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_string))
}

/// The `oncp` binary built for these tests.
pub fn oncp_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().unwrap().parent().unwrap();
    let bin = target.join("oncp");
    assert!(
        bin.exists(),
        "build the oncp binary first (cargo build -p oncp)"
    );
    bin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namespaces() -> String {
        run("ip", &["netns", "list"])
    }

    #[test]
    #[ignore = "root: creates network namespaces"]
    fn creates_a_linked_pair_and_removes_everything_on_drop() {
        assert!(is_root(), "run as root");
        let mut net = NetPair::create();
        let other = NetPair::create();
        assert_ne!(net.gw, other.gw, "names are unique");
        assert_ne!(net.veth.0, other.veth.0);
        drop(other);
        let (gw, client) = (net.gw.clone(), net.client.clone());
        assert!(namespaces().contains(&gw) && namespaces().contains(&client));
        let (ok, out) = net.exec(&client, &["ping", "-c", "1", "-W", "2", &net.gw_addr]);
        assert!(ok, "veth link works: {out}");

        // A UDP listener in one namespace, reached from the other until
        // nft drops UDP to its port.
        let mut sink = net.spawn(&gw, "sink", &["python3", "-u", "-c", UDP_SINK], None);
        assert!(
            sink.wait_for("ready", Duration::from_secs(10)),
            "{}",
            sink.output()
        );
        let send = |net: &NetPair, text: &str| {
            let code = format!(
                "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'{text}', ('{}', 4999))",
                net.gw_addr
            );
            net.exec(&client, &["python3", "-c", &code]).0
        };
        assert!(send(&net, "one"));
        assert!(
            sink.wait_for("got one", Duration::from_secs(5)),
            "{}",
            sink.output()
        );
        net.block_udp(&client, 4999, true);
        // Dropped on output: the sender sees EPERM.
        assert!(!send(&net, "two"), "nft blocks UDP to the port");
        net.block_udp(&client, 4999, false);
        assert!(send(&net, "three"));
        assert!(
            sink.wait_for("got three", Duration::from_secs(5)),
            "{}",
            sink.output()
        );
        assert!(
            !sink.output().contains("got two"),
            "nft dropped it: {}",
            sink.output()
        );

        let sink_pid = sink.pid();
        assert!(sink.peak_rss_kib().is_some_and(|k| k > 0));
        let dir = net.path("");
        // A process the test forgot: still killed with the namespace.
        let mut forgotten = net.spawn(&gw, "forgotten", &["sleep", "600"], None);
        let forgotten_pid = forgotten.pid();
        std::mem::forget(sink);
        drop(net);
        assert!(!namespaces().contains(&gw) && !namespaces().contains(&client));
        assert!(!dir.exists(), "scratch directory removed");
        assert!(
            !std::path::Path::new(&format!("/proc/{sink_pid}")).exists() || {
                // A zombie until reaped: not running any more.
                std::fs::read_to_string(format!("/proc/{sink_pid}/status"))
                    .map(|s| s.contains("State:\tZ"))
                    .unwrap_or(true)
            }
        );
        assert!(forgotten.wait_exit(Duration::from_secs(5)).is_some());
        let _ = forgotten_pid;
    }

    #[test]
    #[ignore = "root: creates network namespaces"]
    fn a_panicking_test_still_removes_its_namespaces() {
        assert!(is_root(), "run as root");
        let names = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = names.clone();
        let r = std::thread::spawn(move || {
            let net = NetPair::create();
            seen.lock()
                .unwrap()
                .extend([net.gw.clone(), net.client.clone()]);
            panic!("test failure inside the namespaces");
        })
        .join();
        assert!(r.is_err());
        let names = names.lock().unwrap();
        assert_eq!(names.len(), 2);
        for n in names.iter() {
            assert!(!namespaces().contains(n.as_str()), "{n} left behind");
        }
    }

    const UDP_SINK: &str = r#"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', 4999))
print('ready')
while True:
    print('got', s.recv(100).decode())
"#;
}
