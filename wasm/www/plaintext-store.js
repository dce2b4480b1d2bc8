// The decrypted bytes of every decrypted event (the oNCP message, the ESP
// payload, the inner IP packet), kept by the worker for the detail pane's
// "Decrypted" view without holding a large capture's plaintext in memory:
// in a file of the Origin Private File System when the browser gives the
// worker a synchronous handle on one (disk, read back per event), otherwise
// in memory up to a budget, the oldest batches dropped first (those events
// then say so). Per event it keeps 12 bytes of index.

/** The memory backend's budget (bytes of plaintext held). */
export const MEMORY_BUDGET = 64 << 20;
const FILE_PREFIX = 'oncp-plaintext-';

/** Plaintext held in memory: whole batches, the oldest dropped past `budget`. */
export class MemoryBackend {
  constructor(budget = MEMORY_BUDGET) {
    this.kind = 'memory';
    this.budget = budget;
    this.batches = []; // { start, bytes }, in offset order
    this.held = 0;
    this.size = 0;
  }

  /** Appends a batch; returns the offset of its first byte. */
  append(bytes) {
    const at = this.size;
    this.batches.push({ start: at, bytes });
    this.size += bytes.length;
    this.held += bytes.length;
    while (this.held > this.budget && this.batches.length > 1) this.held -= this.batches.shift().bytes.length;
    return at;
  }

  /** The `len` bytes at `start` (a copy), or null when dropped. */
  read(start, len) {
    const b = this.batches;
    let lo = 0;
    let hi = b.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (b[mid].start + b[mid].bytes.length <= start) lo = mid + 1;
      else if (b[mid].start > start) hi = mid - 1;
      else {
        const from = start - b[mid].start;
        return from + len <= b[mid].bytes.length ? b[mid].bytes.slice(from, from + len) : null;
      }
    }
    return null;
  }

  close() { this.batches = []; this.held = 0; }
}

/** Plaintext in an OPFS file through a sync access handle (dedicated workers only). */
export class OpfsBackend {
  /** Opens a fresh file (and removes files left by closed pages); null when OPFS is not usable here. */
  static async open() {
    try {
      if (!globalThis.navigator?.storage?.getDirectory) return null;
      const root = await navigator.storage.getDirectory();
      const old = [];
      for await (const name of root.keys()) if (name.startsWith(FILE_PREFIX)) old.push(name);
      // Left by pages that closed; a file still in use is locked and stays.
      for (const name of old) await root.removeEntry(name).catch(() => {});
      const name = `${FILE_PREFIX}${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const file = await root.getFileHandle(name, { create: true });
      if (!file.createSyncAccessHandle) return null;
      const handle = await file.createSyncAccessHandle();
      return new OpfsBackend(root, name, handle);
    } catch {
      return null;
    }
  }

  constructor(root, name, handle) {
    this.kind = 'opfs';
    this.root = root;
    this.name = name;
    this.handle = handle;
    this.size = 0;
  }

  append(bytes) {
    const at = this.size;
    const n = this.handle.write(bytes, { at });
    if (n !== bytes.length) throw new Error(`plaintext file: wrote ${n} of ${bytes.length} bytes`);
    this.size += n;
    return at;
  }

  read(start, len) {
    const out = new Uint8Array(len);
    return this.handle.read(out, { at: start }) === len ? out : null;
  }

  close() {
    try { this.handle.close(); } catch { /* already closed */ }
    this.root.removeEntry(this.name).catch(() => {});
  }
}

function grow(array, need) {
  if (need <= array.length) return array;
  const next = new array.constructor(Math.max(need, array.length * 2));
  next.set(array);
  return next;
}

const NONE = 0;
const WITHHELD = 1;
const SHIFT = 2; // code = length + SHIFT
const SAME_AS_PREVIOUS = -2; // a length from the decoder

/** Event number → where its plaintext is, over a backend. */
export class PlaintextStore {
  constructor(backend) {
    this.backend = backend;
    this.start = new Float64Array(1024);
    this.code = new Int32Array(1024); // NONE, WITHHELD, or length + SHIFT
  }

  get kind() { return this.backend.kind; }

  /**
   * Adds what `Decoder.takePlaintexts()` gave: event numbers, lengths (-1:
   * withheld; -2: the same bytes as the one before) and the bytes one after
   * the other.
   */
  add(events, lengths, bytes) {
    if (!events.length) return;
    const base = bytes.length ? this.backend.append(bytes) : 0;
    const need = events[events.length - 1] + 1;
    this.start = grow(this.start, need);
    this.code = grow(this.code, need);
    let off = 0;
    for (let k = 0; k < events.length; k++) {
      const i = events[k];
      const len = lengths[k];
      if (len === SAME_AS_PREVIOUS) {
        const prev = events[k - 1];
        if (k === 0 || this.code[prev] < SHIFT) throw new Error(`plaintext of event ${i}: no bytes before to repeat`);
        this.start[i] = this.start[prev];
        this.code[i] = this.code[prev];
        continue;
      }
      if (len < 0) { this.code[i] = WITHHELD; continue; }
      this.start[i] = base + off;
      this.code[i] = len + SHIFT;
      off += len;
    }
    if (off !== bytes.length) throw new Error(`plaintext lengths add up to ${off}, not ${bytes.length}`);
  }

  /**
   * Event `i`'s plaintext: null when it has none (not a decrypted event),
   * else `{ state: 'bytes', bytes }`, `{ state: 'withheld' }` (secrets)
   * or `{ state: 'dropped' }` (past the memory budget).
   */
  get(i) {
    const c = i < this.code.length ? this.code[i] : NONE;
    if (c === NONE) return null;
    if (c === WITHHELD) return { state: 'withheld' };
    const bytes = this.backend.read(this.start[i], c - SHIFT);
    return bytes ? { state: 'bytes', bytes } : { state: 'dropped' };
  }

  close() { this.backend.close(); }
}

/** A store on OPFS when possible, in memory otherwise. */
export async function openPlaintextStore() {
  return new PlaintextStore((await OpfsBackend.open()) ?? new MemoryBackend());
}
