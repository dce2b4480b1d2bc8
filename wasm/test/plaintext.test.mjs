// Decrypted bytes in the wasm package and the analyser's worker store: the
// Decoder's `plaintext: true` gives, per event, the same bytes as
// `oncp decode --hex` dumps (and withholds the same ones), without changing
// the events; the PlaintextStore gives them back per event, and its memory
// backend drops the oldest batches past its budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlaintextStore, MemoryBackend } from '../www/plaintext-store.js';

const require = createRequire(import.meta.url);
const { Decoder } = require('oncp-wasm');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const oncpBin = process.env.ONCP_BIN || join(root, 'target', 'debug', 'oncp');
const testdata = join(root, 'testdata');

/** `oncp decode --hex`: per event, its dump's bytes, 'withheld', or null. */
function nativeHex(pcap, keys) {
  const text = execFileSync(oncpBin, ['decode', '--hex', '--keylog', keys, pcap], { maxBuffer: 1 << 28 }).toString();
  const out = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    if (!line.startsWith('    ')) { out.push(null); continue; }
    if (line.includes('withheld')) { out[out.length - 1] = 'withheld'; continue; }
    const hex = line.slice(10, 10 + 47).trim().split(/\s+/).map((b) => parseInt(b, 16));
    const prev = out[out.length - 1];
    out[out.length - 1] = prev ? [...prev, ...hex] : hex;
  }
  return out;
}

/** The wasm decoder's events and, per event, its plaintext (bytes, 'withheld' or null). */
function wasmDecode(pcap, keys, options) {
  const d = new Decoder(options);
  d.addKeylog(readFileSync(keys, 'utf8'));
  const bytes = readFileSync(pcap);
  const events = [];
  const plain = [];
  let repeats = 0;
  const take = () => {
    events.push(...d.takeEvents());
    const p = d.takePlaintexts();
    const [nums, lens, data] = [p.takeEvents(), p.takeLengths(), p.takeBytes()];
    assert.ok(nums instanceof Float64Array && lens instanceof Int32Array && data instanceof Uint8Array);
    let off = 0;
    for (let k = 0; k < nums.length; k++) {
      if (lens[k] === -2) { plain[nums[k]] = plain[nums[k - 1]]; repeats++; continue; }
      if (lens[k] < 0) { plain[nums[k]] = 'withheld'; continue; }
      plain[nums[k]] = [...data.subarray(off, off + lens[k])];
      off += lens[k];
    }
    assert.equal(off, data.length);
    p.free();
  };
  for (let i = 0; i < bytes.length; i += 1500) {
    d.push(bytes.subarray(i, i + 1500));
    take();
  }
  d.finish();
  take();
  d.free();
  return { events, plain: events.map((_, i) => plain[i] ?? null), repeats };
}

for (const name of ['oc-esp', 'oc-tls', 'oc-lzo']) {
  test(`${name}: wasm plaintexts equal oncp decode --hex`, () => {
    const pcap = join(testdata, `${name}.pcap`);
    const keys = join(testdata, `${name}.keys`);
    const native = nativeHex(pcap, keys);
    const withPlain = wasmDecode(pcap, keys, { plaintext: true });
    const without = wasmDecode(pcap, keys, {});
    assert.deepEqual(withPlain.events, without.events, 'the option does not change the events');
    assert.ok(without.plain.every((p) => p === null), 'no plaintext unless asked');
    assert.equal(withPlain.plain.length, native.length);
    assert.deepEqual(withPlain.plain, native);
    // The inner pings are IPv4 packets: 0x45 first.
    const pings = withPlain.events.map((e, i) => [e, withPlain.plain[i]])
      .filter(([e]) => e.layer === 'inner' && /^ICMP .*echo/.test(e.summary));
    assert.ok(pings.length >= 6);
    for (const [e, p] of pings) {
      assert.equal(p[0], 0x45, e.summary);
      assert.equal(p.length, e.fields.find((f) => f.name === 'length').value);
    }
    assert.ok(withPlain.plain.includes('withheld'), 'the 301 carries keys');
    // An ESP packet's payload and its inner packet cross once.
    if (name !== 'oc-tls') assert.ok(withPlain.repeats >= 6, `${name}: ${withPlain.repeats} repeats`);
  });
}

test('PlaintextStore: per event bytes, withheld, none; memory budget drops the oldest', () => {
  const store = new PlaintextStore(new MemoryBackend(10));
  assert.equal(store.kind, 'memory');
  store.add(Float64Array.of(0, 2, 3), Int32Array.of(3, -1, 4), Uint8Array.of(1, 2, 3, 4, 5, 6, 7));
  assert.deepEqual(store.get(0), { state: 'bytes', bytes: Uint8Array.of(1, 2, 3) });
  assert.equal(store.get(1), null);
  assert.deepEqual(store.get(2), { state: 'withheld' });
  assert.deepEqual(store.get(3), { state: 'bytes', bytes: Uint8Array.of(4, 5, 6, 7) });
  assert.equal(store.get(99), null);
  // A second batch (events numbered on), then a third that passes the budget: the first is dropped.
  store.add(Float64Array.of(4), Int32Array.of(2), Uint8Array.of(8, 9));
  assert.deepEqual(store.get(4), { state: 'bytes', bytes: Uint8Array.of(8, 9) });
  store.add(Float64Array.of(1500), Int32Array.of(5), Uint8Array.of(10, 11, 12, 13, 14));
  assert.deepEqual(store.get(0), { state: 'dropped' });
  assert.deepEqual(store.get(3), { state: 'dropped' });
  assert.deepEqual(store.get(4), { state: 'bytes', bytes: Uint8Array.of(8, 9) });
  assert.deepEqual(store.get(1500), { state: 'bytes', bytes: Uint8Array.of(10, 11, 12, 13, 14) });
  assert.deepEqual(store.get(2), { state: 'withheld' }, 'withheld needs no bytes');
  // -2: the same bytes as the event before.
  store.add(Float64Array.of(1501, 1502), Int32Array.of(2, -2), Uint8Array.of(20, 21));
  assert.deepEqual(store.get(1502), { state: 'bytes', bytes: Uint8Array.of(20, 21) });
  assert.throws(() => store.add(Float64Array.of(1503), Int32Array.of(-2), new Uint8Array(0)), /no bytes before/);
  // Lengths that do not add up to the bytes are refused.
  assert.throws(() => store.add(Float64Array.of(1504), Int32Array.of(3), Uint8Array.of(1)), /add up/);
});
