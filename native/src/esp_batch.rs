//! Batched ESP datagram I/O for the client and the gateway: UDP GSO
//! (`UDP_SEGMENT`, one `sendmsg` for a run of equal-sized datagrams to one
//! peer) and UDP GRO with `recvmmsg` (several datagrams, and coalesced
//! runs of them, per receive), through `quinn-udp`.
//!
//! [`Offload::Off`] (`--no-offload`) keeps the plain path: one `send_to`
//! and one `recv_from` per datagram. With offload on, the fallback is
//! automatic: when the kernel refuses GSO (`EIO`/`EINVAL` from `sendmsg`),
//! `quinn-udp` stops segmenting and [`EspSocket::max_segments`] drops to 1;
//! without GRO each received buffer simply holds one datagram.

use std::io::{self, IoSliceMut};
use std::net::SocketAddr;

use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Whether the kernel's UDP offloads (GSO, GRO) and batched receives are
/// used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Offload {
    /// GSO, GRO and `recvmmsg` where the kernel offers them.
    #[default]
    On,
    /// One system call per datagram each way (`--no-offload`).
    Off,
}

/// Largest UDP payload of one GSO send (IPv4: 65,535 less the IP and UDP
/// headers).
const MAX_GSO_BYTES: usize = 65_507;

/// Receive buffers per batch; each holds one datagram or one GRO run.
pub const RECV_BUFFERS: usize = 8;

/// Bytes of each receive buffer: a whole GRO run fits.
const RECV_BUFFER_BYTES: usize = 65_536;

/// A UDP socket carrying ESP, with the offloads it was granted.
#[derive(Debug)]
pub struct EspSocket {
    sock: UdpSocket,
    /// `None` with [`Offload::Off`].
    state: Option<quinn_udp::UdpSocketState>,
}

impl EspSocket {
    /// Wraps `sock` (bound, and connected on the client). With
    /// [`Offload::On`] it asks for GRO and learns how many segments one GSO
    /// send may carry.
    pub fn new(sock: UdpSocket, offload: Offload) -> io::Result<EspSocket> {
        let state = match offload {
            Offload::On => Some(quinn_udp::UdpSocketState::new((&sock).into())?),
            Offload::Off => None,
        };
        Ok(EspSocket { sock, state })
    }

    /// The socket itself.
    pub fn socket(&self) -> &UdpSocket {
        &self.sock
    }

    /// Datagrams one send may carry (1 without GSO).
    pub fn max_segments(&self) -> usize {
        self.state
            .as_ref()
            .map_or(1, |s| s.max_gso_segments().max(1))
    }

    /// Whether received buffers may hold coalesced runs (GRO).
    pub fn gro(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.gro_segments() > 1)
    }

    /// Sends `contents` to `dest`: one datagram, or with `segment` a run
    /// of datagrams of that size (the last may be shorter).
    async fn send_run(
        &self,
        dest: SocketAddr,
        contents: &[u8],
        segment: Option<usize>,
    ) -> io::Result<()> {
        match &self.state {
            None => self.sock.send_to(contents, dest).await.map(|_| ()),
            Some(state) => {
                let t = quinn_udp::Transmit {
                    destination: dest,
                    ecn: None,
                    contents,
                    segment_size: segment,
                    src_ip: None,
                };
                // try_send, not send: send swallows errors (EMSGSIZE
                // silently, the rest as a rate-limited warning of its own,
                // e.g. EPERM from a firewall), while the caller reports send
                // errors itself, as it does for the plain path.
                self.sock
                    .async_io(Interest::WRITABLE, || {
                        state.try_send((&self.sock).into(), &t)
                    })
                    .await
            }
        }
    }

    /// Adds `datagram` for `dest` to `batch`, first sending what `batch`
    /// holds when the datagram cannot join it (another peer, another size,
    /// or the batch is full).
    pub async fn queue(
        &self,
        batch: &mut SendBatch,
        dest: SocketAddr,
        datagram: &[u8],
    ) -> io::Result<()> {
        let r = if batch.fits(dest, datagram.len(), self.max_segments()) {
            Ok(())
        } else {
            self.flush(batch).await
        };
        batch.push(dest, datagram);
        r
    }

    /// Sends what `batch` holds (nothing when it is empty) and empties it.
    pub async fn flush(&self, batch: &mut SendBatch) -> io::Result<()> {
        let Some(dest) = batch.dest else {
            return Ok(());
        };
        let segment = (batch.count > 1).then_some(batch.segment);
        let r = self.send_run(dest, &batch.buf, segment).await;
        batch.clear();
        r
    }

    /// Waits for datagrams and receives what is there into `batch`.
    /// Cancel-safe.
    pub async fn recv(&self, batch: &mut RecvBatch) -> io::Result<()> {
        batch.clear();
        match &self.state {
            None => {
                let (n, from) = self.sock.recv_from(&mut batch.bufs[0]).await?;
                batch.set_single(n, from);
                Ok(())
            }
            Some(state) => {
                let n = self
                    .sock
                    .async_io(Interest::READABLE, || batch.recv_with(state, &self.sock))
                    .await?;
                batch.filled = n;
                Ok(())
            }
        }
    }

    /// Receives what is there into `batch` without waiting: `None` when
    /// nothing is.
    pub fn try_recv(&self, batch: &mut RecvBatch) -> Option<io::Result<()>> {
        batch.clear();
        let r = match &self.state {
            None => self
                .sock
                .try_recv_from(&mut batch.bufs[0])
                .map(|(n, from)| batch.set_single(n, from)),
            Some(state) => self
                .sock
                .try_io(Interest::READABLE, || batch.recv_with(state, &self.sock))
                .map(|n| batch.filled = n),
        };
        match r {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
            r => Some(r),
        }
    }
}

