//! The one drain of a gateway session's outputs, shared by `oncp
//! gateway`, the driver tests' gateway and the hostile test gateway: each
//! supplies what happens to TLS bytes, datagrams, IP packets and events.

use std::future::Future;

use oncp_core::time::Instant;
use oncp_core::tunnel::{GatewayEvent, GatewayTunnel, Output};

/// What a gateway does with its session's outputs.
pub trait GatewayOutputs {
    /// Writes TLS plaintext as one TLS record (write and flush); an error
    /// means the connection is lost.
    fn tls(&mut self, bytes: &[u8]) -> impl Future<Output = std::io::Result<()>> + Send;
    /// Sends an ESP datagram to the client.
    fn udp(&mut self, datagram: &[u8]) -> impl Future<Output = ()> + Send;
    /// An IP packet from the client (the buffer may be taken); may answer
    /// through `session`.
    fn ip<S: GatewayTunnel + ?Sized>(
        &mut self,
        packet: &mut Vec<u8>,
        session: &mut S,
        now: Instant,
    );
    /// An event; a tunnel request is answered here (accept or reject).
    fn event<S: GatewayTunnel + ?Sized>(
        &mut self,
        event: GatewayEvent,
        session: &mut S,
        now: Instant,
    );
}

/// Drains every output of `session` (including what handling them
/// produces, such as echo replies) into `out`; `buf` is the reused output
/// buffer. Returns whether there was any.
pub async fn drain<S, O>(
    session: &mut S,
    buf: &mut Vec<u8>,
    out: &mut O,
    now: impl Fn() -> Instant,
) -> bool
where
    S: GatewayTunnel + ?Sized,
    O: GatewayOutputs,
{
    let mut any = false;
    while let Some(o) = session.poll_output(buf) {
        any = true;
        match o {
            Output::Tls => {
                let written = out.tls(buf).await;
                // It may carry ESP keys: wiped once written.
                zeroize::Zeroize::zeroize(buf);
                if let Err(e) = written {
                    tracing::debug!("TLS write: {e}");
                    session.handle_tls_closed(now());
                }
            }
            Output::Udp => out.udp(buf).await,
            Output::Ip => out.ip(buf, session, now()),
            Output::Event(e) => out.event(e, session, now()),
        }
    }
    any
}
