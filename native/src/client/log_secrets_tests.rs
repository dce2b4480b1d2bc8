//! Nothing secret reaches the log below the most verbose level: a whole
//! session (configuration, ESP, a reconnect, the logout) against the
//! loopback test gateway, logged at `debug`, never shows the DSID.

use crate::client::driver::{Control, DriverEvent};
use crate::client::driver_tests::launch;
use crate::client::netsetup::NetSetup;
use crate::client::outcome::Outcome;
use crate::client::test_gateway::GOOD_DSID;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Runs one session with the cookie `-C <cookie>` and returns its log at
/// `level` (every crate, current-thread runtime so every task logs here).
async fn session_log(cookie: &str, level: tracing::Level) -> String {
    let sink = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut stdin: &[u8] = b"";
    let cookie = crate::client::cookie::obtain(Some(cookie), false, &mut stdin).unwrap();
    let mut h = launch(&cookie, 9, NetSetup::None).await;
    h.expect("ESP up", |e| *e == DriverEvent::EspUp).await;
    h.gw.knobs.cut_tls.notify_one();
    h.expect("reconfigured", |e| {
        matches!(e, DriverEvent::Configured { first: false, .. })
    })
    .await;
    h.control.send(Control::Close).await.unwrap();
    assert_eq!(h.report().await.outcome, Outcome::Closed);
    sink.text()
}

#[tokio::test]
async fn dsid_is_not_logged_at_debug() {
    // A bare value on the command line is the DSID (spec §2.1).
    let log = session_log(GOOD_DSID, tracing::Level::DEBUG).await;
    // The capture works: the session's own messages are there.
    assert!(log.contains("reconnected to localhost"), "{log}");
    assert!(log.contains("DEBUG"), "{log}");
    assert!(!log.contains(GOOD_DSID), "the DSID is in the log:\n{log}");
}
