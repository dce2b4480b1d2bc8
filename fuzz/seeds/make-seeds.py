#!/usr/bin/env python3
"""Writes the seed corpora of the framing, config_tlv, http_heads,
html_forms, pulse_stream and pulse_config fuzz targets into fuzz/seeds/<target>/ from the project's own
test data: the spec §11 byte dumps (core/tests/common/spec_dumps.rs and the
§11.1 hostname packet), the spec/pulse.md §8 dumps
(core/tests/common/pulse_dumps.rs), and the login pages of the auth tests and the
bundled gateway (string literals holding a <form> or <input>).

Run from anywhere: python3 fuzz/seeds/make-seeds.py
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "fuzz" / "seeds"


def dumps():
    """The hex dumps of spec_dumps.rs by function name."""
    src = (ROOT / "core/tests/common/spec_dumps.rs").read_text()
    out = {}
    for name, body in re.findall(r'pub fn (\w+)\(\) -> Vec<u8> \{\s*hex\("([^"]*)"\)', src):
        out[name] = bytes(int(t, 16) for t in body.split() if not t.endswith(":"))
    return out


def record(payload):
    return len(payload).to_bytes(2, "little") + payload


def kmp(kmp_type, payload, client=False):
    pattern = bytes([1, 0, 0, 0, 1 if client else 0, 0, 0, 0])
    return bytes(6) + kmp_type.to_bytes(2, "big") + pattern + len(payload).to_bytes(4, "big") + payload


def tlv(tid, value):
    return tid.to_bytes(2, "big") + len(value).to_bytes(4, "big") + value


def write(target, name, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


# §11.1: the hostname packet record for "client1".
HOSTNAME_RECORD = bytes.fromhex("1400 0000040000 0700 636c69656e7431 bb0100000000".replace(" ", ""))


def framing(d):
    hostname = HOSTNAME_RECORD
    cfg_msg = d["config_record"][2:]
    data_msg = d["client_data"][2:]
    # [mode][cuts] then the stream (see fuzz_targets/framing.rs).
    write("framing", "client-11.1-11.3-11.4", bytes([0, 7]) + hostname + d["client_reply"] + d["client_data"])
    write("framing", "server-combined-status-11.5-11.7",
          bytes([1, 3]) + record(b"\x00" + cfg_msg) + d["split_data"] + b"\x00\x00\x01")
    write("framing", "server-status-record", bytes([1, 200]) + b"\x01\x00\x00" + d["config_record"] + d["split_data"])
    # The 301 in continuation records with a KMP 300 record in between
    # (the OpenConnect 9.10 quirk, spec §2.5).
    stray = bytearray(kmp(300, data_msg[20:]))
    stray[8] = 0
    s = record(b"\x00" + cfg_msg[:59]) + record(cfg_msg[59:150]) + record(bytes(stray))
    rest = cfg_msg[150:]
    for i in range(0, len(rest), 40):
        s += record(rest[i:i + 40])
    write("framing", "server-interleaved-quirk", bytes([1, 90]) + s + d["split_data"])
    write("framing", "client-after-preamble", bytes([2, 1]) + d["client_data"] + d["client_reply"])
    write("framing", "server-small-limit", bytes([1 | 4, 17]) + b"\x01\x00\x00" + d["config_record"])


def config_tlv(d):
    cfg = d["config_record"][22:]
    write("config_tlv", "config-11.2", cfg)
    reply = d["client_reply"][2:]
    first_len = int.from_bytes(reply[16:20], "big")
    write("config_tlv", "control-11.3", reply[20:20 + first_len])
    second = reply[20 + first_len:]
    write("config_tlv", "client-302-11.3", second[20:])
    # A gateway rekey: groups 7 and 8 of the §11.2 configuration.
    g7 = tlv(7, tlv(1, bytes.fromhex("55667788")) + tlv(2, bytes(range(64))))
    g8 = tlv(8, tlv(1, b"\x05") + tlv(2, b"\x02") + tlv(3, b"\x00") + tlv(4, b"\x11\x94"))
    write("config_tlv", "rekey", g7 + g8)
    write("config_tlv", "hostname-11.1", HOSTNAME_RECORD[2:])
    write("config_tlv", "unknown-groups", tlv(9, tlv(7, b"abc") + tlv(1, b"")) + tlv(5, b""))


def http_heads():
    req = (b"POST /dana/js?prot=1&svc=4 HTTP/1.1\r\nConnection: close\r\nHost: vpn.example.com\r\n"
           b"User-Agent: Open AnyConnect VPN Agent v9.01\r\n"
           b"Cookie: DSID=0123456789abcdef0123456789abcdef; DSFirstAccess=1700000000\r\n"
           b"NCP-Version: 3\r\nContent-Length: 256\r\n\r\n")
    write("http_heads", "tunnel-request", req + b"\x14\x00\x00\x04")
    write("http_heads", "tunnel-request-port", req.replace(b"vpn.example.com", b"[::1]:8443"))
    write("http_heads", "logout",
          b"GET /dana-na/auth/logout.cgi HTTP/1.1\r\nHost: gw:4443\r\nUser-Agent: x\r\n"
          b"Cookie: DSID=abcdefabcdef\r\nNCP-Version: 3\r\n\r\n")
    write("http_heads", "accepted", b"HTTP/1.1 200 OK\r\nNCP-Version: 3\r\n\r\n\x01\x00\x00")
    write("http_heads", "rejected",
          b"HTTP/1.1 302 Found\r\nLocation: /dana-na/auth/welcome.cgi\r\nSet-Cookie: DSID=; path=/\r\n\r\n")
    write("http_heads", "cookie-bare", b"0123456789abcdef; DSFirstAccess=1; ;x=")


def html_forms():
    n = 0
    lit = re.compile(r'r#"(.*?)"#|"((?:[^"\\]|\\.)*)"', re.S)
    for rel in ["native/src/login/form.rs", "native/src/login/flow_tests.rs",
                "native/src/gateway/login/pages.rs"]:
        src = (ROOT / rel).read_text()
        for raw, esc in lit.findall(src):
            text = raw if raw else re.sub(r"\\\n\s*", "", esc)
            if not raw:
                text = text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
            if "<form" in text or "<input" in text:
                n += 1
                write("html_forms", f"{pathlib.Path(rel).stem}-{n:02}.html", text.encode())
    write("html_forms", "checkbox-table.html",
          b'<form name="frmLogin"><table><tr><td><input type="checkbox" name="postfixSID" value="a">'
          b'session a</td></tr><tr><td><input type="checkbox" name="postfixSID" value="b">b</td></tr>'
          b'</table><textarea name="sn-postauth-text">Read this</textarea>'
          b'<input type="submit" name="sn-postauth-proceed" value="Proceed"></form>')
    write("html_forms", "saml.html",
          b'<html><body onload="document.forms[0].submit()"><form name="hiddenform" method="post" '
          b'action="https://gw/dana-na/auth/saml-consumer.cgi"><input type="hidden" name="SAMLResponse" '
          b'value="PHNhbWw+"><input type="hidden" name="RelayState" value="x"><noscript>'
          b'<input type="submit" name="submit" value="Continue"></noscript></form></body></html>')


def pulse_dumps():
    """The hex dumps of pulse_dumps.rs by constant name, in file order."""
    src = (ROOT / "core/tests/common/pulse_dumps.rs").read_text()
    out = {}
    for name, body in re.findall(r'pub const (\w+): &str = "\\\n(.*?)";', src, re.S):
        out[name] = bytes(int(t, 16) for line in body.splitlines()
                          for t in line.split(":", 1)[1].split())
    return out


def pulse_stream():
    d = pulse_dumps()
    client = [v for k, v in d.items() if k.split("_")[-1] in ("1", "3", "5", "7", "9", "11")]
    server = [v for k, v in d.items() if k.split("_")[-1] in ("2", "4", "6", "8", "12", "13", "14")]
    end = bytes.fromhex("00000a4c0000008f00000014000001fd00000000")
    # [mode][cuts] then the stream (see fuzz_targets/pulse_stream.rs).
    write("pulse_stream", "client-8.2-8.5", bytes([0, 5]) + b"".join(client))
    write("pulse_stream", "server-8.2-8.5", bytes([1, 9]) + b"".join(server) + end)
    write("pulse_stream", "server-small-limit", bytes([1 | 2, 3]) + b"".join(server[:3]))
    for name, v in d.items():
        if name.startswith("ESP_PROBE"):
            continue
        sender = 0 if int(name.split("_")[-1]) % 2 else 1
        write("pulse_stream", name.lower(), bytes([sender, 1]) + v)
    # The values of the configuration and key messages (pulse_config).
    write("pulse_config", "main-8.5", d["MAIN_CONFIG_13"][16:])
    write("pulse_config", "esp-keys-8.5", d["ESP_KEYS_14"][16:])
    r16 = bytes.fromhex("2e00000d03000000402500010" "1" "2c00000d030000004026000101")
    body = r16 + bytes.fromhex("2e00000800000000") + bytes.fromhex("000000100300000040050004" "00000578")
    head = bytes(16) + bytes.fromhex("2e20f00000000000") + (28 + len(body)).to_bytes(4, "big")
    write("pulse_config", "extended-9.1r16", head + body)


if __name__ == "__main__":
    d = dumps()
    assert {"config_record", "client_reply", "client_data", "split_data"} <= d.keys(), d.keys()
    framing(d)
    config_tlv(d)
    http_heads()
    html_forms()
    pulse_stream()
