//! `oncp demo`: the gateway and the client on loopback, end to end.

use std::process::ExitCode;

/// Options of `oncp demo` (none are needed).
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Number of ICMP echo round trips to make through the tunnel.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub count: u32,
    /// Stay in userspace (no TUN, no namespaces) even when root.
    #[arg(long)]
    pub userspace: bool,
    /// Tunnel protocol: `nc` (oNCP) or `pulse` (IF-T/TLS, which also
    /// pings the gateway's IPv6 tunnel address).
    #[arg(long, value_enum, default_value_t = DemoProtocol::Nc)]
    pub protocol: DemoProtocol,
}

/// The demo's tunnel protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoProtocol {
    /// Juniper Network Connect (oNCP).
    Nc,
    /// Pulse IF-T/TLS, IPv4 and IPv6 inside.
    Pulse,
}

/// Runs `oncp demo`: exit status 0 when every echo came back over ESP and
/// the session ended cleanly.
pub fn run(args: DemoArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("oncp demo: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let netns = crate::demo::netns::is_root() && !args.userspace;
    let pulse = args.protocol == DemoProtocol::Pulse;
    if netns && let Some(missing) = crate::demo::netns::missing_requirement() {
        println!(
            "oncp demo: as root, but the namespace demo cannot run: {missing}; running the userspace demo instead"
        );
    } else if netns {
        println!(
            "oncp demo: as root — oncp gateway and oncp connect with TUN devices in two network namespaces"
        );
        let want = args.count;
        match rt.block_on(crate::demo::netns::run(want, pulse)) {
            Ok(r) if r.success(want) => {
                let six = if pulse {
                    format!(" (IPv6 {}/{want})", r.received6)
                } else {
                    String::new()
                };
                println!(
                    "oncp demo: OK — configuration negotiated, ESP up, {}/{want} round trips{six}, {} ESP packets at the gateway",
                    r.received, r.gateway_esp_in
                );
                return ExitCode::SUCCESS;
            }
            Ok(r) => {
                let why = if r.problems.is_empty() {
                    "no reason recorded".to_string()
                } else {
                    r.problems.join("; ")
                };
                println!(
                    "oncp demo: FAILED — {}/{want} round trips (IPv6 {}): {why}",
                    r.received, r.received6
                );
                return ExitCode::FAILURE;
            }
            Err(e) => println!(
                "oncp demo: the network namespaces could not be set up ({e:#}); running the userspace demo instead"
            ),
        }
    }
    println!(
        "oncp demo: bundled gateway and client on loopback (userspace: no TUN device, the gateway answers echo)"
    );
    match rt.block_on(crate::demo::run_userspace(args.count, pulse)) {
        Ok(report) if report.success() => {
            let six = if pulse {
                format!(" (IPv6 {}/{})", report.rtts6.len(), report.sent6)
            } else {
                String::new()
            };
            println!(
                "oncp demo: OK — configuration negotiated, ESP up, {}/{} round trips{six}",
                report.rtts.len(),
                report.sent
            );
            ExitCode::SUCCESS
        }
        Ok(report) => {
            println!(
                "oncp demo: FAILED — ESP {}, {}/{} round trips (IPv6 {}/{}), client ended: {}",
                if report.esp { "up" } else { "never up" },
                report.rtts.len(),
                report.sent,
                report.rtts6.len(),
                report.sent6,
                report.outcome.message()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            println!("oncp demo: FAILED — {e:#}");
            ExitCode::FAILURE
        }
    }
}
