#!/usr/bin/env bash
# Interop end-to-end tests (root: network namespaces, TUN, nft): Debian's
# OpenConnect 9.01 (--protocol=nc in e2e_interop_openconnect, --protocol=pulse
# and --disable-oncp in e2e_interop_pulse) and `oncp connect` against `oncp
# gateway`; first the namespace harness's own tests (it really creates and
# removes namespaces).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
    echo "62-e2e-interop: needs root (network namespaces, TUN); skipped"
    exit 0
fi
. scripts/test/lib/require.sh
require 62-e2e-interop ip:iproute2 ping:iputils-ping nft:nftables python3:python3 kill:procps openconnect:openconnect /usr/share/vpnc-scripts/vpnc-script:vpnc-scripts
cargo build -p oncp
cargo test -p oncp-tests --lib -- --ignored --test-threads=1
cargo test -p oncp-tests --test 'e2e_interop*' -- --ignored --test-threads=1
