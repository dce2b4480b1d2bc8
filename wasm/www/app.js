// The page: picks files (inputs or drag and drop), runs the decoding worker,
// and wires the filters, list, detail pane, session panel and chart.
import { LAYERS } from './event-store.js';
import { Rows, PacketList } from './packet-list.js';
import { renderFields, renderBytes, renderPlaintext } from './detail.js';
import { renderSession, bytes } from './session-view.js';
import { drawChart, renderLegend } from './chart.js';
import { setupExplain } from './explain-view.js';

const $ = (id) => document.getElementById(id);
const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1]);
const PCAPNG_MAGIC = 0x0a0d0d0a;

const state = {
  capture: null, format: null, keylogs: [], worker: null, filterSeq: 0, detailSeq: 0,
  layers: new Set(LAYERS), layerCounts: new Uint32Array(LAYERS.length), session: null, done: false,
  // The selected event, its plaintext (from the worker; null if not decrypted) and which bytes to show.
  detail: null, plaintext: null, bytesView: 'decrypted', plaintextStore: null, bytesSeq: 0,
};
const rows = new Rows();
const list = new PacketList($('list'), $('list-spacer'), $('list-rows'), rows, showDetail);

// ---- files ---------------------------------------------------------------

async function captureFormat(file) {
  const head = new DataView(await file.slice(0, 4).arrayBuffer());
  if (head.byteLength < 4) return null;
  const m = head.getUint32(0, false);
  if (PCAP_MAGICS.has(m)) return 'pcap';
  if (m === PCAPNG_MAGIC) return 'pcapng';
  return null;
}

/** Takes picked or dropped files: captures by their magic number (or all of them, from the capture input), key logs otherwise. */
async function addFiles(files, asCapture = false) {
  let capture = null;
  const keylogs = [];
  for (const f of files) {
    if (asCapture || await captureFormat(f)) capture = f; else keylogs.push(f);
  }
  if (capture) { state.capture = capture; state.format = await captureFormat(capture); }
  if (keylogs.length) state.keylogs = keylogs;
  showFiles();
  if (state.capture) start();
  else if (keylogs.length) setStatus('idle', 'Key log loaded; now open a capture');
}

function showFiles() {
  const parts = [];
  if (state.capture) parts.push(`${state.capture.name} (${bytes(state.capture.size)})`);
  for (const k of state.keylogs) parts.push(`key log ${k.name}`);
  $('files').textContent = parts.join('  ·  ') || 'No capture';
  $('files').title = $('files').textContent;
}

setupExplain();
$('capture-input').addEventListener('change', (e) => { if (e.target.files.length) addFiles([...e.target.files], true); e.target.value = ''; });
$('keylog-input').addEventListener('change', (e) => { if (e.target.files.length) addFiles([...e.target.files]); e.target.value = ''; });
let dragDepth = 0;
window.addEventListener('dragenter', (e) => { e.preventDefault(); dragDepth++; document.body.classList.add('dragging'); });
window.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; document.body.classList.remove('dragging'); } });
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  document.body.classList.remove('dragging');
  if (e.dataTransfer.files.length) addFiles([...e.dataTransfer.files]);
});

// ---- decoding ------------------------------------------------------------

function setStatus(kind, text) { $('status').dataset.state = kind; $('status').textContent = text; }

function start() {
  if (state.worker) state.worker.terminate();
  rows.clear();
  list.reset();
  state.layerCounts.fill(0);
  state.session = null;
  state.done = false;
  state.filterSeq++;
  $('list-empty').hidden = true;
  renderFields($('detail-fields'), null);
  state.detail = null;
  state.plaintext = null;
  state.bytesSeq++;
  $('bytes-tabs').hidden = true;
  $('bytes-title').hidden = false;
  $('hex').replaceChildren();
  $('hex-range').textContent = '';
  $('progress').hidden = false;
  $('progress-bar').style.width = '0';
  setStatus('busy', 'Decoding…');
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  state.worker = w;
  w.onmessage = (msg) => { if (state.worker === w) onWorker(msg.data); };
  w.onerror = (e) => setStatus('error', `Worker failed: ${e.message}`);
  w.postMessage({ type: 'filter', seq: state.filterSeq, filter: currentFilter() });
  w.postMessage({ type: 'open', capture: state.capture, keylogs: state.keylogs });
}

