//! The explanation rules: from the facts of a log to verdicts that say
//! what the gateway said, what went wrong and what to do. Most important
//! first. What is only believed (status 0x08's meaning) is said so.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use super::facts::Facts;
use super::report::{Severity, Verdict};
use crate::oncp::wire::TerminationReason;

fn v(
    id: &str,
    severity: Severity,
    line: Option<usize>,
    title: String,
    detail: String,
    advice: String,
) -> Verdict {
    Verdict {
        id: String::from(id),
        severity,
        title,
        detail,
        advice,
        line,
    }
}

/// The verdicts for `f`, most important first.
pub(crate) fn verdicts(f: &Facts) -> Vec<Verdict> {
    let mut out = Vec::new();
    status(f, &mut out);
    early_termination(f, &mut out);
    cookie(f, &mut out);
    tls(f, &mut out);
    config(f, &mut out);
    routes(f, &mut out);
    esp(f, &mut out);
    termination(f, &mut out);
    unknown_tlvs(f, &mut out);
    pulse(f, &mut out);
    out.sort_by_key(|v| v.severity);
    out
}

fn status(f: &Facts, out: &mut Vec<Verdict>) {
    let Some((s, line)) = f.status else { return };
    match s {
        0 => {}
        8 => out.push(v(
            "status-08",
            Severity::Failure,
            Some(line),
            String::from("The gateway has oNCP (Network Connect) turned off: status 0x08 after the hostname packet"),
            String::from(
                "After the tunnel request and the client's hostname packet the gateway answers with one status byte; 00 means OK. \
                 It answered 08, which OpenConnect's authors read as: this gateway has disabled Juniper's older oNCP protocol \
                 and only accepts the newer Pulse (IF-T/TLS) protocol. The login and the cookie were fine.",
            ),
            String::from(
                "Connect with the Pulse protocol instead: `openconnect --protocol=pulse` (or `oncp connect --protocol pulse` / \
                 `--protocol auto` where this oncp has them); log in again, a Pulse login gives its own cookie.",
            ),
        )),
        other => out.push(v(
            "status-error",
            Severity::Failure,
            Some(line),
            format!("The gateway refused the tunnel: status {other:#04x} after the hostname packet"),
            format!(
                "The gateway's status byte after the hostname packet was {other:#04x}; only 00 (OK) and 08 (oNCP disabled) \
                 are known. OpenConnect gives up on any non-zero status."
            ),
            String::from(
                "Log in again and retry; if it persists, try `--protocol=pulse` and report the status byte with this log.",
            ),
        )),
    }
}

fn early_termination(f: &Facts, out: &mut Vec<Verdict>) {
    let (reason, line) = match (f.early_termination, f.unexpected_size) {
        (Some((r, l)), _) => (r, l),
        (None, Some((3, l))) if f.status.is_none() => (None, l),
        (None, Some((n, l))) if f.status.is_none() => {
            out.push(v(
                "short-status",
                Severity::Failure,
                Some(l),
                format!("The gateway answered the hostname packet with only {n} bytes"),
                format!(
                    "OpenConnect 9.01 reads exactly 3 bytes after the hostname packet (a record length and the status byte) \
                     and got {n}: the gateway closed the connection or sent a short record."
                ),
                String::from(
                    "Log in again for a fresh cookie and retry; if it persists the gateway refuses the tunnel for this \
                     account — try `--protocol=pulse`.",
                ),
            ));
            return;
        }
        _ => return,
    };
    let accepted = if f.tunnel_status.is_some_and(|t| t.0 == 200) {
        " The HTTP tunnel request was accepted, so the gateway refused the session itself."
    } else {
        ""
    };
    let reason_text = match reason {
        Some(r) => format!(
            "byte {r:02x} after it is the termination reason ({})",
            TerminationReason(r).describe()
        ),
        None => String::from("its reason byte is not shown"),
    };
    out.push(v(
        "zero-length-record",
        Severity::Failure,
        Some(line),
        String::from("The gateway ended the session at once: a zero-length record and one byte instead of the status"),
        format!(
            "After the hostname packet the gateway must send a status record (01 00 00). It sent a record of length 0 \
             followed by one byte: that is oNCP's termination notice, not a status; {reason_text}. OpenConnect 9.01 reads \
             3 bytes here and reports \"Unexpected response of size 3 after hostname packet\" because the length is 0.{accepted}"
        ),
        String::from(
            "Log in again to get a fresh cookie and connect right away (a DSID ends with logout, expiry or a session on \
             another device). If it happens again, the gateway refuses Network Connect for this user or role: try \
             `--protocol=pulse` and ask the administrator whether Network Connect is enabled for the role.",
        ),
    ));
}

