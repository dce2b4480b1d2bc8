#!/usr/bin/env bash
# cargo-deb for scripts/package-deb.sh and scripts/test/68-package.sh,
# pinned, built with its own lock file (about 3 minutes on 2 cores).
set -euo pipefail
version=3.8.0
if ! cargo deb --version 2>/dev/null | grep -qx "cargo-deb $version"; then
    cargo install --locked "cargo-deb@$version"
fi