/// Datagrams waiting to go out in one GSO send: equal sizes, one peer, the
/// last possibly shorter. Its buffer is sized once.
#[derive(Debug)]
pub struct SendBatch {
    buf: Vec<u8>,
    dest: Option<SocketAddr>,
    segment: usize,
    count: usize,
    /// A shorter last datagram closed the run.
    closed: bool,
}

impl Default for SendBatch {
    fn default() -> Self {
        SendBatch {
            buf: Vec::with_capacity(MAX_GSO_BYTES),
            dest: None,
            segment: 0,
            count: 0,
            closed: false,
        }
    }
}

impl SendBatch {
    /// Whether a datagram of `len` bytes for `dest` can join the run.
    fn fits(&self, dest: SocketAddr, len: usize, max_segments: usize) -> bool {
        match self.dest {
            None => true,
            Some(d) => {
                d == dest
                    && !self.closed
                    && len <= self.segment
                    && len > 0
                    && self.count < max_segments
                    && self.buf.len() + len <= MAX_GSO_BYTES
            }
        }
    }

    /// Appends a datagram that [`SendBatch::fits`] (or starts the run).
    fn push(&mut self, dest: SocketAddr, datagram: &[u8]) {
        if self.dest.is_none() {
            self.dest = Some(dest);
            self.segment = datagram.len();
        } else if datagram.len() < self.segment {
            self.closed = true;
        }
        self.buf.extend_from_slice(datagram);
        self.count += 1;
    }

    /// Datagrams waiting.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.dest = None;
        self.segment = 0;
        self.count = 0;
        self.closed = false;
    }
}

/// Buffers for one batched receive, sized once, and what it received.
pub struct RecvBatch {
    bufs: Vec<Vec<u8>>,
    meta: Vec<quinn_udp::RecvMeta>,
    filled: usize,
}

impl std::fmt::Debug for RecvBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvBatch")
            .field("filled", &self.filled)
            .finish_non_exhaustive()
    }
}

impl Default for RecvBatch {
    fn default() -> Self {
        RecvBatch::new()
    }
}

impl RecvBatch {
    /// [`RECV_BUFFERS`] buffers of 64 KiB (without offload only the first
    /// is used; pages never written take no memory).
    pub fn new() -> RecvBatch {
        let n = RECV_BUFFERS;
        RecvBatch {
            bufs: (0..n).map(|_| vec![0u8; RECV_BUFFER_BYTES]).collect(),
            meta: vec![quinn_udp::RecvMeta::default(); n],
            filled: 0,
        }
    }

    fn clear(&mut self) {
        self.filled = 0;
    }

    fn set_single(&mut self, len: usize, from: SocketAddr) {
        self.meta[0] = quinn_udp::RecvMeta {
            addr: from,
            len,
            stride: len,
            ..Default::default()
        };
        self.filled = 1;
    }

