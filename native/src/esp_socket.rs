//! The ESP UDP socket's kernel buffers, shared by the client and the
//! gateway.
//!
//! Linux's default UDP receive buffer (`net.core.rmem_default`, 208 KiB)
//! holds about 150 full-size ESP packets: a few milliseconds at the rates a
//! TCP flow inside the tunnel reaches, so a reader that is briefly
//! descheduled loses datagrams, and TCP inside the tunnel backs off. Under
//! iperf3 between two network namespaces on a 2-core machine, the gateway
//! and the client each dropped 10–15 % of ESP packets that way
//! (`UdpRcvbufErrors`) with the default size. Both ends therefore ask for
//! [`ESP_SOCKET_BUFFER`] each way, beyond `net.core.rmem_max` when the
//! process may (CAP_NET_ADMIN, which the TUN device needs anyway).

use std::os::fd::AsFd;

/// Bytes asked for each of the ESP socket's receive and send buffers (the
/// kernel doubles the figure for its own bookkeeping).
pub const ESP_SOCKET_BUFFER: usize = 2 << 20;

/// The buffer sizes in force after [`enlarge_buffers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferSizes {
    /// The receive buffer, as the kernel reports it.
    pub recv: usize,
    /// The send buffer, as the kernel reports it.
    pub send: usize,
}

/// Asks for [`ESP_SOCKET_BUFFER`] bytes each way on `sock`: forced past the
/// system's limit when permitted, otherwise as much as the limit allows.
/// Never fails the caller: a smaller buffer costs throughput, not
/// correctness. Returns what the kernel granted.
pub fn enlarge_buffers(sock: &impl AsFd) -> std::io::Result<BufferSizes> {
    use rustix::net::sockopt;
    let fd = sock.as_fd();
    if sockopt::set_socket_recv_buffer_size_force(fd, ESP_SOCKET_BUFFER).is_err() {
        // Not permitted: the plain option is capped at rmem_max.
        let _ = sockopt::set_socket_recv_buffer_size(fd, ESP_SOCKET_BUFFER);
    }
    if sockopt::set_socket_send_buffer_size_force(fd, ESP_SOCKET_BUFFER).is_err() {
        let _ = sockopt::set_socket_send_buffer_size(fd, ESP_SOCKET_BUFFER);
    }
    Ok(BufferSizes {
        recv: sockopt::socket_recv_buffer_size(fd)?,
        send: sockopt::socket_send_buffer_size(fd)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_grow_beyond_the_default() {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let before = rustix::net::sockopt::socket_recv_buffer_size(&sock).unwrap();
        let sizes = enlarge_buffers(&sock).unwrap();
        assert!(sizes.recv >= before);
        // The forced size applies when running as root (as CI does); an
        // unprivileged run is capped at net.core.rmem_max.
        if rustix::process::geteuid().is_root() {
            assert!(sizes.recv >= ESP_SOCKET_BUFFER, "{sizes:?}");
            assert!(sizes.send >= ESP_SOCKET_BUFFER, "{sizes:?}");
        }
    }
}
