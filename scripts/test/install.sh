#!/usr/bin/env bash
# Installs what the test steps need: Debian packages, the wasm32 target, and
# pinned tools. Safe to run again; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

packages=$(grep -v '^#' scripts/test/apt-packages.txt | tr '\n' ' ')
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends $missing
fi

rustup target add wasm32-unknown-unknown
rustup component add rustfmt clippy

for hook in scripts/test/install.d/*.sh; do
    [ -e "$hook" ] || continue
    "$hook"
done
