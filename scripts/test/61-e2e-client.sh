#!/usr/bin/env bash
# End-to-end tests of the client side (root: network namespaces, TUN,
# Debian's vpnc-script): every ignored test in tests/tests/e2e_client*.rs.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
    echo "61-e2e-client: needs root (network namespaces, TUN); skipped"
    exit 0
fi
. scripts/test/lib/require.sh
require 61-e2e-client iperf3:iperf3 setpriv:util-linux unshare:util-linux mount:mount ip:iproute2 ping:iputils-ping nft:nftables tshark:tshark kill:procps /usr/share/vpnc-scripts/vpnc-script:vpnc-scripts
cargo build -p oncp
cargo test -p oncp-tests --test 'e2e_client*' -- --ignored --test-threads=1
