#!/usr/bin/env bash
# The Debian package (root: dpkg): scripts/package-deb.sh builds it with
# cargo-deb; it is installed with dpkg, the installed files are used
# (`oncp --version`, `man -w oncp-connect`, the completions, the unit),
# `systemd-analyze verify` checks oncp@.service where that tool exists,
# and the package is purged afterwards, also when a check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
    echo "68-package: needs root (dpkg -i); skipped"
    exit 0
fi
. scripts/test/lib/require.sh
require 68-package dpkg:dpkg dpkg-shlibdeps:dpkg-dev man:man-db gzip:gzip python3:python3
command -v cargo-deb >/dev/null 2>&1 || {
    echo "68-package: missing: cargo-deb — run scripts/test/install.d/80-cargo-deb.sh (or scripts/test/install.sh)" >&2
    exit 1
}
if dpkg-query -W -f='${Status}' oncp 2>/dev/null | grep -q "install ok installed"; then
    echo "68-package: a package named oncp is installed already; not touching it" >&2
    exit 1
fi
scripts/package-deb.sh
deb=$(ls -t target/debian/oncp_*.deb | head -n1)
echo "68-package: $deb ($(du -k "$deb" | cut -f1) KiB)"
dpkg-deb -c "$deb"

purge() { dpkg --purge oncp >/dev/null || true; }
trap purge EXIT
dpkg -i "$deb"

fail() { echo "68-package: FAILED: $*" >&2; exit 1; }
# The installed binary, not the build tree's.
[ "$(command -v oncp)" = /usr/bin/oncp ] || fail "oncp on PATH is $(command -v oncp), not /usr/bin/oncp"
want=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
got=$(/usr/bin/oncp --version)
[ "$got" = "oncp $want" ] || fail "oncp --version says '$got', want 'oncp $want'"
page=$(man -w oncp-connect) || fail "man -w oncp-connect found no page"
[ "$page" = /usr/share/man/man1/oncp-connect.1.gz ] || fail "man -w oncp-connect: $page"
zcat "$page" | grep -q -- 'cookie\\-on\\-stdin' || fail "$page lacks --cookie-on-stdin"
for sub in gateway decode cleanup man completions; do
    [ -e "/usr/share/man/man1/oncp-$sub.1.gz" ] || fail "no man page oncp-$sub(1)"
done
grep -q -- '--servercert' /usr/share/bash-completion/completions/oncp || fail "bash completion"
head -n1 /usr/share/zsh/vendor-completions/_oncp | grep -q '^#compdef oncp' || fail "zsh completion"
[ -s /usr/share/fish/vendor_completions.d/oncp.fish ] || fail "fish completion"
grep -q 'MIT or Apache-2.0' /usr/share/doc/oncp/copyright || fail "copyright"
[ -s /usr/share/doc/oncp/README.md ] || fail "README"
[ -d /etc/oncp ] && [ "$(stat -c %a /etc/oncp)" = 700 ] || fail "/etc/oncp is not a 0700 directory"
unit=/usr/lib/systemd/system/oncp@.service
grep -qx 'ExecStart=/usr/bin/oncp connect --config /etc/oncp/%i.conf' "$unit" || fail "$unit ExecStart"
grep -qx 'Type=notify' "$unit" || fail "$unit is not Type=notify"
# The example config parses as what the unit runs (up to the network).
out=$(timeout 60 /usr/bin/oncp connect --config /usr/share/doc/oncp/examples/work.conf --authenticate --non-inter \
    --resolve vpn.example.com:127.0.0.1 2>&1 || true)
case "$out" in *"--config"*|*"unexpected argument"*|*"invalid value"*) fail "example config: $out" ;; esac

if command -v systemd-analyze >/dev/null 2>&1; then
    # A template is verified through an instance of it.
    dir=$(mktemp -d)
    cp "$unit" "$dir/oncp@check.service"
    if ! systemd-analyze verify --man=no "$dir/oncp@check.service"; then
        rm -rf "$dir"
        fail "systemd-analyze verify"
    fi
    rm -rf "$dir"
    echo "68-package: systemd-analyze verify: ok"
else
    echo "68-package: systemd-analyze not installed (package systemd); unit not verified"
fi
purge
trap - EXIT
if dpkg-query -W -f='${Status}' oncp 2>/dev/null | grep -q "install ok installed"; then
    fail "still installed after --purge"
fi
[ ! -e /usr/bin/oncp ] && [ ! -e "$unit" ] || fail "files left after --purge"
[ ! -e /etc/oncp ] || fail "/etc/oncp left after --purge"
echo "68-package: ok"
