// Every decoded event, kept compactly in the worker: typed columns (time,
// layer, direction, flags, source byte range, field-name shape) and one
// string per event, its summary and the JSON of its field values. Field
// names are stored once per shape (every ESP packet event has the same
// names), which keeps a 100 MB capture's events at about a third of their
// JSON size. `event(i)` rebuilds the object `oncp decode --json` prints.
export const LAYERS = ['capture', 'ip', 'tcp', 'udp', 'tls', 'http', 'oncp', 'pulse', 'esp', 'inner'];
export const DIRS = { ClientToServer: 1, ServerToClient: 2 };
const DIR_NAMES = [null, 'ClientToServer', 'ServerToClient'];
export const FLAG_ERROR = 1;
const SEP = '\u0000';

const layerIndex = new Map(LAYERS.map((l, i) => [l, i]));

function grow(array, need) {
  if (need <= array.length) return array;
  const next = new array.constructor(Math.max(need, array.length * 2));
  next.set(array);
  return next;
}

export class EventStore {
  constructor() {
    this.length = 0;
    this.time = new Float64Array(1024);
    this.layer = new Uint8Array(1024);
    this.dir = new Uint8Array(1024);
    this.flags = new Uint8Array(1024);
    this.srcStart = new Float64Array(1024);
    this.srcEnd = new Float64Array(1024);
    this.shape = new Uint32Array(1024);
    this.shapeIds = new Map();
    this.shapeNames = [];
    this.texts = [];
  }

  /**
   * Adds the events of JSON-lines text; `observer.add(event, index)` sees
   * each parsed event. Returns the new events' summaries.
   */
  addLines(text, observer) {
    const summaries = [];
    if (!text) return summaries;
    const lines = text.split('\n');
    const need = this.length + lines.length;
    for (const c of ['time', 'layer', 'dir', 'flags', 'srcStart', 'srcEnd', 'shape']) this[c] = grow(this[c], need);
    for (const line of lines) {
      if (!line) continue;
      const e = JSON.parse(line);
      const i = this.length++;
      this.time[i] = e.time_us == null ? NaN : e.time_us;
      this.layer[i] = layerIndex.get(e.layer) ?? 0;
      this.dir[i] = DIRS[e.direction] ?? 0;
      this.srcStart[i] = e.source ? e.source.start : -1;
      this.srcEnd[i] = e.source ? e.source.end : -1;
      const names = e.fields.map((f) => f.name);
      const key = names.join(',');
      let shape = this.shapeIds.get(key);
      if (shape === undefined) {
        shape = this.shapeNames.length;
        this.shapeNames.push(names);
        this.shapeIds.set(key, shape);
      }
      this.shape[i] = shape;
      this.flags[i] = names.includes('error') ? FLAG_ERROR : 0;
      this.texts.push(e.summary + SEP + JSON.stringify(e.fields.map((f) => f.value)));
      summaries.push(e.summary);
      if (observer) observer.add(e, i);
    }
    return summaries;
  }

  /** Columns of events [from, to) for the page (fresh arrays, transferable). */
  rows(from, to, summary) {
    return {
      start: from,
      time: this.time.slice(from, to),
      layer: this.layer.slice(from, to),
      dir: this.dir.slice(from, to),
      flags: this.flags.slice(from, to),
      summary,
    };
  }

  /** The full event at `index` (as `oncp decode --json` prints it), with its index. */
  event(index) {
    if (index < 0 || index >= this.length) return null;
    const text = this.texts[index];
    const cut = text.indexOf(SEP);
    const values = JSON.parse(text.slice(cut + 1));
    const names = this.shapeNames[this.shape[index]];
    const t = this.time[index];
    return {
      index,
      time_us: Number.isNaN(t) ? null : t,
      direction: DIR_NAMES[this.dir[index]],
      layer: LAYERS[this.layer[index]],
      summary: text.slice(0, cut),
      fields: names.map((name, k) => ({ name, value: values[k] })),
      source: this.srcStart[index] < 0 ? null : { start: this.srcStart[index], end: this.srcEnd[index] },
    };
  }

  /**
   * Indices in [from, to) matching `filter`: `layers` (array of names, or
   * null for all), `dir` ('any', 'c2s', 's2c', 'none'), `text` (words that
   * must all occur, case-insensitively, in the summary or a field value).
   */
  matching(filter, from, to) {
    const layers = filter.layers ? new Set(filter.layers.map((l) => layerIndex.get(l))) : null;
    const dir = { any: -1, none: 0, c2s: 1, s2c: 2 }[filter.dir] ?? -1;
    const words = (filter.text || '').toLowerCase().split(/\s+/).filter(Boolean);
    const out = new Uint32Array(to - from);
    let n = 0;
    for (let i = from; i < to; i++) {
      if (layers && !layers.has(this.layer[i])) continue;
      if (dir >= 0 && this.dir[i] !== dir) continue;
      if (words.length && !textMatches(this.texts[i], words)) continue;
      out[n++] = i;
    }
    return out.slice(0, n);
  }
}

// A cheap test on the stored text first (summary and values' JSON); then
// only the summary and the values as displayed count (not JSON syntax).
function textMatches(text, words) {
  const lower = text.toLowerCase();
  if (!words.every((w) => lower.includes(w))) return false;
  const cut = text.indexOf(SEP);
  const values = JSON.parse(text.slice(cut + 1));
  const hay = [text.slice(0, cut), ...values.map(valueText)].join('\n').toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function valueText(v) {
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  return String(v);
}