fn cookie(f: &Facts, out: &mut Vec<Verdict>) {
    let (code, line) = match (f.tunnel_status, f.cookie_rejected) {
        (Some((c, l)), _) if c == 302 || (400..500).contains(&c) => (Some(c), l),
        (_, Some(l)) => (f.tunnel_status.map(|t| t.0), l),
        _ => return,
    };
    let code_text = code.map_or(String::from("an error"), |c| format!("HTTP {c}"));
    out.push(v(
        "cookie-rejected",
        Severity::Failure,
        Some(line),
        format!("The gateway rejected the cookie: {code_text} to the tunnel request"),
        format!(
            "The tunnel starts with `POST /dana/js?prot=1&svc=4` carrying the DSID cookie. The gateway answered \
             {code_text} (a redirect or 4xx means the cookie is not, or no longer, valid), so no tunnel was opened. \
             OpenConnect and oncp connect exit with status 2 in this case."
        ),
        String::from(
            "Log in again for a fresh cookie (cookies end at logout and expire); when passing one with -C, pass the DSID \
             value (`-C 'DSID=…'`), from the same gateway host.",
        ),
    ));
}

fn tls(f: &Facts, out: &mut Vec<Verdict>) {
    let Some((line, text)) = f.tls_failures.first() else {
        return;
    };
    let lower = text.to_ascii_lowercase();
    let legacy = [
        "protocol version",
        "no shared cipher",
        "handshake failure",
        "handshakefailure",
        "peer is incompatible",
        "peerincompatible",
        "unsupported protocol",
        "no cipher suites in common",
        "nociphersuitesincommon",
        "wrong version number",
        "insufficient security",
        "unsupported",
    ]
    .iter()
    .any(|m| lower.contains(m));
    if legacy {
        out.push(v(
            "tls-legacy",
            Severity::Failure,
            Some(*line),
            String::from("The TLS handshake failed: the gateway and the client share no TLS version or cipher suite"),
            format!(
                "The client said: {text}. Old Juniper/Pulse gateways offer only TLS 1.0/1.1, or TLS 1.2 with RSA key \
                 exchange and CBC suites, which modern TLS libraries (rustls, recent GnuTLS/OpenSSL defaults) refuse."
            ),
            String::from(
                "Use `oncp connect` with `--tls-backend auto` (the default): it retries with OpenSSL, which still speaks \
                 those versions and suites, and warns what it negotiated; `--tls-backend openssl` forces it. Ask the \
                 administrator to enable TLS 1.2 with ECDHE suites.",
            ),
        ));
    } else {
        out.push(v(
            "tls-failure",
            Severity::Failure,
            Some(*line),
            String::from("The TLS connection to the gateway failed"),
            format!("The client said: {text}."),
            String::from(
                "Check the host name and port, the network path, and the certificate (`--servercert pin-sha256:…` \
                 pins a self-signed one).",
            ),
        ));
    }
}

fn config(f: &Facts, out: &mut Vec<Verdict>) {
    let (n, bytes, failed) = f.config_continuations;
    if n > 0 || failed.is_some() {
        let total = f.config_len.map(|c| c.0);
        let total_text = total.map_or(String::new(), |t| format!(" ({t} bytes)"));
        match failed {
            Some(line) => out.push(v(
                "config-split-failed",
                Severity::Failure,
                Some(line),
                format!("The configuration (KMP 301){total_text} came split across records and the client failed to read a continuation"),
                String::from(
                    "A configuration larger than one record arrives as continuation records (each with its own length); \
                     that is allowed. OpenConnect 9.01 needs each continuation record to arrive whole in one TLS record \
                     (one read); a gateway splitting differently makes it fail. OpenConnect 9.20 and later read until the \
                     record is complete.",
                ),
                String::from(
                    "Use OpenConnect 9.20 or later, or `oncp connect`, which reassembles records of any size; on the \
                     gateway, fewer split-tunnel routes make the configuration fit one record.",
                ),
            )),
            None => out.push(v(
                "config-split",
                Severity::Info,
                f.config_len.map(|c| c.1),
                format!("The configuration (KMP 301){total_text} came in {} records", n + 1),
                format!(
                    "The first record held its start and {n} continuation record(s) brought {bytes} more bytes; record \
                     boundaries carry no meaning, so this is normal for a large configuration (many routes) and was \
                     read correctly."
                ),
                String::from("Nothing to do."),
            )),
        }
    }
    for (line, text) in f.config_errors.iter().take(3) {
        out.push(v(
            "config-error",
            Severity::Failure,
            Some(*line),
            String::from("The configuration (KMP 301) is malformed"),
            format!("{text}. OpenConnect rejects the whole configuration on such an error and the connection fails."),
            String::from("Report this log to the gateway's administrator (and to oncp or OpenConnect with the bytes)."),
        ));
    }
}

