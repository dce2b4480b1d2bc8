#!/usr/bin/env bash
# cargo-deny for scripts/test/15-deny.sh, pinned. Built from source with its
# lock file: about 20 minutes of wall time on a busy 2-core machine (GitHub
# release binaries were not reachable from the machine it was measured on).
set -euo pipefail
version=0.20.2
if ! cargo deny --version 2>/dev/null | grep -qx "cargo-deny $version"; then
    cargo install --locked "cargo-deny@$version"
fi
