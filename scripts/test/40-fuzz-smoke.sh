#!/usr/bin/env bash
# Smoke run of every cargo-fuzz target in fuzz/fuzz_targets/ (a new target
# needs no change here): ONCP_FUZZ_SECONDS each (default 30), one process,
# seeded with fuzz/seeds/<target>/ plus, for three targets, seeds made from
# the project's own data: tls_records from the real TLS sessions in
# core/tests/fixtures/tls, pcap_reader from the testdata captures (first
# byte: the target's chunk-size selector), explain_log from the logs in
# testdata/logs. A crash, an assertion or a
# 10-second input fails the step.
# Uses the nightly toolchain when installed, otherwise stable with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags for the sanitizer).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/test/lib/require.sh
require 40-fuzz-smoke cc:build-essential
seconds="${ONCP_FUZZ_SECONDS:-30}"

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
if rustup toolchain list | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd fuzz && "${fuzz[@]}" build)
for f in fuzz/fuzz_targets/*.rs; do
    t=$(basename "$f" .rs)
    corpus="$work/$t"
    mkdir -p "$corpus"
    if [ -d "fuzz/seeds/$t" ]; then
        cp -r "fuzz/seeds/$t/." "$corpus/"
    fi
    case "$t" in
        tls_records)
            for d in core/tests/fixtures/tls/*/; do
                cp "$d/transcript.bin" "$corpus/$(basename "$d")"
            done ;;
        pcap_reader)
            for p in testdata/*.pcap; do
                { printf '\x5d'; cat "$p"; } > "$corpus/$(basename "$p").seed"
            done ;;
        explain_log)
            for l in testdata/logs/*.log testdata/logs/*/*.log; do
                cp "$l" "$corpus/$(basename "$(dirname "$l")")-$(basename "$l")"
            done ;;
    esac
    echo "40-fuzz-smoke: $t for ${seconds}s ($(ls "$corpus" | wc -l) seeds)"
    if ! (cd fuzz && "${fuzz[@]}" run "$t" "$corpus" -- \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1) \
        >"$work/$t.log" 2>&1; then
        tail -n 80 "$work/$t.log" >&2
        echo "40-fuzz-smoke: $t failed (the input is in fuzz/artifacts/$t/)" >&2
        exit 1
    fi
    grep -E '^Done|^stat::number_of_executed_units' "$work/$t.log"
done
