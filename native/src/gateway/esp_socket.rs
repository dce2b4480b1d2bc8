//! The gateway's ESP socket: one UDP socket for every client, datagrams
//! handed to the tunnel whose inbound SPI they carry.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::UdpSocket;
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
pub async fn run(socket: Arc<UdpSocket>, table: Arc<SpiTable>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                // ICMP errors surface here on Linux; keep serving.
                tracing::debug!("ESP socket: {e}");
                continue;
            }
        };
        let Some(spi) = oncp_core::esp::spi_of(&buf[..n]) else {
            continue;
        };
        match table.get(spi) {
            Some(tx) => {
                let _ = tx.try_send((buf[..n].to_vec(), from));
            }
            None => tracing::trace!("ESP datagram from {from} with unknown SPI {spi:#010x}"),
        }
    }
}
