#!/usr/bin/env bash
# Builds the Debian package: target/debian/oncp_VERSION_ARCH.deb.
#
#   scripts/package-deb.sh
#
# The man pages and shell completions are generated at package time by the
# binary being packaged (`oncp man [SUBCOMMAND]`, `oncp completions SHELL`)
# into target/release/deb-assets/, then `cargo deb -p oncp --no-build`
# (cargo-deb, see scripts/test/install.d/80-cargo-deb.sh) collects them
# with the binary, the systemd unit, README and copyright
# ([package.metadata.deb] in native/Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null 2>&1 || {
    echo "package-deb: cargo-deb is missing: run scripts/test/install.d/80-cargo-deb.sh" >&2
    exit 1
}
# Without the release profile's line tables (debug = 1, kept for perf and
# benches): the package ships a stripped binary anyway, and skipping them
# makes this build and its link noticeably lighter on a 2-core CI machine.
CARGO_PROFILE_RELEASE_DEBUG=false cargo build --release -p oncp
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target/release/oncp"
out="$target/release/deb-assets"
rm -rf "$out"
mkdir -p "$out/man" "$out/completions"
"$bin" man | gzip -9n > "$out/man/oncp.1.gz"
# Every subcommand has its page, oncp-SUBCOMMAND(1), as `oncp man` lists them.
for sub in $("$bin" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && $1 != "help" && NF {print $1}'); do
    "$bin" man "$sub" | gzip -9n > "$out/man/oncp-$sub.1.gz"
done
"$bin" completions bash > "$out/completions/oncp.bash"
"$bin" completions zsh > "$out/completions/_oncp"
"$bin" completions fish > "$out/completions/oncp.fish"
# --strip: symbols out of the packaged binary.
cargo deb -p oncp --no-build --strip "$@"
