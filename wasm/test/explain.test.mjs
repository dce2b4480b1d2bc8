// explainLog / explainLogText of the built package against `oncp explain`
// on every log in testdata/logs: the same explanation, field for field,
// and the same text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const oncp = require('oncp-wasm');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const oncpBin = process.env.ONCP_BIN || join(root, 'target', 'debug', 'oncp');
const logsDir = join(root, 'testdata', 'logs');

const logs = ['', 'damaged', 'hex'].flatMap((d) => readdirSync(join(logsDir, d))
  .filter((f) => f.endsWith('.log')).map((f) => join(logsDir, d, f))).sort();

test('testdata/logs has logs and the oncp binary exists', () => {
  assert.ok(logs.length >= 14);
  assert.ok(existsSync(oncpBin), `build ${oncpBin} first (cargo build -p oncp)`);
});

for (const log of logs) {
  test(`${log.slice(logsDir.length + 1)}: explainLog equals oncp explain`, () => {
    const text = readFileSync(log, 'utf8');
    const native = JSON.parse(execFileSync(oncpBin, ['explain', '--json', log]).toString());
    assert.deepEqual(oncp.explainLog(text, false), native);
    assert.equal(oncp.explainLogText(text, false), execFileSync(oncpBin, ['explain', log]).toString());
  });
}

test('explainLog on the status 0x08 log: the verdict and the hostname packet', () => {
  const e = oncp.explainLog(readFileSync(join(logsDir, 'oc-status-08.log'), 'utf8'), false);
  assert.equal(e.verdicts[0].id, 'status-08');
  assert.equal(e.verdicts[0].severity, 'failure');
  const tree = JSON.stringify(e.items);
  assert.match(tree, /"host name","value":"debian"/);
  assert.doesNotMatch(tree, /0123456789abcdef0123456789abcdef/);
  // With secrets shown the cookie is there.
  assert.match(JSON.stringify(oncp.explainLog(readFileSync(join(logsDir, 'oc-status-08.log'), 'utf8'), true)),
    /0123456789abcdef0123456789abcdef/);
});
