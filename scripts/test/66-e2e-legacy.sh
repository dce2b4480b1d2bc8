#!/usr/bin/env bash
# The legacy TLS backend end to end (root: network namespaces, TUN):
# `oncp gateway --legacy-tls` (OpenSSL, TLS 1.2 RSA-kex AES-CBC only),
# `oncp connect` falling back from rustls to OpenSSL, OpenConnect 9.01, and
# a --servercert mismatch refused on the OpenSSL backend. Also checks that
# the rustls-only build (no legacy-tls feature) still builds.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/test/lib/require.sh
require 66-e2e-legacy ldd:libc-bin pkg-config:pkg-config /usr/include/openssl/ssl.h:libssl-dev
cargo build -p oncp --no-default-features
# The rustls-only binary: no OpenSSL linked, and the legacy options say why
# they cannot work.
# (ldd's output is taken first: `ldd | grep -q` under pipefail fails at
# random when grep exits before ldd has written everything.)
if grep -q libssl <<<"$(ldd target/debug/oncp)"; then
    echo "66-e2e-legacy: the --no-default-features binary links OpenSSL" >&2
    exit 1
fi
if out=$(target/debug/oncp gateway --legacy-tls --echo --listen 127.0.0.1:0 2>&1); then
    echo "66-e2e-legacy: gateway --legacy-tls started without the feature" >&2
    exit 1
fi
grep -q "built without the legacy-tls feature" <<<"$out" || { echo "$out" >&2; exit 1; }
cargo build -p oncp
grep -q libssl <<<"$(ldd target/debug/oncp)" || {
    echo "66-e2e-legacy: the default binary does not link OpenSSL" >&2
    exit 1
}
if [ "$(id -u)" != 0 ]; then
    echo "66-e2e-legacy: needs root (network namespaces, TUN); e2e skipped"
    exit 0
fi
require 66-e2e-legacy ip:iproute2 ping:iputils-ping kill:procps openconnect:openconnect /usr/share/vpnc-scripts/vpnc-script:vpnc-scripts
cargo test -p oncp-tests --test e2e_legacy_tls -- --ignored --test-threads=1
