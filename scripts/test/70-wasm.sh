#!/usr/bin/env bash
# The WebAssembly package: builds it (wasm-bindgen + wasm-opt), runs the Node
# tests against the built package as a user imports it, and type-checks the
# TypeScript example against its declarations.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/build-wasm.sh
cd wasm
node --test test/
npx --no-install tsc --noEmit -p examples
