#!/usr/bin/env bash
# Builds the oncp-wasm npm package: the wasm module for Node.js
# (wasm/pkg/node) and for browsers/bundlers (wasm/pkg/web), with
# wasm-bindgen-cli (pinned to the crate's wasm-bindgen version by
# scripts/test/install.d/50-wasm-bindgen.sh) and `wasm-opt -Oz` from the
# npm `binaryen` package pinned in wasm/package-lock.json (Debian's
# binaryen is too old for the wasm features current rustc emits).
# Prints the optimised module's size and gzipped size.
set -euo pipefail
# A step that fails quietly (npm, wasm-opt) is named, not just an exit code.
trap 'echo "build-wasm: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
cargo build -p oncp-wasm --profile wasm-release --target wasm32-unknown-unknown
wasm=target/wasm32-unknown-unknown/wasm-release/oncp_wasm.wasm
(cd wasm && npm ci --no-audit --no-fund --loglevel=error)
for target in nodejs web; do
    out=wasm/pkg/$([ "$target" = nodejs ] && echo node || echo web)
    rm -rf "$out"
    wasm-bindgen "$wasm" --target "$target" --typescript --out-dir "$out"
    wasm/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
        --enable-sign-ext --enable-mutable-globals \
        "$out/oncp_wasm_bg.wasm" -o "$out/oncp_wasm_bg.wasm"
done
# wasm-bindgen writes the crate's inline JavaScript (event_objects.rs) as ES
# modules, and its nodejs output require()s them; the package is CommonJS
# and Node before 20.19 cannot require an ES module, so the Node copy of
# each snippet becomes CommonJS: `export function f` is exported by name.
for js in wasm/pkg/node/snippets/*/*.js; do
    sed -i -E 's/^export function ([A-Za-z0-9_]+)/exports.\1 = \1;\nfunction \1/' "$js"
    if grep -qE '^\s*(export|import)\b' "$js"; then
        echo "build-wasm: $js still has ES module syntax" >&2
        exit 1
    fi
done
size=$(stat -c %s wasm/pkg/web/oncp_wasm_bg.wasm)
gz=$(gzip -9 -c wasm/pkg/web/oncp_wasm_bg.wasm | wc -c)
echo "oncp_wasm_bg.wasm: $size bytes, $gz bytes gzipped"