let chipsPending = false;
function onWorker(m) {
  switch (m.type) {
    case 'rows':
      rows.append(m);
      for (const l of m.layer) state.layerCounts[l]++;
      if (m.filterSeq === state.filterSeq) list.appendView(m.match);
      $('event-count').textContent = rows.length.toLocaleString('en');
      $('visible-count').textContent = list.count.toLocaleString('en');
      if (!chipsPending) { chipsPending = true; requestAnimationFrame(() => { chipsPending = false; updateChipCounts(); }); }
      break;
    case 'filtered':
      if (m.seq !== state.filterSeq) break;
      list.setView(m.indices);
      $('visible-count').textContent = list.count.toLocaleString('en');
      if (list.selected >= 0 && list.position(list.selected) >= 0) list.scrollTo(list.position(list.selected));
      break;
    case 'progress': {
      const pct = (100 * m.done) / m.total;
      $('progress-bar').style.width = `${pct.toFixed(1)}%`;
      const mbs = m.done / 1e6 / Math.max(m.ms / 1000, 1e-3);
      setStatus('busy', `Decoding ${pct.toFixed(0)}% · ${m.packets.toLocaleString('en')} packets · ${mbs.toFixed(1)} MB/s`);
      break;
    }
    case 'session':
      state.session = m.session;
      scheduleSession();
      break;
    case 'done': {
      state.done = true;
      updateChipCounts();
      $('progress').hidden = true;
      const mbs = m.bytes / 1e6 / Math.max(m.ms / 1000, 1e-3);
      const speed = m.bytes >= 1e6 ? ` (${mbs.toFixed(1)} MB/s)` : '';
      state.plaintextStore = m.plaintextStore;
      setStatus('done', `${m.events.toLocaleString('en')} events from ${m.packets.toLocaleString('en')} packets in ${(m.ms / 1000).toFixed(2)} s${speed}`);
      if (list.selected < 0 && list.count) list.select(list.view[0]);
      break;
    }
    case 'detail':
      if (m.seq === state.detailSeq) { state.detail = m.event; state.plaintext = m.plaintext; renderDetail(m.event); }
      break;
    case 'error':
      setStatus('error', m.message);
      $('progress').hidden = true;
      break;
    default: break;
  }
}

let sessionPending = false;
function scheduleSession() {
  if (sessionPending) return;
  sessionPending = true;
  requestAnimationFrame(() => {
    sessionPending = false;
    const s = state.session;
    if (!s) return;
    renderSession(s, relTime, jumpTo);
    renderLegend($('chart-legend'), s.throughput);
    drawChart($('chart'), s.throughput, s.firstTime);
  });
}
new ResizeObserver(() => scheduleSession()).observe($('chart'));

function relTime(us) {
  if (us == null || Number.isNaN(rows.firstTime)) return '';
  return ((us - rows.firstTime) / 1e6).toFixed(3);
}

// ---- filters -------------------------------------------------------------

function currentFilter() {
  const all = state.layers.size === LAYERS.length;
  return { layers: all ? null : [...state.layers], dir: $('dir-filter').value, text: $('text-filter').value.trim() };
}

function applyFilter() {
  if (!state.worker) return;
  state.filterSeq++;
  state.worker.postMessage({ type: 'filter', seq: state.filterSeq, filter: currentFilter() });
}

function buildChips() {
  const box = $('layer-chips');
  for (const [i, l] of LAYERS.entries()) {
    const b = document.createElement('button');
    b.className = 'chip';
    b.dataset.layer = l;
    b.style.setProperty('--chip', `var(--l-${l})`);
    b.setAttribute('aria-pressed', 'true');
    b.title = 'Click: show or hide this layer. Alt-click: only this layer';
    b.innerHTML = `${l}<span class="n"></span>`;
    b.addEventListener('click', (ev) => {
      if (ev.altKey || ev.metaKey) {
        const only = state.layers.size === 1 && state.layers.has(l);
        state.layers = only ? new Set(LAYERS) : new Set([l]);
      } else if (state.layers.has(l)) state.layers.delete(l);
      else state.layers.add(l);
      for (const c of box.children) c.setAttribute('aria-pressed', String(state.layers.has(c.dataset.layer)));
      applyFilter();
    });
    box.append(b);
    void i;
  }
}

