// Every decoded event, kept compactly in the worker: typed columns for the
// list (time, layer, direction, flags) and the event's JSON line (the line
// `oncp decode --json` prints) for the detail pane and text search.
export const LAYERS = ['capture', 'ip', 'tcp', 'udp', 'tls', 'http', 'oncp', 'esp', 'inner'];
export const DIRS = { ClientToServer: 1, ServerToClient: 2 };
export const FLAG_ERROR = 1;

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
    this.lines = [];
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
    this.time = grow(this.time, need);
    this.layer = grow(this.layer, need);
    this.dir = grow(this.dir, need);
    this.flags = grow(this.flags, need);
    for (const line of lines) {
      if (!line) continue;
      const e = JSON.parse(line);
      const i = this.length++;
      this.time[i] = e.time_us == null ? NaN : e.time_us;
      this.layer[i] = layerIndex.get(e.layer) ?? 0;
      this.dir[i] = DIRS[e.direction] ?? 0;
      this.flags[i] = e.fields.some((f) => f.name === 'error') ? FLAG_ERROR : 0;
      this.lines.push(line);
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

  /** The full event at `index`, with its index. */
  event(index) {
    if (index < 0 || index >= this.length) return null;
    return { index, ...JSON.parse(this.lines[index]) };
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
      if (words.length && !textMatches(this.lines[i], words)) continue;
      out[n++] = i;
    }
    return out.slice(0, n);
  }
}

// A cheap test on the raw line first; then only the summary and field
// values count (not field names or JSON syntax).
function textMatches(line, words) {
  const lower = line.toLowerCase();
  if (!words.every((w) => lower.includes(w))) return false;
  const e = JSON.parse(line);
  const hay = [e.summary, ...e.fields.map((f) => valueText(f.value))].join('\n').toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function valueText(v) {
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  return String(v);
}
