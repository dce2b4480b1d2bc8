// The VPN session as the events describe it, built incrementally in the
// worker: the gateway, the negotiated configuration, routes and DNS, the
// ESP SAs with their traffic, a timeline (tunnel requests, reconnects,
// configuration, rekeys, ESP on/off, transport switches, terminations,
// errors) and the tunnelled bytes per transport and direction over time.
const MAX_TIMELINE = 2000;
const MAX_BINS = 4000;
// Series order of the throughput bins.
export const SERIES = ['ESP C→S', 'ESP S→C', 'TLS C→S', 'TLS S→C'];
const SESSION_FIELDS_SKIPPED = new Set(['kmp', 'stream_offset', 'message_length', 'flow',
  'header_prefix', 'header_pattern', 'interleaved']);

function fieldMap(e) {
  const m = {};
  for (const f of e.fields) m[f.name] = f.value;
  return m;
}

export class SessionModel {
  constructor() {
    this.flows = new Map();
    this.tunnels = [];
    this.hostname = null;
    this.protocol = null;
    this.espKeys = 0;
    this.config = null;
    this.configCount = 0;
    this.sas = new Map();
    this.timeline = [];
    this.timelineDropped = 0;
    this.errors = 0;
    this.lastTransport = null;
    this.binUs = 100000;
    this.bins = new Map();
    this.totals = new Float64Array(SERIES.length);
    this.firstTime = null;
    this.lastTime = null;
  }

  note(e, index, kind, text) {
    if (this.timeline.length >= MAX_TIMELINE) { this.timelineDropped++; return; }
    this.timeline.push({ time: e.time_us, kind, text, index });
  }

  /** Takes one event (a parsed `oncp decode --json` object) at list index `index`. */
  add(e, index) {
    if (e.time_us != null) {
      if (this.firstTime == null) this.firstTime = e.time_us;
      this.lastTime = e.time_us;
    }
    const f = fieldMap(e);
    if (f.error !== undefined) {
      this.errors++;
      this.note(e, index, 'error', String(f.error));
    }
    switch (e.layer) {
      case 'tcp': this.tcp(e, f, index); break;
      case 'tls': this.tls(e, f); break;
      case 'http': this.http(e, f, index); break;
      case 'oncp': this.oncp(e, f, index); break;
      case 'pulse': this.pulse(e, f, index); break;
      case 'esp': this.esp(e, f, index); break;
      case 'inner': this.inner(e, f, index); break;
      default: break;
    }
  }

  flow(id) {
    let fl = this.flows.get(id);
    if (!fl) { fl = { id, client: null, server: null, tls: null, tunnel: false }; this.flows.set(id, fl); }
    return fl;
  }

  tcp(e, f, index) {
    if (f.flow === undefined) return;
    const fl = this.flow(f.flow);
    if (f.src && !fl.client) {
      if (e.direction === 'ClientToServer') { fl.client = f.src; fl.server = f.dst; }
      else if (e.direction === 'ServerToClient') { fl.client = f.dst; fl.server = f.src; }
    }
    if (f.client_bytes !== undefined && fl.tunnel) {
      this.note(e, index, 'close', `tunnel connection ${f.flow} closed`);
    }
  }

  tls(e, f) {
    if (f.flow !== undefined && e.summary.startsWith('ServerHello')) {
      this.flow(f.flow).tls = e.summary.slice('ServerHello '.length);
    }
  }

  http(e, f, index) {
    if (f.tunnel !== true) return;
    if (f.method) {
      const fl = this.flow(f.flow);
      fl.tunnel = true;
      this.tunnels.push({ flow: f.flow, time: e.time_us, host: f.host ?? null, target: f.target,
        server: fl.server, tls: fl.tls });
      const again = this.tunnels.length > 1;
      this.note(e, index, again ? 'reconnect' : 'connect',
        `${again ? 'reconnect: tunnel request' : 'tunnel request'} ${f.method} ${f.target} (connection ${f.flow})`);
    } else if (f.status !== undefined) {
      this.note(e, index, 'tunnel', `tunnel open (HTTP ${f.status})`);
    }
  }

  oncp(e, f, index) {
    if (f.hostname !== undefined) this.hostname = f.hostname;
    if (e.summary.startsWith('KMP 301 configuration')) {
      this.protocol = 'oNCP';
      this.takeConfig(e, index);
      this.note(e, index, 'config', `configuration: address ${f.address ?? '?'}, MTU ${f.mtu ?? '?'}`);
    } else if (e.summary.startsWith('KMP 302 rekey')) {
      this.note(e, index, 'rekey', `rekey: new server SPI ${f.esp_spi ?? '?'}`);
    } else if (f.esp !== undefined) {
      this.note(e, index, 'esp', `ESP ${f.esp ? 'enabled' : 'disabled'} by ${
        e.direction === 'ServerToClient' ? 'gateway' : 'client'}`);
    } else if (e.summary.startsWith('termination')) {
      this.note(e, index, 'end', e.summary);
    } else if (f.status !== undefined && f.status !== 0) {
      this.note(e, index, 'error', e.summary);
    }
  }

