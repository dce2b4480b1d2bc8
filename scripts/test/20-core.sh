#!/usr/bin/env bash
# The core builds without std for the host and for wasm32, and every Rust
# unit, property and integration test passes.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/test/lib/require.sh
require 20-core cc:build-essential pkg-config:pkg-config /usr/include/openssl/ssl.h:libssl-dev openconnect:openconnect tshark:tshark
cargo build -p oncp-core --no-default-features
cargo build -p oncp-core --target wasm32-unknown-unknown
# The tests crate's loopback login tests run the oncp binary.
cargo build -p oncp
cargo test --workspace
