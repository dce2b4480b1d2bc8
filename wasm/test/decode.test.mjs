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
    const native = execFileSync(oncpBin, ['decode', '--json', '--keylog', keys, pcap], { maxBuffer: 1 << 28 })
      .toString().trim().split('\n').map((l) => JSON.parse(l));
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
    assert.ok(events.some((e) => e.layer === 'inner' && /echo reply/.test(e.summary)));
  });
}
