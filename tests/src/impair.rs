//! A bad link between the namespaces of a [`NetPair`]: loss, delay with
//! jitter, and reordering, in both directions.
//!
//! With the kernel's `tc netem` when it has it (Debian's kernels do, as a
//! module). Some kernels (e.g. minimal VM kernels) are built without
//! `sch_netem`; there the same impairment comes from a userspace link
//! emulator: the client's address moves to an inner veth pair, and a small
//! Python program bridges raw Ethernet frames (AF_PACKET) between that
//! pair and the link to the gateway, dropping, delaying and reordering
//! them. Offloads are turned off (ethtool) on the interfaces involved so
//! every frame is a complete, checksummed packet of at most the MTU.

use crate::netns::{NetPair, Proc};

/// The impairment, in netem's terms.
#[derive(Debug, Clone, Copy)]
pub struct Impairment {
    /// Loss per direction, percent.
    pub loss_pct: u32,
    /// Delay per direction, milliseconds.
    pub delay_ms: u32,
    /// Jitter (±), milliseconds.
    pub jitter_ms: u32,
    /// Share of packets sent at once (not delayed), overtaking the
    /// delayed ones, percent (netem's `reorder P%`).
    pub reorder_pct: u32,
}

/// Which mechanism impairs the link; keep it alive for the test.
#[derive(Debug)]
pub enum Impaired {
    /// `tc netem` on both veth ends.
    Netem,
    /// The userspace emulator (its process).
    Userspace(Proc),
}

impl Impaired {
    /// A name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Impaired::Netem => "tc netem",
            Impaired::Userspace(_) => "userspace emulator (no sch_netem in this kernel)",
        }
    }
}

/// Impairs `net`'s link in both directions.
pub fn impair(net: &mut NetPair, how: Impairment) -> Impaired {
    let (loss, delay, jitter, reorder) = (
        format!("{}%", how.loss_pct),
        format!("{}ms", how.delay_ms),
        format!("{}ms", how.jitter_ms),
        format!("{}%", how.reorder_pct),
    );
    let (gw_dev, cl_dev) = net.veth_names();
    let (gw_dev, cl_dev) = (gw_dev.to_string(), cl_dev.to_string());
    let (gw_ns, cl_ns) = (net.gw.clone(), net.client.clone());
    let params = [
        "delay", &delay, &jitter, "loss", &loss, "reorder", &reorder, "50%",
    ];
    let (ok, out) = net.exec(&cl_ns, &tc_netem(&cl_dev, &params));
    if ok {
        let (ok, out) = net.exec(&gw_ns, &tc_netem(&gw_dev, &params));
        assert!(ok, "tc netem: {out}");
        return Impaired::Netem;
    }
    // Any refusal (qdisc kind unknown, module not loadable, …) falls back
    // to the userspace emulator; the reason is printed for the log.
    eprintln!(
        "tc netem refused ({}); using the userspace emulator",
        out.trim()
    );

    // Userspace: client address onto inner veth `i`; frames bridged
    // between its peer `j` and the link `cl_dev`.
    let inner = format!("{cl_dev}i");
    let relay = format!("{cl_dev}j");
    let addr = format!("{}/24", net.client_addr);
    let cmds: Vec<Vec<&str>> = vec![
        vec!["ip", "addr", "del", &addr, "dev", &cl_dev],
        vec![
            "ip", "link", "add", &inner, "type", "veth", "peer", "name", &relay,
        ],
        vec!["ip", "addr", "add", &addr, "dev", &inner],
        vec!["ip", "link", "set", &inner, "up"],
        vec!["ip", "link", "set", &relay, "up", "promisc", "on"],
        vec!["ip", "link", "set", &cl_dev, "promisc", "on"],
    ];
    for c in &cmds {
        let (ok, out) = net.exec(&cl_ns, c);
        assert!(ok, "{c:?}: {out}");
    }
    for (ns, dev) in [
        (&cl_ns, &inner),
        (&cl_ns, &relay),
        (&cl_ns, &cl_dev),
        (&gw_ns, &gw_dev),
    ] {
        let (ok, out) = net.exec(
            ns,
            &[
                "ethtool", "-K", dev, "tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro",
                "off",
            ],
        );
        assert!(ok, "ethtool on {dev}: {out}");
    }
    let script = net.path("link_emulator.py");
    std::fs::write(&script, EMULATOR).unwrap();
    let args = [
        "python3".to_string(),
        "-u".into(),
        script.to_str().unwrap().into(),
        relay,
        cl_dev,
        how.loss_pct.to_string(),
        how.delay_ms.to_string(),
        how.jitter_ms.to_string(),
        how.reorder_pct.to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut proc = net.spawn(&cl_ns, "link-emulator", &args, None);
    assert!(
        proc.wait_for("ready", std::time::Duration::from_secs(10)),
        "link emulator: {}",
        proc.output()
    );
    Impaired::Userspace(proc)
}

fn tc_netem<'a>(dev: &'a str, params: &[&'a str]) -> Vec<&'a str> {
    let mut c = vec!["tc", "qdisc", "replace", "dev", dev, "root", "netem"];
    c.extend_from_slice(params);
    c
}

/// The userspace link emulator: bridges two interfaces frame by frame;
/// each frame is lost with the given probability, else sent at once
/// (reorder share) or after delay ± jitter. Prints counts on SIGTERM.
const EMULATOR: &str = r#"
import heapq, random, select, socket, sys, time
a, b = sys.argv[1], sys.argv[2]
loss, delay, jitter, reorder = (float(x) for x in sys.argv[3:7])
ETH_P_ALL = 3
socks = {}
for name in (a, b):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    s.setblocking(False)
    socks[name] = s
other = {socks[a]: socks[b], socks[b]: socks[a]}
queue = []
n = 0
dropped = 0
print("ready", flush=True)
while True:
    now = time.monotonic()
    while queue and queue[0][0] <= now:
        _, _, out, frame = heapq.heappop(queue)
        try:
            out.send(frame)
        except OSError:
            pass
    timeout = max(0.0, queue[0][0] - now) if queue else 1.0
    ready, _, _ = select.select(list(other), [], [], timeout)
    for s in ready:
        while True:
            try:
                frame, addr = s.recvfrom(65535)
            except BlockingIOError:
                break
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            n += 1
            if random.random() * 100 < loss:
                dropped += 1
                continue
            if random.random() * 100 < reorder:
                wait = 0.0
            else:
                wait = max(0.0, delay + random.uniform(-jitter, jitter)) / 1000
            heapq.heappush(queue, (time.monotonic() + wait, n, other[s], frame))
"#;
