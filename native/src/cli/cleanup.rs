//! `oncp cleanup`: undoes what an `oncp connect` that was killed (SIGKILL,
//! a crash, power loss within a boot) left behind: DNS settings and the
//! bypass routes, from the state files under /run/oncp/.

use crate::runstate::STATE_DIR;
use crate::runstate::cleanup::{CleanupReport, of_process, stale};
use std::process::ExitCode;

/// Options of `oncp cleanup`.
#[derive(Debug, Clone, clap::Args)]
pub struct CleanupArgs {
    /// (internal, for `oncp connect --setuid`) Wait until standard input
    /// closes, then undo what process PID recorded.
    #[arg(long, value_name = "PID", hide = true)]
    pub when_closed: Option<u32>,
}

/// Logs what a cleanup did (also used by `oncp connect` at start).
pub fn log_report(r: &CleanupReport) {
    for m in &r.done {
        tracing::info!("cleanup: {m}");
    }
    for m in &r.failed {
        tracing::warn!("cleanup: {m}");
    }
}

/// Runs `oncp cleanup`: exit status 0 unless something could not be
/// undone.
pub fn run(args: CleanupArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("oncp cleanup: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dir = std::path::Path::new(STATE_DIR);
    if let Some(pid) = args.when_closed {
        return when_closed(&rt, dir, pid);
    }
    let report = rt.block_on(stale(dir));
    for m in &report.done {
        println!("oncp cleanup: {m}");
    }
    for m in &report.failed {
        eprintln!("oncp cleanup: {m}");
    }
    if report.done.is_empty() && report.failed.is_empty() {
        println!("oncp cleanup: nothing to undo (no state of a stopped oncp in {STATE_DIR})");
    }
    if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `--when-closed PID`: blocks until standard input (a pipe only PID
/// holds) ends, then undoes PID's records. SIGINT, SIGTERM and SIGHUP are
/// ignored meanwhile: the helper must outlive the session it cleans up
/// after, and the pipe ends it.
fn when_closed(rt: &tokio::runtime::Runtime, dir: &std::path::Path, pid: u32) -> ExitCode {
    use std::io::Read;
    let _signals = rt.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        )
    });
    let mut sink = [0u8; 64];
    let mut stdin = std::io::stdin().lock();
    loop {
        match stdin.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::warn!("cleanup helper: reading the pipe: {e}");
                break;
            }
        }
    }
    let report = rt.block_on(of_process(dir, pid));
    log_report(&report);
    if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
