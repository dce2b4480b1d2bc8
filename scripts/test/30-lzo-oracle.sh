#!/usr/bin/env bash
# LZO1X against liblzo2: builds the C harness scripts/lzo-oracle/lzo-oracle.c
# (gcc, liblzo2-dev from apt-packages.txt) and runs core/tests/lzo_oracle.rs
# with ONCP_LZO_ORACLE pointing at it (without the variable those tests skip).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/test/lib/require.sh
require 30-lzo-oracle gcc:build-essential /usr/include/lzo/lzo1x.h:liblzo2-dev
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -Werror -o "$work/lzo-oracle" scripts/lzo-oracle/lzo-oracle.c -llzo2
ONCP_LZO_ORACLE="$work/lzo-oracle" cargo test -p oncp-core --test lzo_oracle