function updateChipCounts() {
  for (const c of $('layer-chips').children) {
    const n = state.layerCounts[LAYERS.indexOf(c.dataset.layer)];
    c.querySelector('.n').textContent = n ? n.toLocaleString('en') : '';
    c.hidden = !n && state.done;
  }
}

let textTimer = 0;
$('text-filter').addEventListener('input', () => { clearTimeout(textTimer); textTimer = setTimeout(applyFilter, 150); });
$('text-filter').addEventListener('keydown', (e) => { if (e.key === 'Enter') { clearTimeout(textTimer); applyFilter(); } });
$('dir-filter').addEventListener('change', applyFilter);
buildChips();

// ---- detail ------------------------------------------------------------

function showDetail(i) {
  if (!state.worker) return;
  state.detailSeq++;
  state.worker.postMessage({ type: 'detail', seq: state.detailSeq, index: i });
}

function recordHeaderLen(event, bytesOfEvent) {
  if (event.layer === 'capture') return 0;
  if (state.format === 'pcap') return 16;
  // pcapng: an Enhanced Packet Block's header before the packet data.
  const type = bytesOfEvent.length >= 4 ? (bytesOfEvent[0] | (bytesOfEvent[3] << 24)) : -1;
  return type === 6 || type === 0x06000000 ? 28 : 0;
}

function renderDetail(event) {
  renderFields($('detail-fields'), event, event ? rows.relTime(event.index) : '');
  renderBytesPane();
}

/**
 * The bytes pane: for a decrypted event, tabs between its decrypted bytes
 * (the default) and the captured frame; the choice stays for the next
 * decrypted event. Other events show their captured bytes.
 */
function renderBytesPane() {
  const event = state.detail;
  const plain = event ? state.plaintext : null;
  const seq = ++state.bytesSeq;
  $('bytes-tabs').hidden = !plain;
  $('bytes-title').hidden = Boolean(plain);
  const view = plain ? state.bytesView : 'captured';
  for (const t of $('bytes-tabs').children) t.setAttribute('aria-selected', String(t.dataset.view === view));
  $('hex').dataset.view = view;
  if (view === 'decrypted') renderPlaintext($('hex'), $('hex-range'), event, plain);
  else renderBytes($('hex'), $('hex-range'), state.capture, event, recordHeaderLen, () => seq === state.bytesSeq);
}

for (const tab of $('bytes-tabs').children) {
  tab.addEventListener('click', () => {
    if (state.bytesView === tab.dataset.view) return;
    state.bytesView = tab.dataset.view;
    renderBytesPane();
  });
}

/** Selects event `i`; clears the filters first when they hide it. */
function jumpTo(i) {
  if (i == null) return;
  if (list.position(i) < 0) {
    state.layers = new Set(LAYERS);
    for (const c of $('layer-chips').children) c.setAttribute('aria-pressed', 'true');
    $('dir-filter').value = 'any';
    $('text-filter').value = '';
    list.setView(Uint32Array.from({ length: rows.length }, (_, k) => k));
    applyFilter();
  }
  list.select(i, true);
  $('list').focus();
}

// ---- splitter ------------------------------------------------------------

$('splitter').addEventListener('mousedown', (e) => {
  e.preventDefault();
  const detail = $('detail');
  const startY = e.clientY;
  const startH = detail.getBoundingClientRect().height;
  const move = (ev) => { detail.style.flexBasis = `${Math.max(80, startH - (ev.clientY - startY))}px`; };
  const up = () => { window.removeEventListener('mousemove', move); window.removeEventListener('mouseup', up); };
  window.addEventListener('mousemove', move);
  window.addEventListener('mouseup', up);
});

// For tests and the console: the page's state.
window.oncpAnalyser = { state, rows, list };