fn routes(f: &Facts, out: &mut Vec<Verdict>) {
    let Some(&(_, _, line)) = f
        .split_includes
        .iter()
        .find(|(a, m, _)| *a == Ipv4Addr::UNSPECIFIED && *m == Ipv4Addr::UNSPECIFIED)
    else {
        return;
    };
    let mask = match f.netmask {
        Some((m, _)) if m == Ipv4Addr::BROADCAST => String::from(
            " The netmask 255.255.255.255 (/32) on the tunnel address only makes the tunnel point-to-point; it is not a host route for the traffic.",
        ),
        Some((m, _)) => format!(" The tunnel address has netmask {m}."),
        None => String::new(),
    };
    out.push(v(
        "default-route",
        Severity::Info,
        Some(line),
        String::from("All traffic goes through the VPN: split include 0.0.0.0/0 is a default route"),
        format!(
            "The gateway sent split include 0.0.0.0/0.0.0.0: that covers every IPv4 address, so the client routes \
             everything into the tunnel (a full tunnel), not one host.{mask}"
        ),
        String::from(
            "Nothing is wrong if a full tunnel is wanted. For split tunnelling the administrator must list the networks \
             as split includes; locally a vpnc-script wrapper such as vpn-slice (`-s`) can route only chosen networks.",
        ),
    ));
}

fn esp(f: &Facts, out: &mut Vec<Verdict>) {
    let port = f.esp_port.map(|p| p.0);
    let port_text = port.map_or(String::from("the gateway's ESP port (TLV 8/4)"), |p| {
        format!("port {p}")
    });
    if let Some(line) = f.esp_dead
        && f.esp_established.is_some()
    {
        out.push(v(
            "esp-lost",
            Severity::Warning,
            Some(line),
            String::from("ESP stopped answering: data fell back to TLS"),
            format!(
                "ESP worked, then the gateway stopped answering (dead peer detection): UDP to {port_text} is now \
                 dropped somewhere. Data goes on over the TLS connection."
            ),
            format!("Check firewalls and NAT between here and the gateway for UDP to {port_text}."),
        ));
        return;
    }
    // Probes at the very end of a cut log prove nothing yet.
    let waited = f.first_probe.is_some_and(|l| f.last_line > l + 3);
    if f.esp_probes == 0 || f.esp_established.is_some() || !waited {
        return;
    }
    out.push(v(
        "esp-unanswered",
        Severity::Warning,
        f.first_probe,
        format!("ESP never answered: UDP to {port_text} looks blocked; data stays on TLS"),
        format!(
            "The gateway offered ESP and the client sent ESP probes ({} round(s) in this log) but no reply came back, so \
             the session carries data over the TLS connection: it works, but slower (TCP inside TCP) and with more \
             latency under loss.",
            f.esp_probes
        ),
        format!(
            "Allow UDP from this machine to the gateway on {port_text} (and the replies) in local and network \
             firewalls; or pass `--no-dtls` to skip ESP and its probes."
        ),
    ));
}

fn termination(f: &Facts, out: &mut Vec<Verdict>) {
    let Some((reason, line)) = f.termination else {
        return;
    };
    let why = reason.map_or("reason not shown", |r| TerminationReason(r).describe());
    out.push(v(
        "terminated",
        Severity::Warning,
        Some(line),
        format!("The gateway ended the session ({why})"),
        String::from(
            "The gateway sent oNCP's termination notice (a zero-length record and a reason byte: 01 session expired, \
             08 idle timeout). The client does not reconnect after it and logs out.",
        ),
        String::from("Log in again; an idle timeout or session lifetime is set on the gateway."),
    ));
}

fn unknown_tlvs(f: &Facts, out: &mut Vec<Verdict>) {
    let Some(&(_, _, line)) = f.unknown_tlvs.first() else {
        return;
    };
    let mut list: Vec<String> = Vec::new();
    for (g, a, _) in &f.unknown_tlvs {
        let s = format!("{g}/{a}");
        if !list.contains(&s) && list.len() < 8 {
            list.push(s);
        }
    }
    out.push(v(
        "unknown-tlv",
        Severity::Info,
        Some(line),
        format!("The configuration holds TLVs nobody has documented: {}", list.join(", ")),
        String::from(
            "OpenConnect logs \"Unknown TLV group G attr A\" and ignores them; so does oncp. They are not errors. \
             Their raw values are shown below.",
        ),
        String::from("Nothing to do, unless a setting is missing: then report the values."),
    ));
}

fn pulse(f: &Facts, out: &mut Vec<Verdict>) {
    if let Some((why, line)) = &f.ift_auth_failure {
        out.push(v(
            "ift-auth-failure",
            Severity::Failure,
            Some(*line),
            format!("The Pulse gateway refused the login: {why}"),
            format!(
                "In the IF-T/TLS login (EAP inside IF-T) the gateway answered with a failure: {why}. No session was \
                 opened; the tunnel protocol itself was fine."
            ),
            String::from(
                "Check the user name, password and realm (`--authgroup`); a locked account must be unlocked by the \
                 administrator; \"client certificate required\" needs a certificate (`-c`/`-k` in OpenConnect).",
            ),
        ));
        return;
    }
    let Some(line) = f.pulse_bytes else { return };
    out.push(v(
        "pulse-bytes",
        Severity::Info,
        Some(line),
        String::from("The log holds Pulse (IF-T/TLS) messages"),
        String::from(
            "These bytes carry IF-T headers (TCG vendor 0x5597 or Juniper 0x0a4c): the Pulse protocol, not oNCP. They \
             are decoded below with the Pulse codecs.",
        ),
        String::from("Nothing to do for these messages themselves."),
    ));
}
