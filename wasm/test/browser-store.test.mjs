// The analyser's worker-side modules in Node (no browser): the compact
// EventStore gives back every event exactly as `oncp decode --json` printed
// it, and its filters select what the same rules select on those events;
// the SessionModel finds the configuration, SAs and timeline of the traces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventStore, LAYERS, valueText } from '../www/event-store.js';
import { SessionModel } from '../www/session-model.js';

const require = createRequire(import.meta.url);
const { Decoder } = require('oncp-wasm');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const oncpBin = process.env.ONCP_BIN || join(root, 'target', 'debug', 'oncp');
const testdata = join(root, 'testdata');
const field = (e, n) => e.fields.find((f) => f.name === n)?.value;

function load(name) {
  const pcap = join(testdata, name);
  const keys = pcap.replace(/\.pcap$/, '.keys');
  const native = execFileSync(oncpBin, ['decode', '--json', '--keylog', keys, pcap], { maxBuffer: 1 << 28 })
    .toString().trim().split('\n').map((l) => JSON.parse(l));
  const d = new Decoder({});
  d.addKeylog(readFileSync(keys, 'utf8'));
  const store = new EventStore();
  const session = new SessionModel();
  const bytes = readFileSync(pcap);
  const summaries = [];
  for (let i = 0; i < bytes.length; i += 4096) {
    d.push(bytes.subarray(i, i + 4096));
    summaries.push(...store.addLines(d.takeEventsJson(), session));
  }
  d.finish();
  summaries.push(...store.addLines(d.takeEventsJson(), session));
  return { native, store, session, summaries };
}

for (const t of readdirSync(testdata).filter((f) => f.endsWith('.pcap')).sort()) {
  test(`${t}: the store gives back every event; filters select like the same rules on oncp decode --json`, () => {
    const { native, store, summaries } = load(t);
    assert.equal(store.length, native.length);
    assert.deepEqual(summaries, native.map((e) => e.summary));
    for (let i = 0; i < native.length; i++) {
      const { index, ...e } = store.event(i);
      assert.equal(index, i);
      assert.deepEqual(e, native[i]);
    }
    const all = (f) => Array.from(store.matching(f, 0, store.length));
    const expect = (pred) => native.flatMap((e, i) => (pred(e) ? [i] : []));
    assert.deepEqual(all({ layers: null, dir: 'any', text: '' }), expect(() => true));
    assert.deepEqual(all({ layers: ['esp', 'oncp'], dir: 'any', text: '' }), expect((e) => e.layer === 'esp' || e.layer === 'oncp'));
    assert.deepEqual(all({ layers: null, dir: 's2c', text: '' }), expect((e) => e.direction === 'ServerToClient'));
    assert.deepEqual(all({ layers: null, dir: 'none', text: '' }), expect((e) => e.direction == null));
    const hay = (e) => [e.summary, ...e.fields.map((f) => valueText(f.value))].join('\n').toLowerCase();
    for (const text of ['10.77.0.1 echo', 'SPI', 'aes-128', 'flow']) {
      const words = text.toLowerCase().split(/\s+/);
      assert.deepEqual(all({ layers: null, dir: 'any', text }), expect((e) => words.every((w) => hay(e).includes(w))), text);
    }
    // 'flow' is a field name on most events but a value on none: names do not match.
    assert.ok(all({ layers: null, dir: 'any', text: 'flow' }).length < native.filter((e) => field(e, 'flow') !== undefined).length);
    assert.deepEqual(all({ layers: ['inner'], dir: 'c2s', text: 'icmp' }),
      expect((e) => e.layer === 'inner' && e.direction === 'ClientToServer' && hay(e).includes('icmp')));
    for (const e of native) assert.ok(LAYERS.includes(e.layer), `layer ${e.layer} has a chip`);
    assert.deepEqual(all({ layers: ['pulse'], dir: 'any', text: '' }), expect((e) => e.layer === 'pulse'));
  });
}

