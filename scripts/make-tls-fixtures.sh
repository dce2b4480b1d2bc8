#!/bin/sh
# Regenerates the TLS decryption fixtures in core/tests/fixtures/tls/.
#
# For each case an `openssl s_server -rev` (answers every line reversed) listens
# on loopback, a tiny recording TCP proxy sits in front of it, and
# `openssl s_client -keylogfile` sends a few known lines through the proxy. The
# proxy writes the two raw TCP byte streams; s_client writes the NSS key log.
# Each case directory then holds:
#   transcript.bin  the TCP payload in arrival order, as chunks:
#               direction (0 = client->server, 1 = server->client),
#               length (u32 big-endian), bytes
#   keylog.txt  the key log written by s_client
#   input.txt   the lines the client typed (what the server must receive,
#               minus the s_client command lines `k`/`K`, see below)
#   case.txt    the s_server/s_client options used
# core/tests/tls_fixtures.rs decrypts them and checks that the client->server
# plaintext equals input.txt (command lines removed) and that the server
# answered each line reversed.
#
# Lines `k` / `K` are s_client commands (TLS 1.3 KeyUpdate, without / with
# update_requested) and `R` renegotiates (TLS 1.2), so they exercise key
# changes and are not sent as data.
#
# Cases named *_resumed first make an unrecorded connection to get a session,
# then record a second connection that resumes it (TLS 1.2 abbreviated
# handshake / TLS 1.3 PSK).
#
# Needs: openssl (3.x), python3. Uses only 127.0.0.1. Usage:
#   scripts/make-tls-fixtures.sh [OUTDIR]   (default core/tests/fixtures/tls)
#   ONLY=tls13_hrr scripts/make-tls-fixtures.sh   (only cases containing ONLY)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/core/tests/fixtures/tls}
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

mkdir -p "$OUT"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -days 3650 -subj /CN=oncp-fixture >/dev/null 2>&1

# OpenSSL 3.0's s_server has no -no_ems and refuses client-initiated
# renegotiation: SSL_CONF sections (-ssl_config NAME) change that.
cat >"$WORK/openssl.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
noems = noems_sect
reneg = reneg_sect
[noems_sect]
Options = -ExtendedMasterSecret
[reneg_sect]
Options = ClientRenegotiation
EOF

cat >"$WORK/proxy.py" <<'EOF'
# Accepts one connection on 127.0.0.1:<listen>, relays it to 127.0.0.1:<upstream>
# and records the bytes of both directions in arrival order. Prints "ready"
# once listening.
import selectors, socket, struct, sys
listen, upstream, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", listen)); ls.listen(1); print("ready", flush=True)
ls.settimeout(20)
client, _ = ls.accept()
server = socket.create_connection(("127.0.0.1", upstream))
out = open(path, "wb")
tag = {client: 0, server: 1}
peer = {client: server, server: client}
sel = selectors.DefaultSelector()
for s in (client, server):
    sel.register(s, selectors.EVENT_READ)
open_count = 2
while open_count:
    for key, _ in sel.select(timeout=20):
        s = key.fileobj
        data = s.recv(65536)
        if data:
            out.write(struct.pack(">BI", tag[s], len(data)) + data)
            peer[s].sendall(data)
        else:
            sel.unregister(s)
            open_count -= 1
            try:
                peer[s].shutdown(socket.SHUT_WR)
            except OSError:
                pass
out.close()
EOF

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# make_case NAME "SERVER OPTIONS" "CLIENT OPTIONS" INPUT_LINES...
make_case() {
    name=$1 sopts=$2 copts=$3
    shift 3
    case "$name" in *"${ONLY:-}"*) ;; *) return 0 ;; esac
    accepts=1
    case "$name" in *_resumed) accepts=2 ;; esac
    dir="$OUT/$name"
    rm -rf "$dir"
    mkdir -p "$dir"
    : >"$dir/input.txt"
    for line in "$@"; do printf '%s\n' "$line" >>"$dir/input.txt"; done
    printf 'server: %s\nclient: %s\n' "$sopts" "$copts" >"$dir/case.txt"

    sport=$(free_port)
    pport=$(free_port)
    # `-ssl_config noems` needs the config file defining that section.
    server_env=""
    case "$sopts" in *-ssl_config*) server_env="OPENSSL_CONF=$WORK/openssl.cnf" ;; esac
    # shellcheck disable=SC2086
    env $server_env openssl s_server -accept "127.0.0.1:$sport" -cert "$WORK/cert.pem" \
        -key "$WORK/key.pem" -rev -naccept $accepts $sopts >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    if [ $accepts = 2 ]; then
        sleep 0.3
        # shellcheck disable=SC2086
        { printf 'prime\n'; sleep 0.5; } | openssl s_client -connect "127.0.0.1:$sport" \
            -servername fixture.oncp.test -sess_out "$WORK/session.pem" $copts >/dev/null 2>&1 || true
        copts="$copts -sess_in $WORK/session.pem"
    fi
    python3 "$WORK/proxy.py" "$pport" "$sport" "$dir/transcript.bin" >"$WORK/proxy.out" &
    proxy_pid=$!
    i=0
    until grep -q ready "$WORK/proxy.out" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "proxy did not start" >&2; exit 1; }
        sleep 0.05
    done
    sleep 0.3
    rm -f "$dir/keylog.txt"
    # One line at a time with pauses so each becomes its own record and the
    # answer arrives before the next line.
    {
        for line in "$@"; do printf '%s\n' "$line"; sleep 0.3; done
    } | openssl s_client -connect "127.0.0.1:$pport" -servername fixture.oncp.test \
        -keylogfile "$dir/keylog.txt" $copts >"$WORK/client.log" 2>&1 || true
    wait "$proxy_pid" || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    grep -E '^(New|Reused|Protocol|Cipher)' "$WORK/client.log" | head -3 | sed "s/^/$name: /"
}

