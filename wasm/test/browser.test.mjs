// The browser analyser (wasm/www) in headless Chromium, driven by
// playwright-core, served by static-server.mjs on 127.0.0.1: loads
// testdata/oc-esp.pcap and its key log through the file inputs and checks
// the page against `oncp decode --json` of the same files (configuration,
// ESP SAs, decrypted ICMP echoes, event count), filters the list, checks
// the detail pane's bytes (by default a decrypted event's plaintext, equal
// to `oncp decode --hex`'s dump; on the "Captured frame" tab the capture
// file's bytes), and saves a screenshot in target/artifacts/.
//
// The same for the Pulse capture testdata/oc-pulse-esp.pcap: the
// session panels (protocol, configuration with IPv6, SAs, timeline), the
// IF-T layer with the sign-in redacted, an IPv6 echo over TLS decrypted.
//
// A further test pastes logs of testdata/logs into the "Paste a log" box and
// checks the verdicts and decoded tree against `oncp explain --json`.
//
// Runs when ONCP_BROWSER_TEST=1 (scripts/test/71-browser.sh sets it, and
// there a missing Chromium is a failure); skipped otherwise so that
// `node --test test/` needs no browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const oncpBin = process.env.ONCP_BIN || join(root, 'target', 'debug', 'oncp');
const CHROMIUM = process.env.ONCP_CHROMIUM || '/usr/bin/chromium';
const enabled = process.env.ONCP_BROWSER_TEST === '1';
const pcap = join(root, 'testdata', 'oc-esp.pcap');
const keys = join(root, 'testdata', 'oc-esp.keys');

let server;
let context;
let page;
let profile;
let url;
let native;
let nativeHex;

function field(e, name) { return e.fields.find((f) => f.name === name)?.value; }
function valueText(v) { return Array.isArray(v) ? v.map(valueText).join(', ') : String(v); }
/** The page's text filter rule: every word in the summary or a field value. */
function matchesText(e, words) {
  const hay = [e.summary, ...e.fields.map((f) => valueText(f.value))].join('\n').toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** The bytes of a hex dump in #hex (either view). */
async function dumpedHex() {
  const hex = await page.textContent('#hex');
  return hex.split('\n').filter(Boolean).map((l) => l.slice(10, 10 + 49).replace(/\s+/g, '')).join('');
}

/** `oncp decode --hex` of a capture: per event, its dump as hex text, 'withheld', or null. */
function decodeHex(args) {
  const out = [];
  for (const line of execFileSync(oncpBin, ['decode', '--hex', ...args]).toString().split('\n')) {
    if (!line) continue;
    if (!line.startsWith('    ')) out.push(null);
    else if (line.includes('withheld')) out[out.length - 1] = 'withheld';
    else out[out.length - 1] = (out[out.length - 1] ?? '') + line.slice(10, 10 + 47).replace(/\s+/g, '');
  }
  return out;
}

/** Waits until the list says `n` events are visible and has rendered them (n fits the viewport). */
function waitForRows(n) {
  return page.waitForFunction((k) => document.getElementById('visible-count').textContent === String(k)
    && document.querySelectorAll('#list-rows .row').length === k, n);
}

async function startServer() {
  const child = spawn(process.execPath, [join(here, 'static-server.mjs'), '--root', join(root, 'wasm')],
    // Without NODE_TEST_CONTEXT: the server only runs as a program outside the test runner.
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_TEST_CONTEXT: '' } });
  const line = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out); if (m) ok(m[1]); });
    child.once('exit', (code) => fail(new Error(`static server exited with ${code}`)));
  });
  return { child, url: line };
}

