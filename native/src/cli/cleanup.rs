//! `oncp cleanup`: undoes what an `oncp connect` that was killed (SIGKILL,
//! a crash, power loss within a boot) left behind: DNS settings and the
//! bypass routes, from the state files under /run/oncp/.

use crate::runstate::STATE_DIR;
use crate::runstate::cleanup::{CleanupReport, stale};
use std::process::ExitCode;

/// Options of `oncp cleanup` (none).
#[derive(Debug, Clone, clap::Args)]
pub struct CleanupArgs {}

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
pub fn run(_args: CleanupArgs) -> ExitCode {
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
    let report = rt.block_on(stale(std::path::Path::new(STATE_DIR)));
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
