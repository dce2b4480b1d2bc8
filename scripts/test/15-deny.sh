#!/usr/bin/env bash
# cargo deny check with deny.toml: licences, bans (duplicate versions, each
# allowed one justified there), sources, and the RustSec advisories.
# The advisory database is fetched from GitHub; when GitHub cannot be
# reached, an already fetched copy is used (its age is printed), and
# without one the advisories are skipped with a warning, so an offline
# machine still checks the rest.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/test/lib/require.sh
require 15-deny git:git
command -v cargo-deny >/dev/null 2>&1 || scripts/test/install.d/70-cargo-deny.sh
db_url=https://github.com/RustSec/advisory-db
if timeout 20 git ls-remote "$db_url" HEAD >/dev/null 2>&1; then
    cargo deny check
    exit 0
fi
# --offline reads the dependency graph for every platform in deny.toml,
# so the crates of all of them must be in the local registry first.
cargo fetch --locked
db=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/advisory-dbs/advisory-db-*/ 2>/dev/null | head -n 1 || true)
if [ -n "$db" ] && [ -d "$db/.git" ]; then
    echo "15-deny: $db_url unreachable; using the local copy from $(git -C "$db" log -1 --format=%cs)" >&2
    cargo deny --offline check
else
    echo "15-deny: WARNING: $db_url unreachable and no local copy: advisories NOT checked" >&2
    cargo deny --offline check bans licenses sources
fi