  // Pulse IF-T/TLS: the client's name, the sign-in result, the main
  // configuration, the ESP key messages (later ones are rekeys), logout.
  pulse(e, f, index) {
    this.protocol = 'Pulse IF-T/TLS';
    if (f.clientHostName !== undefined) this.hostname = f.clientHostName;
    if (e.summary.startsWith('main configuration')) {
      this.takeConfig(e, index);
      this.note(e, index, 'config', `configuration: address ${f.address ?? '?'}${
        f.address6 ? `, ${f.address6}` : ''}, MTU ${f.mtu ?? '?'}`);
    } else if (e.summary.startsWith('auth success')) {
      this.note(e, index, 'tunnel', 'signed in (EAP success)');
    } else if (e.summary.startsWith('auth failure')) {
      this.note(e, index, 'error', e.summary);
    } else if (e.summary.startsWith('ESP keys')) {
      this.espKeys++;
      this.note(e, index, this.espKeys > 1 ? 'rekey' : 'esp', `${this.espKeys > 1 ? 'rekey: new' : 'ESP keys:'} server SPI ${f.spi ?? '?'}`);
    } else if (e.summary.startsWith('ESP key reply')) {
      this.note(e, index, 'esp', `ESP key reply from the client: SPI ${f.spi ?? '?'}`);
    } else if (e.summary.startsWith('logout') || e.summary.startsWith('disconnect')) {
      this.note(e, index, 'end', e.summary);
    }
  }

  takeConfig(e, index) {
    const cfg = { time: e.time_us, index };
    for (const fl of e.fields) if (!SESSION_FIELDS_SKIPPED.has(fl.name)) cfg[fl.name] = fl.value;
    cfg.flow = fieldMap(e).flow;
    this.config = cfg;
    this.configCount++;
  }

  esp(e, f, index) {
    if (e.summary.startsWith('SA ')) {
      const origin = /from (.*)$/.exec(e.summary);
      this.sas.set(f.spi, { spi: f.spi, direction: f.sa_direction, cipher: f.cipher, mac: f.mac,
        origin: origin ? origin[1] : '', time: e.time_us, index, packets: 0, bytes: 0, errors: 0,
        lastSeq: null });
      return;
    }
    const sa = f.spi !== undefined ? this.sas.get(f.spi) : undefined;
    if (!sa) return;
    sa.packets++;
    sa.bytes += f.length ?? 0;
    if (f.seq !== undefined) sa.lastSeq = f.seq;
    if (f.error !== undefined) sa.errors++;
  }

  inner(e, f, index) {
    if (typeof f.via !== 'string' || e.time_us == null) return;
    const transport = f.via.startsWith('esp') ? 'ESP' : 'TLS';
    if (transport !== this.lastTransport) {
      this.note(e, index, 'transport', this.lastTransport
        ? `transport switch: data now via ${transport} (was ${this.lastTransport})`
        : `first data via ${transport}`);
      this.lastTransport = transport;
    }
    const s = (transport === 'ESP' ? 0 : 2) + (e.direction === 'ServerToClient' ? 1 : 0);
    const len = f.length ?? 0;
    this.totals[s] += len;
    for (;;) {
      const b = Math.floor(e.time_us / this.binUs);
      let bin = this.bins.get(b);
      if (!bin) {
        if (this.bins.size >= MAX_BINS) { this.coarsen(); continue; }
        bin = new Float64Array(SERIES.length);
        this.bins.set(b, bin);
      }
      bin[s] += len;
      return;
    }
  }

  // Doubles the bin width (long captures keep a bounded number of bins).
  coarsen() {
    const old = this.bins;
    this.binUs *= 2;
    this.bins = new Map();
    for (const [b, v] of old) {
      const nb = Math.floor(b / 2);
      const t = this.bins.get(nb);
      if (t) for (let i = 0; i < v.length; i++) t[i] += v[i];
      else this.bins.set(nb, v);
    }
  }

  /** A plain, cloneable view for the page. */
  snapshot() {
    const keys = [...this.bins.keys()].sort((a, b) => a - b);
    const bins = new Float64Array(keys.length * (SERIES.length + 1));
    keys.forEach((k, i) => {
      bins[i * 5] = k * this.binUs;
      bins.set(this.bins.get(k), i * 5 + 1);
    });
    const first = this.tunnels[0];
    return {
      gateway: first ? { server: first.server, host: first.host, tls: first.tls } : null,
      hostname: this.hostname,
      protocol: this.protocol,
      tunnels: this.tunnels.length,
      config: this.config,
      configCount: this.configCount,
      sas: [...this.sas.values()],
      timeline: this.timeline.slice(),
      timelineDropped: this.timelineDropped,
      errors: this.errors,
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      throughput: { binUs: this.binUs, series: SERIES, bins, totals: Array.from(this.totals) },
    };
  }
}