before(async () => {
  if (!enabled) return;
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing (apt-get install chromium)`);
  assert.ok(existsSync(join(root, 'wasm', 'pkg', 'web', 'oncp_wasm_bg.wasm')), 'build the package first (scripts/build-wasm.sh)');
  native = execFileSync(oncpBin, ['decode', '--json', '--keylog', keys, pcap])
    .toString().trim().split('\n').map((l) => JSON.parse(l));
  nativeHex = decodeHex(['--keylog', keys, pcap]);
  assert.equal(nativeHex.length, native.length);
  server = await startServer();
  url = `${server.url}www/`;
  const { chromium } = await import('playwright-core');
  profile = mkdtempSync(join(tmpdir(), 'oncp-browser-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1500, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
});

after(async () => {
  if (context) await context.close();
  if (server) server.child.kill('SIGTERM');
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('analyser decodes oc-esp like oncp decode --json', { skip: !enabled && 'set ONCP_BROWSER_TEST=1' }, async () => {
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  await page.setInputFiles('#keylog-input', keys);
  await page.setInputFiles('#capture-input', pcap);
  await page.waitForSelector('#status[data-state=done]', { timeout: 60_000 });
  // Everything the page loaded came from our server.
  for (const r of requests) assert.ok(r.startsWith(server.url) || r.startsWith('blob:'), `unexpected request ${r}`);

  assert.equal(await page.textContent('#event-count'), native.length.toLocaleString('en'));
  assert.equal(await page.textContent('#visible-count'), native.length.toLocaleString('en'));

  // The configuration panel shows the KMP 301 values.
  const cfg = native.find((e) => e.summary.startsWith('KMP 301 configuration'));
  assert.ok(cfg, 'oncp decode found a configuration');
  const dd = (key) => page.textContent(`#config-panel dd[data-key=${key}]`);
  assert.equal(await dd('address'), field(cfg, 'address'));
  assert.equal(await dd('netmask'), field(cfg, 'netmask'));
  assert.equal(await dd('mtu'), String(field(cfg, 'mtu')));
  assert.equal(await dd('split_include'), valueText(field(cfg, 'split_include')));
  if (field(cfg, 'dns') !== undefined) assert.equal(await dd('dns'), valueText(field(cfg, 'dns')));
  else assert.equal(await page.$('#config-panel dd[data-key=dns]'), null);

  // The ESP SAs: the same SPIs, with the packets counted per SPI.
  const sas = native.filter((e) => e.layer === 'esp' && e.summary.startsWith('SA '));
  assert.ok(sas.length >= 2);
  const shown = await page.$$eval('#sa-table tr[data-spi]', (trs) => trs.map((tr) => ({
    spi: tr.dataset.spi, packets: Number(tr.children[3].textContent), dir: tr.children[1].textContent })));
  assert.deepEqual(shown.map((s) => s.spi).sort(), sas.map((e) => field(e, 'spi')).sort());
  for (const s of shown) {
    const count = native.filter((e) => e.layer === 'esp' && !e.summary.startsWith('SA ') && field(e, 'spi') === s.spi).length;
    assert.equal(s.packets, count, `packets of ${s.spi}`);
    assert.equal(s.dir, field(sas.find((e) => field(e, 'spi') === s.spi), 'sa_direction'));
  }

  // Decrypted ICMP echoes: filter on text and direction; the list shrinks to the matching rows.
  const echoes = native.filter((e) => e.layer === 'inner' && /ICMP .* echo (request|reply)/.test(e.summary));
  assert.ok(echoes.some((e) => /echo request/.test(e.summary)) && echoes.some((e) => /echo reply/.test(e.summary)));
  await page.fill('#text-filter', 'echo');
  await page.press('#text-filter', 'Enter');
  const expectEcho = native.filter((e) => matchesText(e, ['echo']));
  assert.ok(expectEcho.length < native.length);
  await waitForRows(expectEcho.length);
  let summaries = await page.$$eval('#list-rows .row .c-summary', (s) => s.map((x) => x.textContent));
  assert.deepEqual(summaries, expectEcho.map((e) => e.summary));
  assert.ok(summaries.some((s) => /ICMP 10\.77\.0\.2 -> 10\.77\.0\.1 echo request/.test(s)));

  await page.selectOption('#dir-filter', 's2c');
  const replies = expectEcho.filter((e) => e.direction === 'ServerToClient');
  await waitForRows(replies.length);
  summaries = await page.$$eval('#list-rows .row .c-summary', (s) => s.map((x) => x.textContent));
  assert.deepEqual(summaries, replies.map((e) => e.summary));
  assert.ok(summaries.length > 0 && summaries.every((s) => /echo reply/.test(s)));

  // The detail pane: the first reply's fields and the capture bytes it came from.
  await page.click('#list-rows .row');
  const ev = replies[0];
  await page.waitForSelector('#detail-table tr[data-field=icmp_seq]');
  assert.equal(await page.textContent('#detail-fields h3'), ev.summary);
  // The worker's stored event, rebuilt for the detail pane, is the event oncp decode printed.
  const { index, ...detail } = await page.evaluate(() => window.oncpAnalyser.state.detail);
  assert.equal(index, native.indexOf(ev));
  assert.deepEqual(detail, ev);
  assert.equal(await page.textContent('#detail-table tr[data-field=src] td:last-child'), field(ev, 'src'));
  // Kept on disk (OPFS), not in the worker's memory.
  assert.equal(await page.evaluate(() => window.oncpAnalyser.state.plaintextStore), 'opfs');
  // By default: the decrypted inner packet, as `oncp decode --hex` dumps it (IPv4: 0x45 first).
  await page.waitForFunction(() => document.getElementById('hex').dataset.view === 'decrypted'
    && document.getElementById('hex').textContent.length > 0);
  assert.equal(await page.isVisible('#bytes-tabs'), true);
  assert.equal(await page.getAttribute('#tab-decrypted', 'aria-selected'), 'true');
  const plain = await dumpedHex();
  assert.equal(plain, nativeHex[index]);
  assert.ok(plain.startsWith('45'), plain);
  assert.equal(plain.length / 2, field(ev, 'length'));
  assert.equal(plain.slice(24, 40), field(ev, 'src').split('.').concat(field(ev, 'dst').split('.'))
    .map((n) => Number(n).toString(16).padStart(2, '0')).join(''));
  assert.match(await page.textContent('#hex-range'), new RegExp(`IP packet, ${field(ev, 'length')} bytes`));
  // The toggle: the captured (encrypted) frame, from the capture file.
  await page.click('#tab-captured');
  await page.waitForFunction(() => document.getElementById('hex').dataset.view === 'captured'
    && /file offset/.test(document.getElementById('hex-range').textContent));
  assert.equal(await page.getAttribute('#tab-captured', 'aria-selected'), 'true');
  const file = readFileSync(pcap).subarray(ev.source.start, ev.source.end);
  assert.equal(await dumpedHex(), file.toString('hex'));
  assert.notEqual(await dumpedHex(), plain);
  assert.match(await page.textContent('#hex-range'), new RegExp(`${ev.source.start}–${ev.source.end}`));
  // And back.
  await page.click('#tab-decrypted');
  await page.waitForFunction(() => document.getElementById('hex').dataset.view === 'decrypted');
  assert.equal(await dumpedHex(), plain);

  // The KMP 301 carries the ESP keys: its decrypted bytes are withheld. A TCP event has only its frame.
  await page.evaluate((i) => window.oncpAnalyser.list.select(i, true), native.indexOf(cfg));
  await page.waitForFunction((s) => document.querySelector('#detail-fields h3')?.textContent === s
    && /carry secrets/.test(document.getElementById('hex').textContent), cfg.summary);
  assert.equal(nativeHex[native.indexOf(cfg)], 'withheld');
  const tcp = native.find((e) => e.layer === 'tcp' && e.source);
  await page.evaluate((i) => window.oncpAnalyser.list.select(i, true), native.indexOf(tcp));
  await page.waitForFunction((s) => document.querySelector('#detail-fields h3')?.textContent === s
    && /file offset/.test(document.getElementById('hex-range').textContent), tcp.summary);
  assert.equal(await page.isVisible('#bytes-tabs'), false);
  assert.equal(await dumpedHex(), readFileSync(pcap).subarray(tcp.source.start, tcp.source.end).toString('hex'));
  // The reply again (for the screenshot): its decrypted bytes.
  await page.evaluate((i) => window.oncpAnalyser.list.select(i, true), index);
  await page.waitForFunction((s) => document.querySelector('#detail-fields h3')?.textContent === s
    && document.getElementById('hex').dataset.view === 'decrypted', ev.summary);

  // Layer chips: only ESP.
  await page.fill('#text-filter', '');
  await page.selectOption('#dir-filter', 'any');
  await page.click('#layer-chips .chip[data-layer=esp]', { modifiers: ['Alt'] });
  const esp = native.filter((e) => e.layer === 'esp');
  await waitForRows(esp.length);
  const layers = await page.$$eval('#list-rows .row', (rs) => rs.map((r) => r.dataset.layer));
  assert.ok(layers.length > 0 && layers.every((l) => l === 'esp'));

  // The timeline names the tunnel, the configuration and the switch to ESP.
  const kinds = await page.$$eval('#timeline-panel li', (lis) => lis.map((li) => li.dataset.kind));
  for (const k of ['connect', 'config', 'esp', 'transport']) assert.ok(kinds.includes(k), `timeline has ${k}`);

  // Back to everything for the screenshot, the first reply selected.
  await page.click('#layer-chips .chip[data-layer=esp]', { modifiers: ['Alt'] });
  await page.waitForFunction((n) => document.getElementById('visible-count').textContent === n, native.length.toLocaleString('en'));
  await page.waitForSelector('#list-rows .row.sel');
  const artifacts = join(root, 'target', 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const shot = join(artifacts, 'browser-oc-esp.png');
  await page.screenshot({ path: shot });
  console.log(`screenshot: ${shot}`);
});

test('analyser decodes the Pulse capture oc-pulse-esp like oncp decode --json', { skip: !enabled && 'set ONCP_BROWSER_TEST=1' }, async () => {
  const ppcap = join(root, 'testdata', 'oc-pulse-esp.pcap');
  const pkeys = join(root, 'testdata', 'oc-pulse-esp.keys');
  const pnative = execFileSync(oncpBin, ['decode', '--json', '--keylog', pkeys, ppcap])
    .toString().trim().split('\n').map((l) => JSON.parse(l));
  const pHex = decodeHex(['--keylog', pkeys, ppcap]);
  await page.goto(url);
  await page.setInputFiles('#keylog-input', pkeys);
  await page.setInputFiles('#capture-input', ppcap);
  await page.waitForSelector('#status[data-state=done]', { timeout: 60_000 });
  assert.equal(await page.textContent('#event-count'), pnative.length.toLocaleString('en'));

  // The session panels: Pulse, the client's name, the main configuration (IPv4 and IPv6).
  assert.equal(await page.textContent('#gateway-panel dd[data-key=protocol]'), 'Pulse IF-T/TLS');
  const info = pnative.find((e) => e.summary.startsWith('client information'));
  assert.equal(await page.textContent('#gateway-panel dd[data-key=hostname]'), field(info, 'clientHostName'));
  const cfg = pnative.find((e) => e.layer === 'pulse' && e.summary.startsWith('main configuration'));
  assert.ok(cfg, 'oncp decode found the Pulse configuration');
  const dd = (key) => page.textContent(`#config-panel dd[data-key=${key}]`);
  assert.equal(await dd('address'), field(cfg, 'address'));
  assert.equal(await dd('address6'), field(cfg, 'address6'));
  assert.equal(await dd('split_include6'), valueText(field(cfg, 'split_include6')));
  assert.equal(await dd('routes'), valueText(field(cfg, 'routes')));
  assert.equal(await dd('mtu'), String(field(cfg, 'mtu')));
  assert.equal(await dd('esp'), `${field(cfg, 'esp_cipher')} + ${field(cfg, 'esp_mac')}`);

  // Both SAs (from the key message and the client's reply), packets counted per SPI.
  const sas = pnative.filter((e) => e.layer === 'esp' && e.summary.startsWith('SA '));
  assert.equal(sas.length, 2);
  const shown = await page.$$eval('#sa-table tr[data-spi]', (trs) => trs.map((tr) => ({
    spi: tr.dataset.spi, packets: Number(tr.children[3].textContent) })));
  assert.deepEqual(shown.map((x) => x.spi).sort(), sas.map((e) => field(e, 'spi')).sort());
  for (const x of shown) {
    const n = pnative.filter((e) => e.layer === 'esp' && !e.summary.startsWith('SA ') && field(e, 'spi') === x.spi).length;
    assert.ok(n >= 4, `${x.spi}: probes and echoes`);
    assert.equal(x.packets, n, `packets of ${x.spi}`);
  }

  // The timeline: the upgrade, the sign-in, the configuration, ESP, the first data, the logout.
  const kinds = await page.$$eval('#timeline-panel li', (lis) => lis.map((li) => li.dataset.kind));
  for (const k of ['connect', 'tunnel', 'config', 'esp', 'transport', 'end']) assert.ok(kinds.includes(k), `timeline has ${k}: ${kinds}`);
  const timeline = await page.textContent('#timeline-panel');
  assert.match(timeline, /signed in \(EAP success\)/);
  assert.match(timeline, /ESP key reply from the client/);

  // The IF-T layer: the EAP exchange with the password and cookie AVPs redacted.
  await page.click('#layer-chips .chip[data-layer=pulse]', { modifiers: ['Alt'] });
  const pulse = pnative.filter((e) => e.layer === 'pulse');
  await waitForRows(pulse.length);
  const summaries = await page.$$eval('#list-rows .row .c-summary', (x) => x.map((s) => s.textContent));
  assert.deepEqual(summaries, pulse.map((e) => e.summary));
  assert.ok(summaries.includes('auth success: Success id=4'));
  assert.ok(!(await page.textContent('body')).includes('hunter2'), 'the password is not shown');
  await page.click('#layer-chips .chip[data-layer=pulse]', { modifiers: ['Alt'] });

  // An IPv6 echo reply that came over TLS: its decrypted bytes are the IPv6 packet.
  await page.fill('#text-filter', 'fd00:77::1 echo reply');
  await page.press('#text-filter', 'Enter');
  const v6 = pnative.filter((e) => matchesText(e, ['fd00:77::1', 'echo', 'reply']));
  assert.equal(v6.length, 3);
  await waitForRows(v6.length);
  await page.click('#list-rows .row');
  await page.waitForFunction((s) => document.querySelector('#detail-fields h3')?.textContent === s
    && document.getElementById('hex').dataset.view === 'decrypted'
    && document.getElementById('hex').textContent.length > 0, v6[0].summary);
  assert.equal(await page.textContent('#detail-table tr[data-field=via] td:last-child'), 'tls');
  const plain = await dumpedHex();
  assert.equal(plain, pHex[pnative.indexOf(v6[0])]);
  assert.ok(plain.startsWith('6'), plain);
  assert.equal(plain.length / 2, field(v6[0], 'length'));
  const artifacts = join(root, 'target', 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'browser-oc-pulse-esp.png') });
});

