#!/usr/bin/env python3
"""Generates ESP test vectors for oncp with an independent implementation
(Python `cryptography` for AES-CBC, the standard library for HMAC).

Writes core/tests/vectors/esp.txt: one block per packet, fields
`cipher integrity spi seq enc_key mac_key iv next_header payload packet`,
hex-encoded. Packets of one SA have consecutive sequence numbers from 0, as
an oNCP sender produces them. Deterministic: keys, IVs and payloads come
from SHA-256 of fixed labels, so re-running gives the same file.

Usage: scripts/esp-vectors.py > core/tests/vectors/esp.txt
       scripts/esp-vectors.py --fuzz-seeds fuzz/seeds/esp_decrypt

The second form writes seed inputs for the `esp_decrypt` fuzz target
(format in fuzz/fuzz_targets/esp_decrypt.rs): valid packets, a replay and a
reordering under the target's fixed SA, one file per cipher/MAC pair.
"""
import hashlib
import hmac
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def det(label: str, n: int) -> bytes:
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


CIPHERS = {"aes128-cbc": 16, "aes256-cbc": 32}
MACS = {"hmac-md5-96": ("md5", 16), "hmac-sha1-96": ("sha1", 20)}
LENGTHS = [1, 14, 15, 16, 20, 64, 1400]


def esp_packet(spi, seq, enc_key, mac_key, mac_name, iv, payload, next_header):
    pad = 15 - ((len(payload) + 1) % 16)
    plain = payload + bytes(range(1, pad + 1)) + bytes([pad, next_header])
    assert len(plain) % 16 == 0
    enc = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).encryptor()
    ct = enc.update(plain) + enc.finalize()
    head = spi.to_bytes(4, "big") + seq.to_bytes(4, "big") + iv + ct
    icv = hmac.new(mac_key, head, mac_name).digest()[:12]
    return head + icv


# The fixed SA of fuzz/fuzz_targets/esp_decrypt.rs.
FUZZ_SPI = 0x01020304
FUZZ_SECRETS = bytes((i * 37 + 11) & 0xFF for i in range(64))


def fuzz_seeds(out_dir):
    import os

    os.makedirs(out_dir, exist_ok=True)
    for ci, (cname, klen) in enumerate(CIPHERS.items()):
        for mi, (mname, (hname, mlen)) in enumerate(MACS.items()):
            enc_key = FUZZ_SECRETS[:klen]
            mac_key = FUZZ_SECRETS[klen : klen + mlen]
            # Replay protection on (bit 2), packets signed by the target (bit 3).
            mode = ci | (mi << 1) | 4 | 8
            pkts = []
            for seq, n in enumerate([1, 14, 20, 64, 300]):
                iv = det(f"fuzz/{cname}/{mname}/iv/{seq}", 16)
                payload = b"\x00" if n == 1 else det(f"fuzz/payload/{seq}", n)
                pkts.append(
                    esp_packet(FUZZ_SPI, seq, enc_key, mac_key, hname, iv, payload, [4, 5, 41][seq % 3])
                )
            order = [0, 2, 1, 2, 4, 3]  # out of order, and a replay of seq 2
            body = b"".join(len(pkts[i]).to_bytes(2, "big") + pkts[i] for i in order)
            with open(os.path.join(out_dir, f"{cname}-{mname}"), "wb") as f:
                f.write(bytes([mode]) + body)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--fuzz-seeds":
        fuzz_seeds(sys.argv[2])
        return
    w = sys.stdout.write
    w("# ESP vectors made by scripts/esp-vectors.py (Python cryptography + hmac)\n")
    for cname, klen in CIPHERS.items():
        for mname, (hname, mlen) in MACS.items():
            label = f"{cname}/{mname}"
            enc_key = det(label + "/enc", klen)
            mac_key = det(label + "/mac", mlen)
            spi = int.from_bytes(det(label + "/spi", 4), "big") | 0x100
            for seq, n in enumerate(LENGTHS):
                iv = det(f"{label}/iv/{seq}", 16)
                nh = [4, 5, 41][seq % 3]
                payload = det(f"{label}/payload/{seq}", n)
                pkt = esp_packet(spi, seq, enc_key, mac_key, hname, iv, payload, nh)
                w(f"cipher {cname}\nintegrity {mname}\nspi {spi:08x}\nseq {seq}\n")
                w(f"enc_key {enc_key.hex()}\nmac_key {mac_key.hex()}\niv {iv.hex()}\n")
                w(f"next_header {nh}\npayload {payload.hex()}\npacket {pkt.hex()}\n\n")


if __name__ == "__main__":
    main()
