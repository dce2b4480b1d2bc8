#!/usr/bin/env bash
# Smoke run of the TLS fuzz target (record layer, handshake, decryption, gap
# resynchronisation), seeded with the real sessions in core/tests/fixtures/tls.
# ONCP_FUZZ_SECONDS sets the run time (default 30).
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for d in core/tests/fixtures/tls/*/; do
    cp "$d/transcript.bin" "$corpus/$(basename "$d")"
done
cd fuzz
cargo +nightly fuzz run tls_records "$corpus" -- \
    -max_total_time="${ONCP_FUZZ_SECONDS:-30}" -max_len=65536
