// The session panel: gateway, negotiated configuration, ESP SAs and the
// timeline, rendered from the worker's session snapshot.
import { valueText } from './event-store.js';

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function kv(pairs) {
  const dl = el('dl', 'kv');
  for (const [k, v, key] of pairs) {
    if (v === undefined || v === null || v === '') continue;
    const dt = el('dt', '', k);
    const dd = el('dd', '', typeof v === 'string' ? v : valueText(v));
    if (key) dd.dataset.key = key;
    dl.append(dt, dd);
  }
  return dl;
}

function body(card, ...children) {
  const old = card.querySelector('.card-body');
  const b = el('div', 'card-body');
  if (!children.length) { b.classList.add('muted'); b.textContent = '—'; }
  b.append(...children);
  old.replaceWith(b);
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Renders a snapshot; `rel(time_us)` formats times, `jump(index)` selects an event. */
export function renderSession(s, rel, jump) {
  const gw = document.getElementById('gateway-panel');
  if (s.gateway || s.hostname || s.errors) {
    body(gw, kv([
      ['Server', s.gateway?.server, 'server'],
      ['Protocol', s.protocol, 'protocol'],
      ['Host', s.gateway?.host, 'host'],
      ['TLS', s.gateway?.tls, 'tls'],
      ['Client name', s.hostname, 'hostname'],
      ['Tunnels', s.tunnels ? `${s.tunnels}${s.tunnels > 1 ? ` (${s.tunnels - 1} reconnect${s.tunnels > 2 ? 's' : ''})` : ''}` : null, 'tunnels'],
      ['Errors', s.errors ? String(s.errors) : null, 'errors'],
    ]));
  } else body(gw);

  const cp = document.getElementById('config-panel');
  const c = s.config;
  if (c) {
    const esp = [c.esp_cipher, c.esp_mac].filter(Boolean).join(' + ');
    body(cp, kv([
      ['Address', c.address, 'address'],
      ['Netmask', c.netmask, 'netmask'],
      ['IPv6 address', c.address6, 'address6'],
      ['Gateway', c.internal_gateway, 'internal_gateway'],
      ['DNS', c.dns, 'dns'],
      ['Search', c.search_domain ?? c.search_domains, 'search_domain'],
      ['WINS', c.wins, 'wins'],
      ['Routes', c.split_include, 'split_include'],
      ['Excluded', c.split_exclude, 'split_exclude'],
      ['Ranges', c.routes, 'routes'],
      ['IPv6 routes', c.split_include6, 'split_include6'],
      ['IPv6 excluded', c.split_exclude6, 'split_exclude6'],
      ['MTU', c.mtu, 'mtu'],
      ['ESP', esp, 'esp'],
      ['ESP port', c.esp_port, 'esp_port'],
      ['Compression', c.compression, 'compression'],
      ['Lifetime', [c.lifetime_secs != null ? `${c.lifetime_secs} s` : '', c.lifetime_bytes != null ? bytes(c.lifetime_bytes) : ''].filter(Boolean).join(' / '), 'lifetime'],
      ['Fallback', c.fallback_secs != null ? `${c.fallback_secs} s` : null, 'fallback_secs'],
      ['Replay check', c.replay_protection, 'replay_protection'],
      ['Unknown TLVs', c.unknown_tlvs, 'unknown_tlvs'],
      ['Received', s.configCount > 1 ? `${rel(c.time)} s (${s.configCount} configuration packets)` : `${rel(c.time)} s`, 'received'],
    ]));
  } else body(cp);

  const sp = document.getElementById('sa-panel');
  if (s.sas.length) {
    const t = el('table', 'sas');
    t.id = 'sa-table';
    const head = el('tr');
    for (const h of ['SPI', 'For', 'Algorithms', 'Pkts', 'Bytes']) head.append(el('th', '', h));
    t.append(head);
    for (const sa of s.sas) {
      const tr = el('tr');
      tr.dataset.spi = sa.spi;
      tr.dataset.index = sa.index;
      tr.title = `from ${sa.origin}, installed at ${rel(sa.time)} s${sa.errors ? `, ${sa.errors} errors` : ''}${sa.lastSeq != null ? `, last seq ${sa.lastSeq}` : ''}`;
      const alg = el('td', 'alg');
      alg.append(sa.cipher ?? '', el('br'), el('span', 'muted', sa.mac ?? ''));
      const spi = el('td', '', sa.spi);
      spi.append(el('br'), el('span', 'muted', sa.origin.replace(/ \(flow \d+\)$/, '')));
      tr.append(spi, el('td', '', sa.direction), alg, el('td', 'num', String(sa.packets)), el('td', 'num', bytes(sa.bytes)));
      tr.addEventListener('click', () => jump(sa.index));
      t.append(tr);
    }
    body(sp, t);
  } else body(sp);

  const tp = document.getElementById('timeline-panel');
  if (s.timeline.length) {
    const ol = el('ol', 'timeline');
    for (const item of s.timeline) {
      const li = el('li');
      li.dataset.kind = item.kind;
      li.append(el('span', 't', item.time != null ? rel(item.time) : ''), el('span', `kind ${item.kind}`, item.kind),
        el('span', '', item.text));
      li.addEventListener('click', () => jump(item.index));
      ol.append(li);
    }
    const extra = s.timelineDropped ? [el('p', 'muted', `${s.timelineDropped} more not listed`)] : [];
    body(tp, ol, ...extra);
  } else body(tp);
}