    fn recv_with(
        &mut self,
        state: &quinn_udp::UdpSocketState,
        sock: &UdpSocket,
    ) -> io::Result<usize> {
        let mut slices: [IoSliceMut<'_>; RECV_BUFFERS] =
            std::array::from_fn(|_| IoSliceMut::new(&mut []));
        let n = self.bufs.len().min(RECV_BUFFERS);
        for (s, b) in slices.iter_mut().zip(self.bufs.iter_mut()) {
            *s = IoSliceMut::new(b);
        }
        state.recv(sock.into(), &mut slices[..n], &mut self.meta[..n])
    }

    /// Each datagram received, with its sender, in arrival order (GRO runs
    /// split at their stride).
    pub fn datagrams(&self) -> impl Iterator<Item = (&[u8], SocketAddr)> {
        self.bufs
            .iter()
            .zip(&self.meta)
            .take(self.filled)
            .flat_map(|(b, m)| {
                let data = &b[..m.len.min(b.len())];
                let stride = if m.stride == 0 {
                    data.len().max(1)
                } else {
                    m.stride
                };
                data.chunks(stride).map(move |d| (d, m.addr))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pair(offload: Offload) -> (EspSocket, EspSocket) {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        (
            EspSocket::new(a, offload).unwrap(),
            EspSocket::new(b, offload).unwrap(),
        )
    }

    /// Sends `sizes` as one batch from `a` to `b` and returns what `b`
    /// received, datagram by datagram.
    async fn round_trip(a: &EspSocket, b: &EspSocket, sizes: &[usize]) -> Vec<Vec<u8>> {
        let to = b.socket().local_addr().unwrap();
        let mut batch = SendBatch::default();
        for (i, &n) in sizes.iter().enumerate() {
            a.queue(&mut batch, to, &vec![i as u8; n]).await.unwrap();
        }
        a.flush(&mut batch).await.unwrap();
        assert!(batch.is_empty());
        let mut rb = RecvBatch::new();
        let mut got = Vec::new();
        while got.len() < sizes.len() {
            tokio::time::timeout(std::time::Duration::from_secs(5), b.recv(&mut rb))
                .await
                .expect("datagrams arrive")
                .unwrap();
            for (d, from) in rb.datagrams() {
                assert_eq!(from, a.socket().local_addr().unwrap());
                got.push(d.to_vec());
            }
        }
        got
    }

    fn expected(sizes: &[usize]) -> Vec<Vec<u8>> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| vec![i as u8; n])
            .collect()
    }

    #[tokio::test]
    async fn batches_keep_datagram_boundaries_and_order_with_offload() {
        let (a, b) = pair(Offload::On).await;
        // A run of equal sizes, a shorter one closing it, then another run.
        let sizes = [1400, 1400, 1400, 900, 1400, 1400, 60, 1500, 1200];
        assert_eq!(round_trip(&a, &b, &sizes).await, expected(&sizes));
    }

    #[tokio::test]
    async fn forced_off_still_passes_every_datagram() {
        let (a, b) = pair(Offload::Off).await;
        assert_eq!(a.max_segments(), 1);
        assert!(!a.gro());
        let sizes = [1400, 1400, 900, 1400];
        assert_eq!(round_trip(&a, &b, &sizes).await, expected(&sizes));
        let mut rb = RecvBatch::new();
        assert!(b.try_recv(&mut rb).is_none(), "nothing left over");
    }

    #[test]
    fn a_run_takes_equal_or_one_shorter_last_datagram() {
        let to: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let other: SocketAddr = "127.0.0.1:10".parse().unwrap();
        let mut b = SendBatch::default();
        assert!(b.fits(to, 1400, 64));
        b.push(to, &[0; 1400]);
        assert!(b.fits(to, 1400, 64));
        assert!(!b.fits(to, 1401, 64), "a longer datagram starts a new run");
        assert!(!b.fits(other, 1400, 64), "another peer starts a new run");
        assert!(!b.fits(to, 1400, 1), "no GSO: one datagram per send");
        b.push(to, &[0; 700]);
        assert!(!b.fits(to, 700, 64), "a shorter datagram ends the run");
        assert_eq!(b.len(), 2);
        b.clear();
        for _ in 0..46 {
            b.push(to, &[0; 1400]);
        }
        assert!(!b.fits(to, 1400, 64), "the run stays within 64 KB");
    }
}
