#!/usr/bin/env bash
# Makes the capture traces in testdata/: real sessions between a VPN client
# and `oncp gateway` in two throwaway network namespaces, recorded with
# tcpdump on the client's veth, each with the TLS key log of its client.
#
#   scripts/make-captures.sh [SCENARIO...]     (root; default: all)
#
# Scenarios (each writes testdata/NAME.pcap and testdata/NAME.keys):
#   oc-esp        OpenConnect 9.01, ESP, 3 pings, logout
#   oc-tls        OpenConnect 9.01 with --no-dtls (data over TLS), 3 pings
#   oc-rekey      OpenConnect 9.01, gateway rekeys every 3 s, pings for 8 s
#   oc-lzo        OpenConnect 9.01, gateway LZO-compresses towards the client
#   oc-legacy     OpenConnect 9.01 against `oncp gateway --legacy-tls`:
#                 TLS 1.2 with RSA key exchange and AES-256-CBC-SHA256,
#                 ESP, 3 pings, logout
#   oc-legacy-sha1 the same with GnuTLS told not to offer SHA-256/384 MACs
#                 (GNUTLS_SYSTEM_PRIORITY_FILE): AES-256-CBC-SHA1
#   oncp-esp      oncp connect, ESP, 3 pings, logout
#   oncp-reconnect oncp connect; the TLS connection is reset mid-session,
#                 the client reconnects with the same cookie
#   oc-pulse-esp  OpenConnect 9.01 --protocol=pulse against `oncp gateway
#                 --protocol pulse` (password sign-in, IPv4 and IPv6 pools):
#                 ESP, 3 IPv4 pings over ESP, 3 IPv6 pings (over TLS, as
#                 OpenConnect 9.01 sends IPv6), logout
#   oc-pulse-tls  the same with --no-dtls: every packet over IF-T/TLS
#   oncp-pulse-esp oncp connect --protocol pulse against the same gateway:
#                 ESP, 3 IPv4 pings, logout
#   oc-iperf      OpenConnect 9.01 with ESP carrying iperf3 for
#                 ONCP_IPERF_SECONDS (default 30): a large capture for the
#                 decode benchmark (not kept in git; written to
#                 ${ONCP_BIG_CAPTURE_DIR:-target/captures})
#
# OpenConnect writes its key log through GnuTLS (SSLKEYLOGFILE); oncp
# connect through --keylog. Namespaces, links and processes are removed at
# exit, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "make-captures: needs root" >&2; exit 1; }
for tool in tcpdump:tcpdump openconnect:openconnect iperf3:iperf3 /usr/share/vpnc-scripts/vpnc-script:vpnc-scripts; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || [ -x "${tool%%:*}" ] ||
        { echo "make-captures: ${tool%%:*} is missing (apt-get install ${tool#*:})" >&2; exit 1; }
done
cargo build -q -p oncp
BIN=$PWD/target/debug/oncp
OUT=$PWD/testdata
DSID=capture0123456789abcdef01234567
id=$$
GW=oncpcap${id}g; CL=oncpcap${id}c; VA=ovc${id}a; VB=ovc${id}b
GWIP=192.168.250.1; CLIP=192.168.250.2
work=$(mktemp -d)
pids=()

cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true; done
    for ns in "$GW" "$CL"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

