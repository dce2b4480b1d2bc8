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
    if netns && let Some(missing) = crate::demo::netns::missing_requirement() {
        println!(
            "oncp demo: as root, but the namespace demo cannot run: {missing}; running the userspace demo instead"
        );
    } else if netns {
        println!(
            "oncp demo: as root — oncp gateway and oncp connect with TUN devices in two network namespaces"
        );
        let want = args.count;
        match rt.block_on(crate::demo::netns::run(want)) {
            Ok(r) if r.success(want) => {
                println!(
                    "oncp demo: OK — configuration negotiated, ESP up, {}/{want} round trips, {} ESP packets at the gateway",
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
                    "oncp demo: FAILED — {}/{want} round trips: {why}",
                    r.received
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
    match rt.block_on(crate::demo::run_userspace(args.count)) {
        Ok(report) if report.success() => {
            println!(
                "oncp demo: OK — configuration negotiated, ESP up, {}/{} round trips",
                report.rtts.len(),
                report.sent
            );
            ExitCode::SUCCESS
        }
        Ok(report) => {
            println!(
                "oncp demo: FAILED — ESP {}, {}/{} round trips, client ended: {}",
                if report.esp { "up" } else { "never up" },
                report.rtts.len(),
                report.sent,
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
