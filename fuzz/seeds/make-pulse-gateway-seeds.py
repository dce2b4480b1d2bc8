#!/usr/bin/env python3
"""Writes fuzz/seeds/pulse_gateway/: client streams for the pulse_gateway
target, built from the layouts of spec/pulse.md §3-§6 as OpenConnect 9.01
sends them (version, client information, identity, first response,
password, token code, empty response to the cookie, data, logout), with
the EAP identifiers the target's driver leads to (server requests 2, 3,
4, 5; nested identifiers 3 and 4).

Run from anywhere: python3 fuzz/seeds/make-pulse-gateway-seeds.py
"""
import pathlib

OUT = pathlib.Path(__file__).resolve().parent / "pulse_gateway"
TCG, JUNIPER = 0x5597, 0x0A4C
seq = 0


def ift(vendor, typ, value):
    global seq
    m = vendor.to_bytes(4, "big") + typ.to_bytes(4, "big")
    m += (16 + len(value)).to_bytes(4, "big") + seq.to_bytes(4, "big") + value
    seq += 1
    return m


def pad(b):
    return b + b"\0" * (-len(b) % 4)


def avp(code, data):
    return pad(code.to_bytes(4, "big") + bytes([0x80]) + (12 + len(data)).to_bytes(3, "big")
               + (0x583).to_bytes(4, "big") + data)


def eap_avp(eap):
    return pad((0x4F).to_bytes(4, "big") + bytes([0x40]) + (8 + len(eap)).to_bytes(3, "big") + eap)


def j1(eap_id, avps):
    body = b"\xfe\x00\x0a\x4c\x00\x00\x00\x01" + avps
    eap = bytes([2, eap_id]) + (4 + len(body)).to_bytes(2, "big") + body
    return ift(TCG, 6, b"\x00\x0a\x4c\x01" + eap)


def password(inner, pw):
    data = b"\x02\x02" + bytes([2 + len(pw)]) + pw
    body = b"\xfe\x00\x0a\x4c\x00\x00\x00\x02" + data
    return bytes([2, inner]) + (4 + len(body)).to_bytes(2, "big") + body


def gtc(inner, code):
    return bytes([2, inner]) + (5 + len(code)).to_bytes(2, "big") + b"\x06" + code


def records(msgs, tick_after=()):
    out = bytearray([7])
    for i, m in enumerate(msgs):
        out += bytes([2 if i in tick_after else 0, len(m)]) + m
    return bytes(out)


def main():
    global seq
    OUT.mkdir(exist_ok=True)
    seq = 0
    packet = bytes.fromhex("45000014000100004001f7e00a0000020a000001")
    login = [
        ift(TCG, 1, b"\x00\x01\x02\x02"),
        ift(JUNIPER, 0x88, b"clientHostName=fuzz clientIp=192.0.2.1\n\0"),
        ift(TCG, 6, b"\x00\x0a\x4c\x01\x02\x01\x00\x0e\x01anonymous"),
        j1(2, avp(0xD70, b"Open AnyConnect VPN Agent v9.01")),
        j1(3, avp(0xD6D, b"alice") + eap_avp(password(3, b"hunter2"))),
        j1(4, eap_avp(gtc(4, b"123456"))),
        j1(5, b""),
    ]
    data = [ift(JUNIPER, 4, packet), ift(JUNIPER, 0x89, b"")]
    (OUT / "login-data-logout").write_bytes(records(login + data, tick_after={7}))
    seq = 0
    cookie = login[:3] + [j1(2, avp(0xD70, b"oc") + avp(0xD53, b"cookie")), j1(3, b"")]
    (OUT / "cookie-login").write_bytes(records(cookie + data))
    (OUT / "login-only").write_bytes(records(login[:4]))


if __name__ == "__main__":
    main()
