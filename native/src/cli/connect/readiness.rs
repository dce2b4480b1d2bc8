//! What happens once the tunnel is fully up (the first configuration
//! applied): `--setuid` drops privileges, systemd hears `READY=1`
//! ([`super::sd_notify`]) and, with `--background`, the foreground
//! process is let go ([`super::daemon`]).

use super::daemon::Notifier;
use super::sd_notify::SdNotify;
use crate::client::driver::{Control, DriverEvent};
use crate::privileges::{self, Target, TeardownHelper};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc;

/// Who is told, and what is done, when the tunnel is up.
#[derive(Debug, Default)]
pub struct WhenUp {
    /// `--background`: the waiting foreground process.
    pub background: Option<Notifier>,
    /// `Type=notify` under systemd.
    pub systemd: Option<SdNotify>,
    /// `--setuid`: the user to become.
    pub setuid: Option<Target>,
    /// Whether a root helper must undo the built-in setup after the drop
    /// (not with `--script`: the script's runs are the teardown).
    pub teardown_helper: bool,
}

impl WhenUp {
    /// From this process's environment and the given options.
    pub fn from_env(setuid: Option<Target>, teardown_helper: bool) -> WhenUp {
        WhenUp {
            background: Notifier::from_env(),
            systemd: SdNotify::from_env(),
            setuid,
            teardown_helper,
        }
    }

    /// Drops privileges when asked; an error ends the run (running on as
    /// root when asked not to would be worse than stopping).
    fn drop_privileges(&mut self) -> Result<(), privileges::PrivilegeError> {
        let Some(target) = self.setuid.take() else {
            return Ok(());
        };
        let helper = if self.teardown_helper {
            Some(TeardownHelper::start()?)
        } else {
            None
        };
        privileges::drop_to(&target)?;
        match helper {
            Some(h) => {
                tracing::info!(
                    "dropped privileges to {} (uid {}); routes and DNS are undone on exit by helper pid {}",
                    target.given,
                    target.uid,
                    h.pid()
                );
                h.keep();
            }
            None => tracing::info!(
                "dropped privileges to {} (uid {}); the script runs as that user from now on",
                target.given,
                target.uid
            ),
        }
        Ok(())
    }
}

/// What [`when_up`] reports back to the run.
#[derive(Debug, Default)]
pub struct UpState {
    /// The foreground process of `--background` was let go.
    pub backgrounded: AtomicBool,
    /// Dropping privileges failed: the session was closed, exit with 1.
    pub failed: AtomicBool,
}

/// Once the first configuration is in force: drops privileges, notifies
/// systemd and the foreground process. Drains the driver's events until
/// it ends. A failed privilege drop closes the session (through
/// `control`) and sets [`UpState::failed`].
pub async fn when_up(
    mut events: mpsc::UnboundedReceiver<DriverEvent>,
    state: Arc<UpState>,
    mut w: WhenUp,
    control: mpsc::Sender<Control>,
) {
    while let Some(ev) = events.recv().await {
        let DriverEvent::Configured {
            first: true,
            config,
            ..
        } = ev
        else {
            continue;
        };
        if let Err(e) = w.drop_privileges() {
            tracing::error!("{e}");
            state.failed.store(true, Ordering::Relaxed);
            let _ = control.send(Control::Close).await;
            continue;
        }
        if let Some(n) = w.systemd.take() {
            let addr = config
                .ipv4
                .map(|a| a.addr.to_string())
                .or(config.ipv6.map(|a| a.addr.to_string()))
                .unwrap_or_else(|| "no address".into());
            n.ready(&format!("tunnel up ({addr})"));
        }
        if let Some(n) = w.background.take() {
            n.ready();
            state.backgrounded.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncp_core::tunnel::{IfAddr, TunnelConfig};
    use std::os::unix::net::UnixDatagram;

    fn configured(first: bool) -> DriverEvent {
        DriverEvent::Configured {
            config: Box::new(TunnelConfig {
                ipv4: Some(IfAddr {
                    addr: "10.9.0.7".parse().unwrap(),
                    prefix_len: Some(24),
                }),
                ..Default::default()
            }),
            mtu: 1400,
            first,
        }
    }

    #[tokio::test]
    async fn ready_goes_to_notify_socket_once_when_the_tunnel_is_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let rx = UnixDatagram::bind(&path).unwrap();
        rx.set_nonblocking(true).unwrap();
        let (tx, events) = mpsc::unbounded_channel();
        let (control, mut closed) = mpsc::channel(1);
        let state = Arc::new(UpState::default());
        let w = WhenUp {
            systemd: Some(SdNotify::at(path.to_str().unwrap()).unwrap()),
            ..Default::default()
        };
        let task = tokio::spawn(when_up(events, state.clone(), w, control));
        // Nothing before the configuration is in force.
        tx.send(DriverEvent::EspUp).unwrap();
        tx.send(DriverEvent::Reconnecting).unwrap();
        tokio::task::yield_now().await;
        let mut buf = [0u8; 256];
        assert!(
            rx.recv(&mut buf).is_err(),
            "no message before the tunnel is up"
        );
        tx.send(configured(true)).unwrap();
        tx.send(configured(false)).unwrap();
        drop(tx);
        task.await.unwrap();
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=tunnel up (10.9.0.7)\n");
        assert!(
            rx.recv(&mut buf).is_err(),
            "READY=1 once, not after a reconnect"
        );
        assert!(closed.try_recv().is_err());
        assert!(!state.failed.load(Ordering::Relaxed));
        assert!(!state.backgrounded.load(Ordering::Relaxed));
    }
}
