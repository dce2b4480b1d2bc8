#!/usr/bin/env bash
# The browser trace analyser (wasm/www) in headless Chromium (Debian's
# `chromium`, driven by playwright-core from wasm/package-lock.json): loads
# testdata/oc-esp.pcap + .keys and the Pulse capture oc-pulse-esp through the
# page's file inputs and checks the page against `oncp decode --json`; saves
# target/artifacts/browser-oc-esp.png and browser-oc-pulse-esp.png.
# Reuses wasm/pkg when 70-wasm already built it from the current sources;
# builds it otherwise, so the step also works alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/test/lib/require.sh
require 71-browser node:nodejs npm:nodejs chromium:chromium
cargo build -p oncp   # the test compares with `oncp decode --json`
wasm=wasm/pkg/web/oncp_wasm_bg.wasm
if [ ! -f "$wasm" ] || [ -n "$(find Cargo.toml Cargo.lock wasm/Cargo.toml wasm/src core/Cargo.toml core/src \
        -newer "$wasm" -print -quit)" ]; then
    scripts/build-wasm.sh
fi
[ -d wasm/node_modules/playwright-core ] || (cd wasm && npm ci --no-audit --no-fund --silent)
cd wasm
ONCP_BROWSER_TEST=1 node --test test/browser.test.mjs
