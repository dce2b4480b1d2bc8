#!/usr/bin/env bash
# LZO1X against liblzo2: builds the C harness scripts/lzo-oracle/lzo-oracle.c
# (gcc, liblzo2-dev from apt-packages.txt) and runs core/tests/lzo_oracle.rs
# with ONCP_LZO_ORACLE pointing at it (without the variable those tests skip).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -Werror -o "$work/lzo-oracle" scripts/lzo-oracle/lzo-oracle.c -llzo2
ONCP_LZO_ORACLE="$work/lzo-oracle" cargo test -p oncp-core --test lzo_oracle
