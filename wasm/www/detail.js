// The detail pane: the selected event's fields, and its bytes as a hex dump:
// for a decrypted event the plaintext it was decoded from (from the worker),
// and for any event the bytes of the capture file it came from (read from
// the File on demand, so the page never holds the capture in memory).
import { valueText } from './event-store.js';

const MAX_HEX = 64 * 1024;
const DIRS = { ClientToServer: 'client → server', ServerToClient: 'server → client' };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Renders `event` (a parsed event object with `index`) into the fields pane. */
export function renderFields(container, event, relTime) {
  container.replaceChildren();
  if (!event) { container.append(el('p', 'muted', 'Select an event to see its fields and bytes.')); return; }
  container.append(el('h3', '', event.summary));
  const meta = [`#${event.index + 1}`, event.layer];
  if (event.direction) meta.push(DIRS[event.direction] ?? event.direction);
  if (event.time_us != null) meta.push(`${relTime} s`, new Date(event.time_us / 1000).toISOString());
  container.append(el('div', 'detail-meta', meta.join(' · ')));
  const table = el('table', 'fields');
  table.id = 'detail-table';
  for (const f of event.fields) {
    const tr = el('tr');
    tr.dataset.field = f.name;
    tr.append(el('td', '', f.name), el('td', '', valueText(f.value)));
    table.append(tr);
  }
  if (!event.fields.length) {
    const tr = el('tr');
    tr.append(el('td', '', ''), el('td', 'muted', 'no fields'));
    table.append(tr);
  }
  container.append(table);
}

const hex2 = (b) => b.toString(16).padStart(2, '0');

/**
 * A hex dump of `bytes`, offsets counted in the capture file from `base`;
 * `headerLen` leading bytes (the capture's record header) are dimmed.
 */
export function hexDump(pre, bytes, base, headerLen) {
  pre.replaceChildren();
  const frag = document.createDocumentFragment();
  for (let o = 0; o < bytes.length; o += 16) {
    frag.append(el('span', 'off', (base + o).toString(16).padStart(8, '0')), '  ');
    let hex = '';
    let asc = '';
    for (let k = 0; k < 16; k++) {
      const i = o + k;
      if (i < bytes.length) {
        hex += hex2(bytes[i]) + (k === 7 ? '  ' : ' ');
        asc += bytes[i] >= 0x20 && bytes[i] < 0x7f ? String.fromCharCode(bytes[i]) : '.';
      } else hex += k === 7 ? '    ' : '   ';
    }
    if (o < headerLen) {
      // Split the line where the record header ends.
      const cut = Math.min(16, headerLen - o);
      const cutChars = cut * 3 + (cut > 7 ? 1 : 0);
      frag.append(el('span', 'hdr', hex.slice(0, cutChars)), hex.slice(cutChars));
    } else frag.append(hex);
    frag.append(' ', el('span', 'asc', asc), '\n');
  }
  pre.append(frag);
}

/**
 * Loads and dumps the event's source range from `file`; `isCurrent()` says
 * whether the pane still wants it once the bytes are read.
 */
export async function renderBytes(pre, rangeEl, file, event, recordHeaderLen, isCurrent = () => true) {
  pre.replaceChildren();
  rangeEl.textContent = '';
  if (!event || !event.source || !file) {
    if (event) pre.append(el('span', 'muted', 'This event has no source bytes in the capture.'));
    return;
  }
  const { start, end } = event.source;
  const shown = Math.min(end, start + MAX_HEX);
  const bytes = new Uint8Array(await file.slice(start, shown).arrayBuffer());
  if (!isCurrent()) return;
  rangeEl.textContent = `file offset ${start}–${end} (${end - start} bytes${shown < end ? `, first ${MAX_HEX} shown` : ''})`;
  hexDump(pre, bytes, start, recordHeaderLen(event, bytes));
}

const PLAIN_WHAT = {
  oncp: 'oNCP message: KMP header + payload', inner: 'IP packet', esp: 'decrypted ESP payload',
  http: 'HTTP', tls: 'TLS application data',
};

/**
 * Dumps a decrypted event's plaintext as the worker gave it
 * (`{ state: 'bytes', bytes }`, `'withheld'` or `'dropped'`), offsets from 0.
 */
export function renderPlaintext(pre, rangeEl, event, plaintext) {
  pre.replaceChildren();
  rangeEl.textContent = '';
  if (plaintext.state === 'withheld') {
    pre.append(el('span', 'note', 'These decrypted bytes carry secrets (ESP keys, cookies or passwords), '
      + 'so they are not shown; the fields show what can be. `oncp decode --hex --show-secrets` prints them.'));
    return;
  }
  if (plaintext.state !== 'bytes') {
    pre.append(el('span', 'note', 'These decrypted bytes are no longer held: this browser gave the analyser no '
      + 'disk storage (OPFS), and the capture\'s plaintext is larger than the memory kept for it. '
      + 'The captured frame is still here; `oncp decode --hex` prints every event\'s bytes.'));
    return;
  }
  const { bytes } = plaintext;
  const what = PLAIN_WHAT[event.layer] ?? 'plaintext';
  rangeEl.textContent = `${what}, ${bytes.length} bytes${bytes.length > MAX_HEX ? `, first ${MAX_HEX} shown` : ''}`;
  hexDump(pre, bytes.subarray(0, MAX_HEX), 0, 0);
}
