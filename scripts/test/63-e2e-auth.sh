#!/usr/bin/env bash
# Web-login end-to-end tests (root: network namespaces, TUN): OpenConnect's
# --authenticate cookie and `oncp connect -u --passwd-on-stdin` each open a
# tunnel to `oncp gateway`. The loopback login tests (auth_gateway) run
# without root in 20-core.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
    echo "63-e2e-auth: needs root (network namespaces, TUN); skipped"
    exit 0
fi
. scripts/test/lib/require.sh
require 63-e2e-auth ip:iproute2 ping:iputils-ping kill:procps openconnect:openconnect /usr/share/vpnc-scripts/vpnc-script:vpnc-scripts
cargo build -p oncp
cargo test -p oncp-tests --test e2e_auth -- --ignored --test-threads=1
