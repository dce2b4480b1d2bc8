//! A stand-in for systemd-resolved for the DNS tests
//! (`tests/tests/e2e_dns.rs`): it owns `org.freedesktop.resolve1` on the
//! bus given with `--address` (a private `dbus-daemon`), serves the
//! `org.freedesktop.resolve1.Manager` methods oncp calls, and appends one
//! line per call to `--log FILE`:
//!
//! ```text
//! SetLinkDNS 7 2:10.78.0.53
//! SetLinkDomains 7 corp.example:routing
//! SetLinkDefaultRoute 7 false
//! RevertLink 7
//! ```
//!
//! With `--refuse` every call is answered with `AccessDenied`, as a
//! resolved whose polkit policy refuses would. Prints `READY` once the
//! name is owned.

use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

struct Manager {
    log: PathBuf,
    refuse: bool,
}

impl Manager {
    fn record(&self, line: String) -> zbus::fdo::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        writeln!(f, "{line}").map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        if self.refuse {
            return Err(zbus::fdo::Error::AccessDenied(
                "refused by the test's policy".into(),
            ));
        }
        Ok(())
    }
}

fn address(family: i32, bytes: &[u8]) -> String {
    match (family, bytes.len()) {
        (2, 4) => Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        (10, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(bytes);
            Ipv6Addr::from(b).to_string()
        }
        _ => format!("bad({family},{})", bytes.len()),
    }
}

#[zbus::interface(name = "org.freedesktop.resolve1.Manager")]
impl Manager {
    #[zbus(name = "SetLinkDNS")]
    fn set_link_dns(&self, ifindex: i32, addresses: Vec<(i32, Vec<u8>)>) -> zbus::fdo::Result<()> {
        let a: Vec<String> = addresses
            .iter()
            .map(|(f, b)| format!("{f}:{}", address(*f, b)))
            .collect();
        self.record(format!("SetLinkDNS {ifindex} {}", a.join(" ")))
    }

    #[zbus(name = "SetLinkDomains")]
    fn set_link_domains(
        &self,
        ifindex: i32,
        domains: Vec<(String, bool)>,
    ) -> zbus::fdo::Result<()> {
        let d: Vec<String> = domains
            .iter()
            .map(|(d, r)| format!("{d}:{}", if *r { "routing" } else { "search" }))
            .collect();
        self.record(format!("SetLinkDomains {ifindex} {}", d.join(" ")))
    }

    #[zbus(name = "SetLinkDefaultRoute")]
    fn set_link_default_route(&self, ifindex: i32, enable: bool) -> zbus::fdo::Result<()> {
        self.record(format!("SetLinkDefaultRoute {ifindex} {enable}"))
    }

    #[zbus(name = "RevertLink")]
    fn revert_link(&self, ifindex: i32) -> zbus::fdo::Result<()> {
        self.record(format!("RevertLink {ifindex}"))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut addr, mut log, mut refuse) = (None, None, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--address" => addr = args.next(),
            "--log" => log = args.next().map(PathBuf::from),
            "--refuse" => refuse = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let addr = addr.ok_or("--address BUS is required")?;
    let log = log.ok_or("--log FILE is required")?;
    let _conn = zbus::connection::Builder::address(addr.as_str())?
        .name("org.freedesktop.resolve1")?
        .serve_at("/org/freedesktop/resolve1", Manager { log, refuse })?
        .build()
        .await?;
    println!("READY");
    std::future::pending::<()>().await;
    Ok(())
}
