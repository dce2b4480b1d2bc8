// Decoder.takeEventsJson: the lines of `oncp decode --json`, byte for byte,
// however the capture is split into chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { Decoder } = require('oncp-wasm');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const oncpBin = process.env.ONCP_BIN || join(root, 'target', 'debug', 'oncp');
const testdata = join(root, 'testdata');

for (const t of readdirSync(testdata).filter((f) => f.endsWith('.pcap')).sort()) {
  test(`${t}: takeEventsJson equals oncp decode --json`, () => {
    const pcap = join(testdata, t);
    const keys = pcap.replace(/\.pcap$/, '.keys');
    const native = execFileSync(oncpBin, ['decode', '--json', '--keylog', keys, pcap], { maxBuffer: 1 << 28 }).toString();
    const d = new Decoder({});
    d.addKeylog(readFileSync(keys, 'utf8'));
    const bytes = readFileSync(pcap);
    let text = '';
    let empty = 0;
    for (let i = 0; i < bytes.length; i += 13) {
      d.push(bytes.subarray(i, i + 13));
      const chunk = d.takeEventsJson();
      if (chunk === '') empty++;
      else assert.ok(chunk.endsWith('\n'));
      text += chunk;
    }
    d.finish();
    text += d.takeEventsJson();
    assert.equal(d.takeEventsJson(), '');
    assert.ok(empty > 0, 'some pushes complete no event');
    assert.equal(text, native);
  });
}
