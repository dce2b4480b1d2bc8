#!/usr/bin/env bash
# Smoke run of every cargo-fuzz target in fuzz/fuzz_targets/ (a new target
# needs no change here): ONCP_FUZZ_SECONDS each (default 30), seeded with
# fuzz/seeds/<target>/ when that exists. Targets that have a step of their
# own (a scripts/test/*.sh running `fuzz run <target>`) are left to it.
# Uses the nightly toolchain when installed, otherwise stable with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags for the sanitizer).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${ONCP_FUZZ_SECONDS:-30}"

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
if rustup toolchain list | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi

targets=()
for f in fuzz/fuzz_targets/*.rs; do
    t=$(basename "$f" .rs)
    if grep -q --exclude="$(basename "$0")" -- "fuzz run $t\b" scripts/test/*.sh; then
        echo "40-fuzz-smoke: $t has its own step; skipped here"
        continue
    fi
    targets+=("$t")
done
[ ${#targets[@]} -gt 0 ] || exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd fuzz && "${fuzz[@]}" build)
for t in "${targets[@]}"; do
    corpus="$work/$t"
    mkdir -p "$corpus"
    if [ -d "fuzz/seeds/$t" ]; then
        cp -r "fuzz/seeds/$t/." "$corpus/"
    fi
    echo "40-fuzz-smoke: $t for ${seconds}s"
    (cd fuzz && "${fuzz[@]}" run "$t" "$corpus" -- -max_total_time="$seconds" -max_len=65536)
done
