#!/usr/bin/env bash
# Fault-injection end-to-end tests (issue #9; root: network namespaces,
# TUN, nft, tc, iperf3, vpnc-script): every ignored test in
# tests/tests/e2e_faults*.rs — TLS dropped mid-transfer, UDP blocked and
# unblocked, a lossy/reordering/slow link, rekeys under load, bad and
# expired cookies, a vanished gateway, a wrong certificate, hostile
# gateways. Each test prints a "FIGURE …" line with what it measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
    echo "65-e2e-faults: needs root (network namespaces, TUN); skipped"
    exit 0
fi
. scripts/test/lib/require.sh
require 65-e2e-faults ip:iproute2 tc:iproute2 ping:iputils-ping nft:nftables iperf3:iperf3 ethtool:ethtool python3:python3 timeout:coreutils kill:procps /usr/share/vpnc-scripts/vpnc-script:vpnc-scripts
cargo build -p oncp
cargo test -p oncp-tests --test 'e2e_faults*' -- --ignored --test-threads=1 --nocapture