test('oc-pulse-esp: the session model has Pulse, the client name, the configuration with IPv6, both SAs and the timeline', () => {
  const { native, session } = load('oc-pulse-esp.pcap');
  const s = session.snapshot();
  assert.equal(s.protocol, 'Pulse IF-T/TLS');
  assert.equal(s.hostname, field(native.find((e) => e.summary.startsWith('client information')), 'clientHostName'));
  const cfg = native.find((e) => e.layer === 'pulse' && e.summary.startsWith('main configuration'));
  assert.equal(s.config.address, field(cfg, 'address'));
  assert.equal(s.config.address6, field(cfg, 'address6'));
  assert.deepEqual(s.config.split_include6, field(cfg, 'split_include6'));
  assert.equal(s.config.flow, 0);
  assert.equal(s.tunnels, 1);
  const sas = native.filter((e) => e.layer === 'esp' && e.summary.startsWith('SA '));
  assert.deepEqual(s.sas.map((x) => x.spi), sas.map((e) => field(e, 'spi')));
  assert.ok(s.sas.every((x) => x.packets >= 4), JSON.stringify(s.sas));
  const kinds = s.timeline.map((t) => t.kind);
  assert.deepEqual(kinds, ['connect', 'tunnel', 'tunnel', 'config', 'esp', 'esp', 'transport', 'transport', 'transport',
    'end', 'close']);
  // OpenConnect 9.01 sends IPv6 over TLS while IPv4 goes over ESP: the
  // router solicitation, the IPv4 pings, then the IPv6 pings.
  assert.deepEqual(s.timeline.filter((t) => t.kind === 'transport').map((t) => t.text),
    ['first data via TLS', 'transport switch: data now via ESP (was TLS)', 'transport switch: data now via TLS (was ESP)']);
});

test('oc-esp: the session model has the configuration, both SAs with their packets, and the switch to ESP', () => {
  const { native, session } = load('oc-esp.pcap');
  const s = session.snapshot();
  const cfg = native.find((e) => e.summary.startsWith('KMP 301'));
  assert.equal(s.config.address, field(cfg, 'address'));
  assert.equal(s.config.netmask, field(cfg, 'netmask'));
  assert.deepEqual(s.config.split_include, field(cfg, 'split_include'));
  const sas = native.filter((e) => e.layer === 'esp' && e.summary.startsWith('SA '));
  assert.deepEqual(s.sas.map((x) => x.spi), sas.map((e) => field(e, 'spi')));
  for (const sa of s.sas) {
    const pk = native.filter((e) => e.layer === 'esp' && !e.summary.startsWith('SA ') && field(e, 'spi') === sa.spi);
    assert.equal(sa.packets, pk.length);
    assert.equal(sa.bytes, pk.reduce((a, e) => a + field(e, 'length'), 0));
  }
  assert.equal(s.gateway.server, field(native.find((e) => e.layer === 'tcp'), 'dst'));
  const kinds = s.timeline.map((x) => x.kind);
  assert.deepEqual(kinds.filter((k) => k !== 'close'), ['connect', 'tunnel', 'config', 'esp', 'transport']);
  // Throughput: the tunnelled bytes per series add up to the inner packets' lengths.
  const inner = native.filter((e) => e.layer === 'inner');
  const sum = (dir) => inner.filter((e) => e.direction === dir).reduce((a, e) => a + field(e, 'length'), 0);
  assert.deepEqual(s.throughput.totals, [sum('ClientToServer'), sum('ServerToClient'), 0, 0]);
  let binned = 0;
  for (let i = 0; i < s.throughput.bins.length; i += 5) binned += s.throughput.bins[i + 1] + s.throughput.bins[i + 2];
  assert.equal(binned, sum('ClientToServer') + sum('ServerToClient'));
});

test('oc-rekey and oncp-reconnect: rekeys and the reconnect are on the timeline', () => {
  const rekey = load('oc-rekey.pcap');
  const rekeys = rekey.native.filter((e) => e.summary.startsWith('KMP 302 rekey')).length;
  assert.ok(rekeys >= 1);
  assert.equal(rekey.session.snapshot().timeline.filter((x) => x.kind === 'rekey').length, rekeys);
  const rc = load('oncp-reconnect.pcap').session.snapshot();
  assert.equal(rc.tunnels, 2);
  assert.equal(rc.timeline.filter((x) => x.kind === 'reconnect').length, 1);
  assert.equal(rc.sas.length, 4);
});
