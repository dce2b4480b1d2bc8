#!/bin/sh
# Makes the logs of testdata/logs/ (see its README): Debian's OpenConnect
# 9.01 (`openconnect --protocol=nc -vvv --dump-http-traffic`) and
# `oncp connect -vv` against `oncp gateway` or the hostile test gateway,
# each run in its own network namespace on its loopback only (removed at
# the end, also on failure). Root; needs openconnect, nft and built
# binaries (cargo build -p oncp -p oncp-tests).
#
#   scripts/make-logs.sh [NAME...]     # all, or only these (e.g. oc-good)
#   BIN=target/release scripts/make-logs.sh   # binaries from elsewhere
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-target/debug}
ONLY="$*"
OUT=testdata/logs
GOOD_DSID=0123456789abcdef0123456789abcdef
mkdir -p "$OUT"

# run NAME SECONDS GATEWAY-ARGV... -- CLIENT-ARGV...
# Starts the gateway (it prints PIN=), then the client with @PIN@ replaced,
# for at most SECONDS (then SIGINT); the client's output is the log.
run() {
    name=$1 secs=$2
    shift 2
    case " $ONLY " in
        "  " | *" $name "*) ;;
        *) return 0 ;;
    esac
    ns="oncpx-$name-$$"
    ip netns add "$ns"
    gw_pid=
    cleanup() {
        if [ -n "$gw_pid" ]; then kill "$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; fi
        ip netns del "$ns" 2>/dev/null || true
    }
    trap cleanup EXIT
    ip netns exec "$ns" ip link set lo up
    gw=""
    while [ "$1" != "--" ]; do gw="$gw $1"; shift; done
    shift
    # shellcheck disable=SC2086
    ip netns exec "$ns" $gw > "/tmp/oncpx-$name.gw" 2>&1 &
    gw_pid=$!
    for _ in $(seq 1 100); do
        grep -q '^PIN=' "/tmp/oncpx-$name.gw" 2>/dev/null && break
        sleep 0.2
    done
    pin=$(sed -n 's/^PIN=//p' "/tmp/oncpx-$name.gw" | head -n1)
    if [ "${NFT:-}" ]; then
        ip netns exec "$ns" nft add table inet oncpx
        ip netns exec "$ns" nft add chain inet oncpx in '{ type filter hook input priority 0; }'
        ip netns exec "$ns" nft add rule inet oncpx in udp dport 4500 drop
    fi
    client=""
    for a in "$@"; do client="$client $(printf %s "$a" | sed "s|@PIN@|$pin|")"; done
    # shellcheck disable=SC2086
    timeout -s INT "$secs" ip netns exec "$ns" $client > "$OUT/$name.log" 2>&1 || true
    cleanup
    trap - EXIT
    echo "$OUT/$name.log: $(wc -l < "$OUT/$name.log") lines"
}

ONCP="$BIN/oncp gateway --listen 127.0.0.1:4443 --esp-port 4500 --echo --dsid $GOOD_DSID"
HOSTILE="$BIN/oncp-hostile-gateway --listen 127.0.0.1:4443 --esp-port 4500 --mode"
OC="openconnect --protocol=nc -vvv --dump-http-traffic --local-hostname debian -S --script true --servercert @PIN@"

run oc-good 8 $ONCP -- $OC -C DSID=$GOOD_DSID https://127.0.0.1:4443/
run oc-cookie-rejected 8 $ONCP -- $OC -C DSID=ffffffffffffffffffffffffffffffff https://127.0.0.1:4443/
run oc-status-08 8 $HOSTILE status-08 -- $OC -C DSID=$GOOD_DSID https://127.0.0.1:4443/
run oc-zero-record 8 $HOSTILE zero-record -- $OC -C DSID=$GOOD_DSID https://127.0.0.1:4443/
run oc-default-route 8 $HOSTILE default-route -- $OC -C DSID=$GOOD_DSID https://127.0.0.1:4443/
run oc-split-config 8 $HOSTILE split-config -- $OC -C DSID=$GOOD_DSID https://127.0.0.1:4443/
NFT=1 run oc-udp-blocked 15 $ONCP --dpd 3 -- $OC -C DSID=$GOOD_DSID https://127.0.0.1:4443/
run oncp-tls-legacy 20 $BIN/oncp gateway --listen 127.0.0.1:4443 --esp-port 4500 --echo --dsid $GOOD_DSID --legacy-tls -- \
    $BIN/oncp connect -vv --tls-backend rustls --servercert @PIN@ -C DSID=$GOOD_DSID https://127.0.0.1:4443/
