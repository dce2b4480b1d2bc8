#!/usr/bin/env bash
# The fuzz smoke steps need a nightly toolchain and cargo-fuzz.
set -euo pipefail
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
