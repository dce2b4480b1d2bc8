// The decoding worker: reads the capture File in chunks, feeds the wasm
// Decoder, keeps every event (compactly, for the detail pane and text
// search) and each decrypted event's plaintext (in an OPFS file when it
// can, see plaintext-store.js), and sends the page compact rows, the
// session model and progress. The page never holds the capture's bytes: it
// slices the File on demand.
import init, { Decoder } from '../pkg/web/oncp_wasm.js';
import { EventStore } from './event-store.js';
import { SessionModel } from './session-model.js';
import { openPlaintextStore } from './plaintext-store.js';

const CHUNK = 1 << 20;
const SESSION_EVERY_MS = 250;

let store = new EventStore();
let session = new SessionModel();
let plain = null;
let filter = { layers: null, dir: 'any', text: '' };
let filterSeq = 0;

self.onmessage = async (msg) => {
  const m = msg.data;
  try {
    if (m.type === 'open') await decode(m.capture, m.keylogs);
    else if (m.type === 'filter') {
      filter = m.filter;
      filterSeq = m.seq;
      const indices = store.matching(filter, 0, store.length);
      self.postMessage({ type: 'filtered', seq: m.seq, indices }, [indices.buffer]);
    } else if (m.type === 'detail') {
      const plaintext = plain ? plain.get(m.index) : null;
      self.postMessage({ type: 'detail', seq: m.seq, index: m.index, event: store.event(m.index), plaintext },
        plaintext?.bytes ? [plaintext.bytes.buffer] : []);
    }
  } catch (e) {
    self.postMessage({ type: 'error', message: String(e && e.message ? e.message : e) });
  }
};

async function decode(capture, keylogs) {
  await init();
  store = new EventStore();
  session = new SessionModel();
  if (plain) plain.close();
  plain = await openPlaintextStore();
  const decoder = new Decoder({ plaintext: true });
  for (const k of keylogs) decoder.addKeylog(await k.text());
  const started = performance.now();
  let lastSession = 0;
  const take = () => {
    const from = store.length;
    const summaries = store.addLines(decoder.takeEventsJson(), session);
    const p = decoder.takePlaintexts();
    if (p.count) plain.add(p.takeEvents(), p.takeLengths(), p.takeBytes());
    p.free();
    if (store.length > from) {
      const rows = store.rows(from, store.length, summaries);
      rows.match = store.matching(filter, from, store.length);
      rows.filterSeq = filterSeq;
      self.postMessage({ type: 'rows', ...rows },
        [rows.time.buffer, rows.layer.buffer, rows.dir.buffer, rows.flags.buffer, rows.match.buffer]);
    }
  };
  for (let off = 0; off < capture.size; off += CHUNK) {
    const chunk = new Uint8Array(await capture.slice(off, off + CHUNK).arrayBuffer());
    decoder.push(chunk);
    take();
    const now = performance.now();
    self.postMessage({ type: 'progress', done: Math.min(off + CHUNK, capture.size), total: capture.size,
      packets: decoder.packets(), ms: now - started });
    if (now - lastSession > SESSION_EVERY_MS) {
      lastSession = now;
      self.postMessage({ type: 'session', session: session.snapshot() });
    }
  }
  decoder.finish();
  take();
  const packets = decoder.packets();
  decoder.free();
  self.postMessage({ type: 'session', session: session.snapshot() });
  self.postMessage({ type: 'done', events: store.length, packets, bytes: capture.size,
    ms: performance.now() - started, plaintextStore: plain.kind });
}