LONG=$(python3 -c 'print("".join(chr(97 + i % 26) for i in range(3000)))')

make_case tls13_aes128gcm "-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256" "" \
    "hello over TLS 1.3 AES-128-GCM" k "after a key update" K "after a requested key update" "$LONG"
make_case tls13_aes256gcm "-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384" "" \
    "hello over TLS 1.3 AES-256-GCM" k "after a key update"
make_case tls13_chacha20 "-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256" "" \
    "hello over TLS 1.3 ChaCha20-Poly1305" K "after a requested key update"
make_case tls12_ecdhe_aes128gcm "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256" "" \
    "hello over TLS 1.2 ECDHE AES-128-GCM" "$LONG"
make_case tls12_ecdhe_aes256gcm "-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384" "" \
    "hello over TLS 1.2 ECDHE AES-256-GCM"
make_case tls12_ecdhe_chacha20 "-tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305" "" \
    "hello over TLS 1.2 ECDHE ChaCha20-Poly1305"
make_case tls12_ecdhe_aes128cbc_sha_etm "-tls1_2 -cipher ECDHE-RSA-AES128-SHA" "" \
    "hello over TLS 1.2 ECDHE AES-128-CBC SHA1 encrypt-then-MAC" "$LONG"
make_case tls12_ecdhe_aes256cbc_sha_mte "-tls1_2 -cipher ECDHE-RSA-AES256-SHA -no_etm" "" \
    "hello over TLS 1.2 ECDHE AES-256-CBC SHA1 MAC-then-encrypt"
make_case tls12_ecdhe_aes128cbc_sha256_mte "-tls1_2 -cipher ECDHE-RSA-AES128-SHA256 -no_etm -max_send_frag 512" "" \
    "hello over TLS 1.2 ECDHE AES-128-CBC SHA256, small server records" "$LONG"
make_case tls12_ecdhe_aes256cbc_sha384_etm "-tls1_2 -cipher ECDHE-RSA-AES256-SHA384" "" \
    "hello over TLS 1.2 ECDHE AES-256-CBC SHA384 encrypt-then-MAC"
make_case tls12_rsa_aes256cbc_sha256_mte "-tls1_2 -cipher AES256-SHA256 -no_etm" "" \
    "hello over TLS 1.2 RSA key exchange AES-256-CBC SHA256"
make_case tls12_rsa_aes128cbc_sha_etm "-tls1_2 -cipher AES128-SHA" "" \
    "hello over TLS 1.2 RSA key exchange AES-128-CBC SHA1 encrypt-then-MAC"
make_case tls12_ecdhe_aes128gcm_renegotiated "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -ssl_config reneg" "" \
    "hello before a renegotiation" R "hello after a renegotiation"
make_case tls12_rsa_aes128cbc_sha_renegotiated "-tls1_2 -cipher AES128-SHA -ssl_config reneg" "" \
    "hello before an RSA renegotiation" R "hello after an RSA renegotiation"
make_case tls12_rsa_aes128cbc_sha256_noems "-tls1_2 -cipher AES128-SHA256 -ssl_config noems" "" \
    "hello over TLS 1.2 RSA key exchange without extended master secret"
make_case tls11_rsa_aes128cbc_sha "-tls1_1 -cipher AES128-SHA@SECLEVEL=0 -no_etm" "-cipher AES128-SHA@SECLEVEL=0" \
    "hello over TLS 1.1 RSA key exchange AES-128-CBC SHA1"
make_case tls10_ecdhe_aes256cbc_sha "-tls1 -cipher ECDHE-RSA-AES256-SHA@SECLEVEL=0 -no_etm" "-cipher ECDHE-RSA-AES256-SHA@SECLEVEL=0" \
    "hello over TLS 1.0 ECDHE AES-256-CBC SHA1" "second record, chained IV"

make_case tls13_hrr "-tls1_3 -groups P-256" "" \
    "hello after a HelloRetryRequest"
make_case tls13_aes128gcm_resumed "-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256" "" \
    "hello over a resumed TLS 1.3 session"
make_case tls12_ecdhe_aes128gcm_resumed "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256" "" \
    "hello over a resumed TLS 1.2 session"

echo "fixtures written to $OUT"
