#!/usr/bin/env bash
# Smoke runs of the trace decoder fuzz targets: pcap_reader (the whole
# decoder from capture bytes, seeded with the testdata captures) and
# tcp_reassembly. ONCP_FUZZ_SECONDS sets each run's time (default 20).
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for f in testdata/*.pcap; do
    # First byte: chunk size selector of the target.
    { printf '\x5d'; cat "$f"; } > "$corpus/$(basename "$f").seed"
done
if rustup toolchain list | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi
cd fuzz
"${fuzz[@]}" run pcap_reader "$corpus" -- \
    -max_total_time="${ONCP_FUZZ_SECONDS:-20}" -max_len=65536
"${fuzz[@]}" run tcp_reassembly -- -max_total_time="${ONCP_FUZZ_SECONDS:-20}"
