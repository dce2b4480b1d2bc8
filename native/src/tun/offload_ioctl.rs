//! The one `ioctl` oncp issues itself: `TUNSETOFFLOAD`, which tells a TUN
//! device (opened with `IFF_VNET_HDR`) which offloads its reader handles,
//! so the kernel may hand over TSO/USO super-packets with partial
//! checksums. Neither the `tun` crate nor a safe wrapper (nix, rustix)
//! offers it; this module is the only place in oncp with `unsafe`.
#![allow(unsafe_code)]

use std::os::fd::AsRawFd;

/// `TUNSETOFFLOAD`: `_IOW('T', 208, unsigned int)` in the generic ioctl
/// encoding (x86, Arm, RISC-V; not MIPS, PowerPC or SPARC).
const TUNSETOFFLOAD: u32 = 0x4004_54d0;

/// Offload: checksums may be left partial.
pub const TUN_F_CSUM: u32 = libc::TUN_F_CSUM;
/// Offload: TCP segmentation, IPv4.
pub const TUN_F_TSO4: u32 = libc::TUN_F_TSO4;
/// Offload: TCP segmentation, IPv6.
pub const TUN_F_TSO6: u32 = libc::TUN_F_TSO6;
/// Offload: TCP segmentation of flows using ECN.
pub const TUN_F_TSO_ECN: u32 = libc::TUN_F_TSO_ECN;
/// Offload: UDP segmentation, IPv4 (Linux 6.2 and later).
pub const TUN_F_USO4: u32 = libc::TUN_F_USO4;
/// Offload: UDP segmentation, IPv6 (Linux 6.2 and later).
pub const TUN_F_USO6: u32 = libc::TUN_F_USO6;

/// Sets the offloads `flags` (`TUN_F_*`) on the TUN device `dev`; the
/// kernel refuses flags it does not know (`EINVAL`) and any fd that is not
/// a TUN device.
pub fn set_offload(dev: &impl AsRawFd, flags: u32) -> std::io::Result<()> {
    let fd = dev.as_raw_fd();
    // SAFETY: TUNSETOFFLOAD takes its argument by value (an unsigned long
    // holding the flags), not as a pointer, so no memory is read or
    // written through it; `fd` is borrowed from `dev` for the call, and an
    // fd that is closed or of another kind only makes the call fail.
    let r = unsafe { libc::ioctl(fd, TUNSETOFFLOAD as libc::Ioctl, libc::c_ulong::from(flags)) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_number_is_iow_t_208_unsigned_int() {
        // _IOW(type, nr, size) = dir << 30 | size << 16 | type << 8 | nr.
        let iow = (1u32 << 30) | (4 << 16) | (u32::from(b'T') << 8) | 208;
        assert_eq!(TUNSETOFFLOAD, iow);
    }

    #[test]
    fn a_file_that_is_not_a_tun_device_is_refused() {
        let f = std::fs::File::open("/dev/null").unwrap();
        let e = set_offload(&f, TUN_F_CSUM).unwrap_err();
        assert!(e.raw_os_error().is_some(), "{e}");
    }
}
