//! The gateway's ESP socket: one UDP socket for every client, datagrams
//! handed to the tunnel whose inbound SPI they carry.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::esp_batch::{EspSocket, RecvBatch};
use tokio::sync::mpsc;

/// A datagram and where it came from.
pub type Datagram = (Vec<u8>, SocketAddr);

/// SPI → the tunnel that owns it.
#[derive(Debug, Default)]
pub struct SpiTable {
    map: Mutex<HashMap<u32, mpsc::Sender<Datagram>>>,
}

impl SpiTable {
    /// Routes datagrams with `spi` to `tx`.
    pub fn insert(&self, spi: u32, tx: mpsc::Sender<Datagram>) {
        self.map.lock().expect("spi table").insert(spi, tx);
    }

    /// Stops routing `spi`.
    pub fn remove(&self, spi: u32) {
        self.map.lock().expect("spi table").remove(&spi);
    }

    fn get(&self, spi: u32) -> Option<mpsc::Sender<Datagram>> {
        self.map.lock().expect("spi table").get(&spi).cloned()
    }
}

/// Receives on `socket` forever, dispatching by SPI. Datagrams with an
/// unknown SPI, or for a tunnel that is not keeping up, are dropped.
pub async fn run(socket: Arc<EspSocket>, table: Arc<SpiTable>) {
    let mut batch = RecvBatch::new();
    loop {
        // The last SPI looked up in this batch and its tunnel: a batch is
        // mostly one client's datagrams, so the table's lock is taken once
        // per run of them (and each batch sees the table as it is now).
        let mut last: Option<(u32, mpsc::Sender<Datagram>)> = None;
        if let Err(e) = socket.recv(&mut batch).await {
            // ICMP errors surface here on Linux; keep serving.
            tracing::debug!("ESP socket: {e}");
            continue;
        }
        for (d, from) in batch.datagrams() {
            let Some(spi) = oncp_core::esp::spi_of(d) else {
                continue;
            };
            if last.as_ref().is_none_or(|(s, _)| *s != spi) {
                last = table.get(spi).map(|tx| (spi, tx));
            }
            match &last {
                Some((_, tx)) => {
                    let _ = tx.try_send((d.to_vec(), from));
                }
                None => tracing::trace!("ESP datagram from {from} with unknown SPI {spi:#010x}"),
            }
        }
    }
}
