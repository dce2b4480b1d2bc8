#!/usr/bin/env bash
# DNS without --script (root: network namespaces, mount namespaces, a
# private dbus-daemon): systemd-resolved's resolve1 calls (a recording
# stand-in on a real bus), /etc/resolv.conf rewritten and restored
# (bind-mounted scratch file), read-only and changed-meanwhile files, and
# SIGKILL followed by the next connect and by `oncp cleanup`.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
    echo "67-e2e-dns: needs root (network and mount namespaces, TUN); skipped"
    exit 0
fi
. scripts/test/lib/require.sh
require 67-e2e-dns ip:iproute2 ping:iputils-ping kill:procps dbus-daemon:dbus-daemon unshare:util-linux mount:mount
cargo build -p oncp -p oncp-tests --bins
cargo test -p oncp-tests --test e2e_dns -- --ignored --test-threads=1
