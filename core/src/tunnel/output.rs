//! One output per poll, written into a buffer the caller gives.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use zeroize::Zeroize;

/// What [`super::ClientTunnel::poll_output`] (or the gateway's) produced.
/// For the three byte variants the bytes are in the buffer the caller
/// passed; the caller's previous buffer went back to the session's pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output<E> {
    /// TLS plaintext to send, as one write (one TLS record).
    Tls,
    /// A UDP datagram for the peer's ESP endpoint.
    Udp,
    /// An IP packet for the TUN device (or the network, on a gateway).
    Ip,
    /// Something happened.
    Event(E),
}

/// Buffers kept for reuse at most.
const MAX_FREE: usize = 64;
/// Buffers larger than this are not kept (one oversized packet must not
/// pin its memory).
const MAX_KEPT_CAPACITY: usize = 70_000;

/// The output queues behind `poll_output`: events first, then TLS, UDP
/// and IP output in the order each was queued, and a pool of spare
/// buffers, so that in a steady flow of packets no buffer is allocated:
/// each queued buffer is swapped with the caller's, whose buffer comes
/// back to the pool.
///
/// TLS output can carry secrets (the tunnel request's cookie, ESP keys),
/// so a TLS buffer is wiped before it is reused or freed: when the caller
/// hands it back with its next `poll` (the caller wipes one it keeps),
/// when queued TLS output is dropped, and when the queue is dropped.
#[derive(Debug)]
pub struct OutputQueue<E> {
    events: VecDeque<E>,
    tls: VecDeque<Vec<u8>>,
    udp: VecDeque<Vec<u8>>,
    ip: VecDeque<Vec<u8>>,
    free: Vec<Vec<u8>>,
    /// The last buffer handed out held TLS output.
    handed_tls: bool,
    /// TLS buffers wiped so far (for the tests).
    #[cfg(test)]
    wiped: usize,
}

impl<E> Drop for OutputQueue<E> {
    fn drop(&mut self) {
        for b in &mut self.tls {
            b.zeroize();
        }
    }
}

impl<E> Default for OutputQueue<E> {
    fn default() -> Self {
        OutputQueue {
            events: VecDeque::new(),
            tls: VecDeque::new(),
            udp: VecDeque::new(),
            ip: VecDeque::new(),
            free: Vec::new(),
            handed_tls: false,
            #[cfg(test)]
            wiped: 0,
        }
    }
}

impl<E> OutputQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer to fill, from the pool when it has one.
    pub fn buffer(&mut self) -> Vec<u8> {
        self.free.pop().unwrap_or_default()
    }

    /// Gives a buffer back to the pool (it is cleared).
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() > 0 && buf.capacity() <= MAX_KEPT_CAPACITY && self.free.len() < MAX_FREE {
            buf.clear();
            self.free.push(buf);
        }
    }

    /// Zeroes a TLS buffer, spare capacity included.
    fn wipe(&mut self, buf: &mut Vec<u8>) {
        buf.zeroize();
        #[cfg(test)]
        {
            self.wiped += 1;
        }
    }

    /// Queues TLS plaintext (one write).
    pub fn push_tls(&mut self, bytes: Vec<u8>) {
        self.tls.push_back(bytes);
    }
    /// Queues a UDP datagram.
    pub fn push_udp(&mut self, datagram: Vec<u8>) {
        self.udp.push_back(datagram);
    }
    /// Queues an IP packet.
    pub fn push_ip(&mut self, packet: Vec<u8>) {
        self.ip.push_back(packet);
    }
    /// Queues an event.
    pub fn push_event(&mut self, event: E) {
        self.events.push_back(event);
    }

    /// Drops the queued TLS output (the connection it was for is gone),
    /// wiped.
    pub fn clear_tls(&mut self) {
        while let Some(mut b) = self.tls.pop_front() {
            self.wipe(&mut b);
            self.recycle(b);
        }
    }
    /// Drops the queued UDP output.
    pub fn clear_udp(&mut self) {
        while let Some(b) = self.udp.pop_front() {
            self.recycle(b);
        }
    }

    /// The next output; the bytes of a TLS, UDP or IP output are swapped
    /// into `buf`. The buffer `buf` held goes back to the pool, wiped if
    /// it was TLS output this queue handed out.
    pub fn poll(&mut self, buf: &mut Vec<u8>) -> Option<Output<E>> {
        if let Some(e) = self.events.pop_front() {
            return Some(Output::Event(e));
        }
        let (bytes, kind) = if let Some(b) = self.tls.pop_front() {
            (b, Output::Tls)
        } else if let Some(b) = self.udp.pop_front() {
            (b, Output::Udp)
        } else {
            (self.ip.pop_front()?, Output::Ip)
        };
        let mut old = core::mem::replace(buf, bytes);
        if core::mem::replace(&mut self.handed_tls, matches!(kind, Output::Tls)) {
            self.wipe(&mut old);
        }
        self.recycle(old);
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn events_first_then_tls_udp_ip_in_order() {
        let mut q = OutputQueue::new();
        q.push_ip(vec![3]);
        q.push_udp(vec![2]);
        q.push_tls(vec![1]);
        q.push_tls(vec![11]);
        q.push_event("e");
        let mut buf = Vec::new();
        let mut seen = Vec::new();
        while let Some(o) = q.poll(&mut buf) {
            seen.push((o, buf.clone()));
        }
        assert_eq!(
            seen,
            [
                (Output::Event("e"), vec![]),
                (Output::Tls, vec![1]),
                (Output::Tls, vec![11]),
                (Output::Udp, vec![2]),
                (Output::Ip, vec![3]),
            ]
        );
    }

    #[test]
    fn buffers_circulate_without_new_allocations() {
        let mut q: OutputQueue<()> = OutputQueue::new();
        let mut buf = Vec::with_capacity(2048);
        let first = buf.as_ptr();
        let mut b = q.buffer();
        b.extend_from_slice(&[1; 100]);
        q.push_udp(b);
        assert_eq!(q.poll(&mut buf), Some(Output::Udp));
        // The caller's old buffer is the next one handed out, cleared.
        let reused = q.buffer();
        assert!(reused.is_empty());
        assert_eq!(reused.as_ptr(), first);
        q.clear_tls();
        q.clear_udp();
        q.recycle(Vec::with_capacity(MAX_KEPT_CAPACITY + 1));
        assert_eq!(q.buffer().capacity(), 0, "oversized buffers are not kept");
    }

    #[test]
    fn tls_buffers_are_wiped_before_reuse() {
        let mut q: OutputQueue<()> = OutputQueue::new();
        let mut buf = Vec::new();
        q.push_tls(b"Cookie: DSID=secret".to_vec());
        q.push_udp(alloc::vec![1]);
        q.push_udp(alloc::vec![2]);
        assert_eq!(q.poll(&mut buf), Some(Output::Tls));
        assert_eq!(q.wiped, 0);
        // Handed back with the next poll: wiped; a UDP buffer is not.
        assert_eq!(q.poll(&mut buf), Some(Output::Udp));
        assert_eq!(q.wiped, 1);
        assert_eq!(q.poll(&mut buf), Some(Output::Udp));
        assert_eq!(q.wiped, 1);
        // Queued TLS output that is dropped is wiped too.
        q.push_tls(b"DSID=again".to_vec());
        q.push_tls(b"keys".to_vec());
        q.clear_tls();
        assert_eq!(q.wiped, 3);
    }
}
