//! `oncp demo`: the gateway and the client on loopback, end to end.

use std::process::ExitCode;

/// Options of `oncp demo` (none are needed).
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Number of ICMP echo round trips to make through the tunnel.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub count: u32,
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
