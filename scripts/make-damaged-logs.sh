#!/bin/sh
# Makes testdata/logs/damaged/ and testdata/logs/hex/ from the captured
# logs and capture (see testdata/logs/README.md): hand-damaged copies of
# OpenConnect logs, and one KMP 301 (from testdata/oc-esp.pcap, decrypted
# by `oncp decode --hex`) in each bare hex shape. Deterministic; needs
# python3, xxd and hexdump (bsdextrautils).
#
#   scripts/make-damaged-logs.sh      # after scripts/make-logs.sh
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-target/debug}
L=testdata/logs
D=$L/damaged
H=$L/hex
mkdir -p "$D" "$H"

python3 - "$L" "$D" <<'PY'
import sys, textwrap
L, D = sys.argv[1], sys.argv[2]
read = lambda n: open(f"{L}/{n}.log").read().splitlines()
write = lambda n, lines: open(f"{D}/{n}.log", "w").write("\n".join(lines) + "\n")

# A mail client wrapped every line at 60 columns.
out = []
for l in read("oc-status-08"):
    out += textwrap.wrap(l, 60, break_long_words=False, drop_whitespace=True) or [""]
write("oc-status-08-wrapped", out)

# The hostname packet's record length edited by hand: 0x13 -> 0x12.
write("oc-good-edited-length", [
    l.replace("> 0000:  13 00", "> 0000:  12 00") for l in read("oc-good")])

# Cut: the hostname dump's second line is missing, and the paste ends in
# the middle of the status dump.
lines = read("oc-zero-record")
out = []
for l in lines:
    if l.startswith("> 0010:"):
        continue
    if l.startswith("< 0000:"):
        out.append("< 0000:  00 00")
        break
    out.append(l)
write("oc-zero-record-cut", out)

# Two logs pasted one after the other.
write("two-logs", read("oc-cookie-rejected") + read("oc-status-08"))

# Only the hex, without OpenConnect's direction markers, as plain pairs.
out = []
for l in read("oc-zero-record"):
    if l[:2] in ("< ", "> ") and l[6:7] == ":" and all(c in "0123456789abcdef" for c in l[2:6]):
        out.append(l[9:58].strip())
    elif out and out[-1] != "":
        out.append("")
write("no-direction", out)
PY

# One KMP 301 (223 bytes) as `oncp decode --hex` shows it, then as bytes.
"$BIN/oncp" decode testdata/oc-esp.pcap --keylog testdata/oc-esp.keys --hex --show-secrets 2>/dev/null |
    python3 -c '
import sys
on = False
for l in sys.stdin:
    if "KMP 301 configuration" in l:
        on = True
    elif on and l.startswith("    ") and l[4:8].isalnum():
        print(l.rstrip())
    elif on:
        break
' > "$H/tshark-301.log"
python3 - "$H" <<'PY'
import sys
H = sys.argv[1]
rows = open(f"{H}/tshark-301.log").read().splitlines()
data = bytes.fromhex("".join(r[10:57] for r in rows))
open(f"{H}/kmp301.bin", "wb").write(data)
open(f"{H}/plain-301.log", "w").write(
    "\n".join(" ".join(f"{b:02x}" for b in data[i:i + 24]) for i in range(0, len(data), 24)) + "\n")
# The KMP length edited by hand: 0x00cb -> 0x00cc (one byte more than follows).
edited = bytearray(data)
edited[19] = 0xcc
open(f"{H}/plain-301-edited.log", "w").write(" ".join(f"{b:02x}" for b in edited) + "\n")
PY
xxd "$H/kmp301.bin" > "$H/xxd-301.log"
hexdump -C "$H/kmp301.bin" > "$H/hexdump-301.log"
rm "$H/kmp301.bin"
ls -l "$D" "$H"
