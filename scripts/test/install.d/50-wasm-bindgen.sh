#!/usr/bin/env bash
# Installs wasm-bindgen-cli at exactly the version of the wasm-bindgen crate
# that wasm/Cargo.toml pins, so the generated JS glue matches the .wasm.
#
# Not `--locked`: wasm-bindgen-cli 0.2.130's own lock file pins a
# webpki-roots release that has since been yanked, so a locked install fails;
# the pinned CLI version is what matters for compatibility.
set -euo pipefail
cd "$(dirname "$0")/../../.."
want=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' wasm/Cargo.toml)
[ -n "$want" ] || { echo "wasm/Cargo.toml must pin wasm-bindgen exactly" >&2; exit 1; }
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
    cargo install wasm-bindgen-cli --version "$want"
fi
