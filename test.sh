#!/usr/bin/env bash
# The test command: installs everything the tests need on a fresh Debian
# machine (as root) and runs every test suite of the project, in order.
#
#   ./test.sh            install, then run every step
#   ONCP_SKIP_INSTALL=1 ./test.sh   run the steps only
#   ./test.sh 20-core    run only the steps whose name contains "20-core"
#
# Each step is a script in scripts/test/NN-name.sh; they run in name order and
# the first failure stops the run.
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${ONCP_SKIP_INSTALL:-}" ]; then
    scripts/test/install.sh
fi
filter="${1:-}"
for step in scripts/test/[0-9]*.sh; do
    case "$step" in *"$filter"*) ;; *) continue ;; esac
    echo "=== $(basename "$step") ($(date +%T))"
    start=$(date +%s)
    "$step"
    echo "=== $(basename "$step") passed in $(( $(date +%s) - start ))s"
done
echo "=== all test steps passed"