setup_net() {
    cleanup_ns
    # A fresh scenario must not find the last one's lines in the logs it waits on.
    rm -f "$work"/*.log
    ip netns add "$GW"; ip netns add "$CL"
    ip link add "$VA" type veth peer name "$VB"
    ip link set "$VA" netns "$GW"; ip link set "$VB" netns "$CL"
    ip -n "$GW" addr add $GWIP/24 dev "$VA"; ip -n "$GW" link set "$VA" up; ip -n "$GW" link set lo up
    ip -n "$CL" addr add $CLIP/24 dev "$VB"; ip -n "$CL" link set "$VB" up; ip -n "$CL" link set lo up
}

cleanup_ns() {
    for ns in "$GW" "$CL"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
}

wait_for() { # file pattern seconds
    for _ in $(seq $(( $3 * 10 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; return 1
}

start_gateway() { # extra gateway args...
    ip netns exec "$GW" "$BIN" gateway --listen $GWIP:443 --dsid $DSID --cert-name $GWIP \
        --pool 10.77.0.0/24 "$@" > "$work/gw.log" 2>&1 &
    pids+=($!)
    wait_for "$work/gw.log" PIN= 20
    PIN=$(sed -n "s/^PIN=//p" "$work/gw.log" | head -1)
    [ -n "$PIN" ] || { echo "no PIN from the gateway" >&2; cat "$work/gw.log" >&2; exit 1; }
}

start_capture() { # name
    ip netns exec "$CL" tcpdump -i "$VB" -U -s 0 -w "$work/$1.pcap" "host $GWIP" > "$work/tcpdump.log" 2>&1 &
    TCPDUMP=$!
    pids+=($TCPDUMP)
    sleep 1
}

stop_capture() { # name destination-dir
    sleep 1
    kill -INT "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true
    mkdir -p "$2"
    cp "$work/$1.pcap" "$2/$1.pcap"
    cp "$work/$1.keys" "$2/$1.keys"
    echo "made $2/$1.pcap ($(stat -c %s "$2/$1.pcap") bytes), $2/$1.keys"
}

start_openconnect() { # name extra-args...
    local name=$1; shift
    SSLKEYLOGFILE="$work/$name.keys" ip netns exec "$CL" openconnect --protocol=nc -C "DSID=$DSID" \
        --servercert "$PIN" --script /usr/share/vpnc-scripts/vpnc-script "$@" "https://$GWIP" \
        > "$work/client.log" 2>&1 &
    CLIENT=$!
    pids+=($CLIENT)
}

start_oncp() { # name extra-args...
    local name=$1; shift
    ip netns exec "$CL" "$BIN" -v connect -C "DSID=$DSID" --servercert "$PIN" --keylog "$work/$name.keys" \
        --script /usr/share/vpnc-scripts/vpnc-script "$@" "https://$GWIP" > "$work/client.log" 2>&1 &
    CLIENT=$!
    pids+=($CLIENT)
}

start_openconnect_pulse() { # name extra-args... (signs in as alice)
    local name=$1; shift
    printf 'hunter2\n' > "$work/password"
    SSLKEYLOGFILE="$work/$name.keys" ip netns exec "$CL" openconnect --protocol=pulse --non-inter \
        -u alice --passwd-on-stdin --servercert "$PIN" --script /usr/share/vpnc-scripts/vpnc-script \
        "$@" "https://$GWIP" < "$work/password" > "$work/client.log" 2>&1 &
    CLIENT=$!
    pids+=($CLIENT)
}

start_oncp_pulse() { # name extra-args... (signs in as alice)
    local name=$1; shift
    printf 'hunter2\n' > "$work/password"
    ip netns exec "$CL" "$BIN" -v connect --protocol pulse --non-inter -u alice --passwd-on-stdin \
        --servercert "$PIN" --keylog "$work/$name.keys" --script /usr/share/vpnc-scripts/vpnc-script \
        "$@" "https://$GWIP" < "$work/password" > "$work/client.log" 2>&1 &
    CLIENT=$!
    pids+=($CLIENT)
}

start_pulse_gateway() { # extra gateway args...
    start_gateway --protocol pulse --user alice:hunter2 --pool6 fd00:77::/64 "$@"
}

wait_route() { # address: until the client routes it through a TUN device
    for _ in $(seq 100); do
        ip netns exec "$CL" ip route get "$1" 2>/dev/null | grep -q ' dev tun' && return 0
        sleep 0.1
    done
    echo "no tunnel route to $1" >&2; cat "$work/client.log" >&2; return 1
}

pings6() { ip netns exec "$CL" ping -6 -c "${1:-3}" -i 0.5 -W 2 fd00:77::1 > "$work/ping6.log"; }

stop_client() {
    kill -INT "$CLIENT" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$CLIENT" 2>/dev/null || break; sleep 0.1; done
}

pings() { ip netns exec "$CL" ping -c "${1:-3}" -i 0.5 -W 2 10.77.0.1 > "$work/ping.log"; }

scenario() {
    local name=$1
    echo "== $name"
    setup_net
    case "$name" in
    oc-esp)
        start_gateway; start_capture "$name"; start_openconnect "$name"
        wait_for "$work/client.log" "ESP session established" 30; pings 3 ;;
    oc-tls)
        start_gateway; start_capture "$name"; start_openconnect "$name" --no-dtls
        wait_for "$work/client.log" "Configured as" 30; sleep 1; pings 3 ;;
    oc-rekey)
        start_gateway --rekey 3; start_capture "$name"; start_openconnect "$name"
        wait_for "$work/client.log" "ESP session established" 30; pings 16 ;;
    oc-lzo)
        start_gateway --compression; start_capture "$name"; start_openconnect "$name"
        wait_for "$work/client.log" "ESP session established" 30
        ip netns exec "$CL" ping -c 3 -i 0.5 -W 2 -s 600 -p 61 10.77.0.1 > "$work/ping.log" ;;
    oc-legacy)
        start_gateway --legacy-tls; start_capture "$name"; start_openconnect "$name"
        wait_for "$work/client.log" "ESP session established" 30; pings 3 ;;
    oc-legacy-sha1)
        printf '[overrides]\ntls-disabled-mac = sha256\ntls-disabled-mac = sha384\n' > "$work/gnutls.conf"
        start_gateway --legacy-tls; start_capture "$name"
        GNUTLS_SYSTEM_PRIORITY_FILE="$work/gnutls.conf" start_openconnect "$name"
        wait_for "$work/client.log" "ESP session established" 30; pings 3 ;;
    oncp-esp)
        start_gateway; start_capture "$name"; start_oncp "$name"
        wait_for "$work/client.log" "ESP" 30; sleep 1; pings 3 ;;
    oncp-reconnect)
        start_gateway; start_capture "$name"; start_oncp "$name"
        wait_for "$work/client.log" "ESP" 30; sleep 1; pings 2
        ip netns exec "$CL" ss -K dst $GWIP dport = 443 > /dev/null
        sleep 4; pings 2 ;;
    oc-pulse-esp)
        start_pulse_gateway; start_capture "$name"; start_openconnect_pulse "$name"
        wait_for "$work/client.log" "ESP session established" 30; pings 3
        wait_route fd00:77::1; pings6 3 ;;
    oc-pulse-tls)
        start_pulse_gateway; start_capture "$name"; start_openconnect_pulse "$name" --no-dtls
        wait_for "$work/client.log" "Configured as" 30; wait_route 10.77.0.1; pings 3
        wait_route fd00:77::1; pings6 3 ;;
    oncp-pulse-esp)
        start_pulse_gateway; start_capture "$name"; start_oncp_pulse "$name"
        wait_for "$work/client.log" "ESP" 30; sleep 1; pings 3 ;;
    oc-iperf)
        start_gateway; start_capture "$name"; start_openconnect "$name"
        wait_for "$work/client.log" "ESP session established" 30
        ip netns exec "$GW" iperf3 -s -1 -B 10.77.0.1 > "$work/iperf-s.log" 2>&1 &
        pids+=($!); sleep 1
        ip netns exec "$CL" iperf3 -c 10.77.0.1 -t "${ONCP_IPERF_SECONDS:-30}" > "$work/iperf.log" ;;
    *) echo "unknown scenario $name" >&2; exit 2 ;;
    esac
    stop_client
    if [ "$name" = oc-iperf ]; then
        stop_capture "$name" "${ONCP_BIG_CAPTURE_DIR:-$PWD/target/captures}"
    else
        stop_capture "$name" "$OUT"
    fi
    cleanup_ns
}

if [ $# -eq 0 ]; then
    set -- oc-esp oc-tls oc-rekey oc-lzo oc-legacy oc-legacy-sha1 oncp-esp oncp-reconnect \
        oc-pulse-esp oc-pulse-tls oncp-pulse-esp
fi
for s in "$@"; do scenario "$s"; done
