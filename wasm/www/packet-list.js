// The virtualized event list: only the rows in view exist in the DOM, so a
// capture of hundreds of thousands of events scrolls as fast as a short one.
// Data lives in `Rows` (columns of every event) and a view (the indices the
// filter lets through).
import { LAYERS } from './event-store.js';

const ROW = 22;
const OVERSCAN = 8;
// Browsers cap element heights (~33M px in Chromium); beyond this the
// scrollbar maps proportionally onto the rows.
const MAX_SPACER = 8_000_000;

function grow(array, need) {
  if (need <= array.length) return array;
  const next = new array.constructor(Math.max(need, array.length * 2));
  next.set(array);
  return next;
}

/** Columns of every event received from the worker. */
export class Rows {
  constructor() { this.clear(); }
  clear() {
    this.length = 0;
    this.time = new Float64Array(1024);
    this.layer = new Uint8Array(1024);
    this.dir = new Uint8Array(1024);
    this.flags = new Uint8Array(1024);
    this.summary = [];
    this.firstTime = NaN;
  }
  append(m) {
    const n = m.time.length;
    const need = m.start + n;
    this.time = grow(this.time, need);
    this.layer = grow(this.layer, need);
    this.dir = grow(this.dir, need);
    this.flags = grow(this.flags, need);
    this.time.set(m.time, m.start);
    this.layer.set(m.layer, m.start);
    this.dir.set(m.dir, m.start);
    this.flags.set(m.flags, m.start);
    for (let i = 0; i < n; i++) this.summary[m.start + i] = m.summary[i];
    if (Number.isNaN(this.firstTime)) {
      for (let i = 0; i < n; i++) if (!Number.isNaN(m.time[i])) { this.firstTime = m.time[i]; break; }
    }
    this.length = need;
  }
  /** Seconds since the first timestamped event, as text. */
  relTime(i) {
    const t = this.time[i];
    return Number.isNaN(t) ? '' : ((t - this.firstTime) / 1e6).toFixed(6);
  }
}

export class PacketList {
  constructor(el, spacer, rowsEl, rows, onSelect) {
    this.el = el;
    this.spacer = spacer;
    this.rowsEl = rowsEl;
    this.rows = rows;
    this.onSelect = onSelect;
    this.view = new Uint32Array(1024);
    this.count = 0;
    this.selected = -1; // event index
    this.pool = [];
    this.pending = false;
    el.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(el);
    rowsEl.addEventListener('mousedown', (ev) => {
      const r = ev.target.closest('.row');
      if (r) this.select(Number(r.dataset.index));
    });
    el.addEventListener('keydown', (ev) => this.key(ev));
  }

  setView(indices) { this.view = indices.slice(); this.count = indices.length; this.schedule(); }
  appendView(indices) {
    this.view = grow(this.view, this.count + indices.length);
    this.view.set(indices, this.count);
    this.count += indices.length;
    this.schedule();
  }
  reset() { this.count = 0; this.selected = -1; this.el.scrollTop = 0; this.schedule(); }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  geometry() {
    const full = this.count * ROW;
    const height = Math.min(full, MAX_SPACER);
    const visible = Math.ceil(this.el.clientHeight / ROW);
    const maxScroll = Math.max(1, height - this.el.clientHeight);
    const maxFirst = Math.max(0, this.count - visible);
    const first = full <= MAX_SPACER
      ? Math.floor(this.el.scrollTop / ROW)
      : Math.round((this.el.scrollTop / maxScroll) * maxFirst);
    return { height, visible, first: Math.min(first, maxFirst), maxFirst, maxScroll, scaled: full > MAX_SPACER };
  }

  render() {
    const g = this.geometry();
    this.spacer.style.height = `${g.height}px`;
    const from = Math.max(0, g.first - OVERSCAN);
    const to = Math.min(this.count, g.first + g.visible + OVERSCAN);
    // Rows are placed relative to the scroll position when the spacer is scaled.
    const top = g.scaled ? this.el.scrollTop - (g.first - from) * ROW : from * ROW;
    this.rowsEl.style.transform = `translateY(${top}px)`;
    const n = to - from;
    while (this.pool.length < n) this.pool.push(this.makeRow());
    for (let k = 0; k < this.pool.length; k++) {
      const r = this.pool[k];
      if (k >= n) { if (r.parentNode) r.remove(); continue; }
      if (!r.parentNode) this.rowsEl.appendChild(r);
      this.fill(r, this.view[from + k]);
    }
  }

  makeRow() {
    const r = document.createElement('div');
    r.className = 'row row-grid';
    r.innerHTML = '<span class="c-no"></span><span class="c-time"></span><span class="c-dir"></span>'
      + '<span class="c-layer"><span class="badge"></span></span><span class="c-summary"></span>';
    return r;
  }

  fill(r, i) {
    if (r._i === i && r._sel === (i === this.selected)) return;
    const rows = this.rows;
    r._i = i;
    r._sel = i === this.selected;
    r.dataset.index = i;
    r.classList.toggle('sel', r._sel);
    r.classList.toggle('err', (rows.flags[i] & 1) === 1);
    const c = r.children;
    c[0].textContent = i + 1;
    c[1].textContent = rows.relTime(i);
    const d = rows.dir[i];
    c[2].textContent = d === 1 ? 'C→S' : d === 2 ? 'S→C' : '';
    c[2].className = `c-dir ${d === 1 ? 'dir-c2s' : d === 2 ? 'dir-s2c' : ''}`;
    const layer = LAYERS[rows.layer[i]];
    c[3].firstChild.textContent = layer;
    c[3].firstChild.className = `badge l-${layer}`;
    c[4].textContent = rows.summary[i];
    r.dataset.layer = layer;
  }

  /** The view position of event `i`, or -1 when filtered out (the view is ascending). */
  position(i) {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.view[mid];
      if (v === i) return mid;
      if (v < i) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  select(i, scroll = false) {
    this.selected = i;
    if (scroll) this.scrollTo(this.position(i));
    this.schedule();
    this.onSelect(i);
  }

  scrollTo(pos) {
    if (pos < 0) return;
    const g = this.geometry();
    // The spacer may still have the previous view's height (render waits for a frame).
    this.spacer.style.height = `${g.height}px`;
    if (g.scaled) { this.el.scrollTop = (pos / Math.max(1, g.maxFirst)) * g.maxScroll; return; }
    const top = pos * ROW;
    if (top < this.el.scrollTop) this.el.scrollTop = top;
    else if (top + ROW > this.el.scrollTop + this.el.clientHeight) this.el.scrollTop = top + ROW - this.el.clientHeight;
  }

  key(ev) {
    const steps = { ArrowDown: 1, ArrowUp: -1, PageDown: 20, PageUp: -20, Home: -Infinity, End: Infinity };
    if (!(ev.key in steps) || this.count === 0) return;
    ev.preventDefault();
    const cur = this.selected < 0 ? -1 : this.position(this.selected);
    const pos = Math.max(0, Math.min(this.count - 1, cur + steps[ev.key]));
    this.select(this.view[pos], true);
  }
}