test('a pcapng with embedded secrets, dropped on the page, decodes without a key log', { skip: !enabled && 'set ONCP_BROWSER_TEST=1' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oncp-pcapng-'));
  try {
    const pcapng = join(dir, 'oc-esp-dsb.pcapng');
    execFileSync('editcap', ['--inject-secrets', `tls,${keys}`, pcap, pcapng]);
    const events = execFileSync(oncpBin, ['decode', '--json', pcapng])
      .toString().trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(events.some((e) => e.summary.startsWith('decryption secrets block')));
    const echoes = events.filter((e) => e.layer === 'inner' && /echo reply/.test(e.summary));
    assert.ok(echoes.length > 0, 'oncp decode decrypts the pcapng with its embedded secrets');

    await page.goto(url);
    const b64 = readFileSync(pcapng).toString('base64');
    const dt = await page.evaluateHandle((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const t = new DataTransfer();
      t.items.add(new File([bytes], 'oc-esp-dsb.pcapng'));
      return t;
    }, b64);
    await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
    await page.waitForSelector('#status[data-state=done]', { timeout: 60_000 });
    assert.equal(await page.textContent('#event-count'), events.length.toLocaleString('en'));
    assert.equal(await page.textContent('#config-panel dd[data-key=address]'),
      field(events.find((e) => e.summary.startsWith('KMP 301')), 'address'));

    // The replies, and the bytes of the first: an Enhanced Packet Block (28-byte header dimmed).
    await page.fill('#text-filter', 'echo reply');
    await page.press('#text-filter', 'Enter');
    await waitForRows(echoes.length);
    assert.deepEqual(await page.$$eval('#list-rows .row .c-summary', (s) => s.map((x) => x.textContent)),
      echoes.map((e) => e.summary));
    await page.click('#list-rows .row');
    await page.waitForFunction((s) => document.querySelector('#detail-fields h3')?.textContent === s
      && document.getElementById('hex').textContent.length > 0, echoes[0].summary);
    // Decrypted first (the inner IPv4 packet), then the Enhanced Packet Block as captured.
    assert.equal(await dumpedHex(), decodeHex([pcapng])[events.indexOf(echoes[0])]);
    assert.ok((await dumpedHex()).startsWith('45'));
    await page.click('#tab-captured');
    await page.waitForFunction(() => /file offset/.test(document.getElementById('hex-range').textContent));
    const dumped = await dumpedHex();
    assert.equal(dumped, readFileSync(pcapng).subarray(echoes[0].source.start, echoes[0].source.end).toString('hex'));
    const header = await page.$$eval('#hex .hdr', (s) => s.map((x) => x.textContent).join('').replace(/\s+/g, ''));
    assert.equal(header.length / 2, 28);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paste a log: the verdict and the decoded tree like oncp explain --json', { skip: !enabled && 'set ONCP_BROWSER_TEST=1' }, async () => {
  const logsDir = join(root, 'testdata', 'logs');
  await page.goto(url);
  await page.click('#paste-log-button');
  await page.waitForSelector('#explain-dialog[open]');
  for (const name of ['oc-status-08', 'oc-zero-record', 'damaged/two-logs']) {
    const file = join(logsDir, `${name}.log`);
    const native = JSON.parse(execFileSync(oncpBin, ['explain', '--json', file]).toString());
    assert.ok(native.verdicts.length > 0, name);
    // Pasting (filling the box) explains it; no button press needed.
    await page.fill('#log-input', readFileSync(file, 'utf8'));
    await page.waitForFunction((first) => document.querySelector('#explain-verdicts .verdict')?.dataset.id === first
      && document.getElementById('explain-result').dataset.state === 'done', native.verdicts[0].id);
    const shown = await page.$$eval('#explain-verdicts .verdict', (vs) => vs.map((v) => ({
      id: v.dataset.id, title: v.querySelector('h3').firstChild.textContent })));
    assert.deepEqual(shown, native.verdicts.map((v) => ({ id: v.id, title: v.title })), name);
    // The decoded tree: one top-level node per item, in order.
    const items = await page.$$eval('#explain-tree > details.item > summary .txt', (s) => s.map((x) => x.textContent));
    assert.deepEqual(items, native.items.map((i) => i.summary), name);
    const page_text = await page.textContent('#explain-result');
    assert.ok(!page_text.includes('0123456789abcdef0123456789abcdef'), `${name}: the cookie is redacted`);
  }
  // The hostname packet's field, as decoded from OpenConnect's hex dump.
  assert.match(await page.textContent('#explain-tree'), /host name\s*debian/);
  // The problems with the log: the second log pasted after the first is said.
  assert.match(await page.textContent('#explain-damage'), /two logs pasted together/);
  // "show secrets" re-explains with the cookie shown.
  await page.check('#show-secrets');
  await page.waitForFunction(() => document.getElementById('explain-result').textContent.includes('0123456789abcdef0123456789abcdef'));
  mkdirSync(join(root, 'target', 'artifacts'), { recursive: true });
  await page.screenshot({ path: join(root, 'target', 'artifacts', 'browser-explain.png') });
  await page.click('#explain-close');
});
