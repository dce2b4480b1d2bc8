#!/usr/bin/env bash
# Builds the Debian package: target/debian/oncp_VERSION_ARCH.deb.
#
#   scripts/package-deb.sh
#
# The man pages and shell completions are generated at package time by the
# binary being packaged (`oncp man [SUBCOMMAND]`, `oncp completions SHELL`)
# into target/dist/deb-assets/, then `cargo deb -p oncp --profile dist
# --no-build`
# (cargo-deb, see scripts/test/install.d/80-cargo-deb.sh) collects them
# with the binary, the systemd unit, README and copyright
# ([package.metadata.deb] in native/Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null 2>&1 || {
    echo "package-deb: cargo-deb is missing: run scripts/test/install.d/80-cargo-deb.sh" >&2
    exit 1
}
# The `dist` profile (Cargo.toml): fat LTO, no line tables; the package
# ships a stripped binary anyway.
cargo build --profile dist -p oncp
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target/dist/oncp"
out="$target/dist/deb-assets"
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
# --strip: symbols out of the packaged binary. cargo-deb reads the
# `target/release/` prefix of [package.metadata.deb] assets as the build
# directory of the profile it is given, here target/dist/.
cargo deb -p oncp --profile dist --no-build --strip "$@"
