#!/usr/bin/env bash
# The WebAssembly package: builds it (wasm-bindgen + wasm-opt), runs the Node
# tests against the built package as a user imports it (codecs on the spec's
# examples; the Decoder's events equal `oncp decode --json` on every testdata
# trace), and type-checks the TypeScript example against its declarations.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/test/lib/require.sh
require 70-wasm node:nodejs npx:nodejs
cargo build -p oncp   # the Node tests compare with `oncp decode --json`
scripts/build-wasm.sh
cd wasm
node --test test/
npx --no-install tsc --noEmit -p examples
