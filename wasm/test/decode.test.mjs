// The wasm Decoder against `oncp decode --json` on every testdata trace:
// the same events, field for field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { Decoder } = require('oncp-wasm');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const oncpBin = process.env.ONCP_BIN || join(root, 'target', 'debug', 'oncp');
const testdata = join(root, 'testdata');

const traces = readdirSync(testdata).filter((f) => f.endsWith('.pcap')).sort();

test('testdata has traces and the oncp binary exists', () => {
  assert.ok(traces.length >= 6);
  assert.ok(existsSync(oncpBin), `build ${oncpBin} first (cargo build -p oncp)`);
});

for (const t of traces) {
  test(`${t}: wasm events equal oncp decode --json`, () => {
    const pcap = join(testdata, t);
    const keys = pcap.replace(/\.pcap$/, '.keys');
    const lines = execFileSync(oncpBin, ['decode', '--json', '--keylog', keys, pcap], { maxBuffer: 1 << 28 })
      .toString().trim().split('\n');
    const native = lines.map((l) => JSON.parse(l));
    const d = new Decoder({});
    d.addKeylog(readFileSync(keys, 'utf8'));
    const bytes = readFileSync(pcap);
    const events = [];
    for (let i = 0; i < bytes.length; i += 1000) {
      d.push(bytes.subarray(i, i + 1000));
      events.push(...d.takeEvents());
    }
    d.finish();
    events.push(...d.takeEvents());
    assert.equal(events.length, native.length);
    assert.deepEqual(events, native);
    // The same properties in the same order: each object serialises back
    // to its line of `oncp decode --json`, byte for byte.
    assert.deepEqual(events.map((e) => JSON.stringify(e)), lines);
    assert.ok(events.some((e) => e.layer === 'inner' && /echo reply/.test(e.summary)));
  });
}

// The Pulse IF-T/TLS capture decodes in the package too: the IF-T/EAP
// messages named, the sign-in secrets redacted, the configuration with its
// IPv6 address, both SAs, IPv4 echoes over ESP and IPv6 echoes over TLS.
test('oc-pulse-esp.pcap: Pulse IF-T/TLS decoded by the package', () => {
  const pcap = join(testdata, 'oc-pulse-esp.pcap');
  const d = new Decoder({});
  d.addKeylog(readFileSync(pcap.replace(/\.pcap$/, '.keys'), 'utf8'));
  d.push(readFileSync(pcap));
  d.finish();
  const events = d.takeEvents();
  const field = (e, n) => e.fields.find((f) => f.name === n)?.value;
  const pulse = events.filter((e) => e.layer === 'pulse').map((e) => e.summary);
  for (const s of ['version request 1..2 preferring 2', 'auth success: Success id=4', 'end of configuration', 'logout']) {
    assert.ok(pulse.includes(s), `${s} in ${pulse}`);
  }
  const upgrade = events.find((e) => e.layer === 'http' && e.summary.startsWith('GET /'));
  assert.equal(upgrade.summary, 'GET / (tunnel request: IF-T/TLS upgrade)');
  assert.equal(events.find((e) => e.layer === 'http' && field(e, 'status') === 101).summary,
    '101 Switching Protocols (tunnel open: IF-T/TLS follows)');
  const cfg = events.find((e) => e.summary.startsWith('main configuration'));
  assert.equal(field(cfg, 'address'), '10.77.0.3');
  assert.equal(field(cfg, 'address6'), 'fd00:77::3/64');
  const text = JSON.stringify(events);
  assert.ok(!text.includes('hunter2') && !text.includes('alice'), 'sign-in redacted');
  assert.ok(text.includes('"0xd53 cookie (V vendor=0x583, 32 bytes) = <redacted>"'));
  const sas = events.filter((e) => e.layer === 'esp' && e.summary.startsWith('SA '));
  assert.deepEqual(sas.map((e) => field(e, 'sa_direction')), ['C->S', 'S->C']);
  const echoes = (re) => events.filter((e) => e.layer === 'inner' && re.test(e.summary));
  assert.equal(echoes(/^ICMP 10\.77\.0\.\d+ -> 10\.77\.0\.\d+ echo (request|reply)/).filter((e) => field(e, 'via') === 'esp').length, 6);
  assert.equal(echoes(/^ICMPv6 fd00:77::\d -> fd00:77::\d echo (request|reply)/).filter((e) => field(e, 'via') === 'tls').length, 6);
});
