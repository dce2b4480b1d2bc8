//! Log output through `tracing`: `-v`/`-q` pick the level, `RUST_LOG`
//! overrides it; standard error, or syslog with `oncp connect --syslog`
//! ([`syslog`]).

pub mod syslog;

use tracing_subscriber::EnvFilter;

/// The log level for a count of `-v` and `-q` flags: `info` by default,
/// each `-v` one step more verbose, each `-q` one step quieter.
pub fn level_for(verbose: u8, quiet: u8) -> tracing::Level {
    use tracing::Level;
    let steps = i16::from(verbose) - i16::from(quiet);
    match steps {
        i16::MIN..=-2 => Level::ERROR,
        -1 => Level::WARN,
        0 => Level::INFO,
        1 => Level::DEBUG,
        2..=i16::MAX => Level::TRACE,
    }
}

/// The filter directives for the flags: our crates at the chosen level,
/// other crates (rustls, tokio, netlink) at `warn` unless `-vvv` asks for
/// everything, so `-v` shows oncp's own debug output only. The DevTools
/// client of the SSO browser stays silent below `-vvv`: it warns about
/// every protocol event newer than its own definitions, and oncp reports
/// the browser's failures itself.
pub fn filter_for(verbose: u8, quiet: u8) -> String {
    let level = level_for(verbose, quiet).as_str().to_ascii_lowercase();
    if verbose >= 3 {
        level
    } else if level == "error" || level == "warn" {
        format!("{level},chromiumoxide=off")
    } else {
        format!("warn,chromiumoxide=off,oncp={level},oncp_core={level}")
    }
}

/// Installs the global subscriber writing to standard error. `RUST_LOG`,
/// when set, replaces the level chosen by the flags. Calling it twice is
/// harmless (the second call keeps the first subscriber).
pub fn init(verbose: u8, quiet: u8) {
    init_to(verbose, quiet, false);
}

/// [`init`], to syslog ([`syslog::DEV_LOG`]) when `to_syslog`: there
/// without the timestamp (syslog adds its own) or colours. If the socket
/// cannot be reached the logs stay on standard error, with a warning.
pub fn init_to(verbose: u8, quiet: u8, to_syslog: bool) {
    let filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new(filter_for(verbose, quiet)))
    };
    let mut unreachable = None;
    if to_syslog {
        match syslog::Syslog::connect(std::path::Path::new(syslog::DEV_LOG)) {
            Ok(s) => {
                let _ = tracing_subscriber::fmt()
                    .with_env_filter(filter())
                    .with_writer(s)
                    .with_ansi(false)
                    .without_time()
                    .with_level(false)
                    .with_target(verbose > 1)
                    .try_init();
                return;
            }
            Err(e) => unreachable = Some(e),
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_target(verbose > 1)
        .try_init();
    if let Some(e) = unreachable {
        tracing::warn!(
            "--syslog: cannot reach {}: {e}; logging to standard error",
            syslog::DEV_LOG
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn flags_move_the_level_one_step_each() {
        assert_eq!(level_for(0, 0), Level::INFO);
        assert_eq!(level_for(1, 0), Level::DEBUG);
        assert_eq!(level_for(2, 0), Level::TRACE);
        assert_eq!(level_for(9, 0), Level::TRACE);
        assert_eq!(level_for(0, 1), Level::WARN);
        assert_eq!(level_for(0, 3), Level::ERROR);
        assert_eq!(level_for(1, 1), Level::INFO);
    }

    #[test]
    fn other_crates_stay_quiet_until_vvv() {
        assert_eq!(
            filter_for(0, 0),
            "warn,chromiumoxide=off,oncp=info,oncp_core=info"
        );
        assert_eq!(
            filter_for(1, 0),
            "warn,chromiumoxide=off,oncp=debug,oncp_core=debug"
        );
        assert_eq!(filter_for(3, 0), "trace");
        assert_eq!(filter_for(0, 1), "warn,chromiumoxide=off");
        assert_eq!(filter_for(0, 2), "error,chromiumoxide=off");
        // Every result is a valid filter.
        for (v, q) in [(0, 0), (1, 0), (2, 0), (3, 0), (0, 1), (0, 2)] {
            EnvFilter::try_new(filter_for(v, q)).unwrap();
        }
    }
}
