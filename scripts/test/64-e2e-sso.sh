#!/usr/bin/env bash
# SAML/SSO end-to-end tests (root: network namespaces, TUN): `oncp connect`
# signs in through Debian's Chromium, headless, driven over the DevTools
# protocol, against `oncp gateway --saml`'s mock identity provider.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
    echo "64-e2e-sso: needs root (network namespaces, TUN); skipped"
    exit 0
fi
. scripts/test/lib/require.sh
require 64-e2e-sso ip:iproute2 kill:procps chromium:chromium Xvfb:xvfb
cargo build -p oncp
cargo test -p oncp-tests --test e2e_sso -- --ignored --test-threads=1
