// The throughput chart: tunnelled IP bytes per transport and direction over
// time (client → server above the axis, server → client below), drawn on a
// canvas from the session snapshot's bins.
const COLORS = ['#ff8aa8', '#f0b35a', '#6cc3ff', '#5ad19a'];

function niceStep(max, ticks) {
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

export function renderLegend(legend, throughput) {
  legend.replaceChildren();
  const unit = document.createElement('span');
  unit.textContent = 'Mbit/s of tunnelled IP';
  unit.style.marginLeft = 'auto';
  throughput.series.forEach((name, i) => {
    const total = throughput.totals[i];
    if (!total) return;
    const s = document.createElement('span');
    const sw = document.createElement('i');
    sw.style.background = COLORS[i];
    s.append(sw, name);
    legend.append(s);
  });
  legend.append(unit);
}

/** Draws `throughput` ({binUs, series, bins: [t, v0..v3]*}) with times relative to `t0` (µs). */
export function drawChart(canvas, throughput, t0) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight || 150;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, h);
  g.font = '10px system-ui, sans-serif';
  const pad = { l: 40, r: 6, t: 6, b: 18 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const bins = throughput.bins;
  const n = bins.length / 5;
  g.fillStyle = '#8393a7';
  if (!n || t0 == null) {
    g.fillText('no tunnelled data yet', pad.l + 8, pad.t + ph / 2);
    return;
  }
  const binUs = throughput.binUs;
  const tEnd = bins[(n - 1) * 5] + binUs;
  const span = Math.max(tEnd - t0, binUs);
  // Mbit/s of each bin: bytes * 8 / µs.
  let max = 0;
  for (let i = 0; i < n; i++) for (let s = 0; s < 4; s++) max = Math.max(max, (bins[i * 5 + 1 + s] * 8) / binUs);
  max = max || 1;
  // Client → server above the axis, server → client mirrored below it.
  const step = niceStep(max, 2);
  const top = Math.ceil(max / step) * step;
  const x = (t) => pad.l + ((t - t0) / span) * pw;
  const y = (v) => pad.t + ph / 2 - (v / top) * (ph / 2);
  g.strokeStyle = '#263241';
  g.lineWidth = 1;
  g.textAlign = 'right';
  for (let v = -top; v <= top + 1e-9; v += step) {
    const yy = Math.round(y(v)) + 0.5;
    g.strokeStyle = Math.abs(v) < 1e-9 ? '#3a4a5e' : '#263241';
    g.beginPath(); g.moveTo(pad.l, yy); g.lineTo(w - pad.r, yy); g.stroke();
    const a = Math.abs(v);
    g.fillText(a >= 10 ? a.toFixed(0) : +a.toPrecision(2), pad.l - 4, y(v) + 3);
  }
  g.textAlign = 'left';
  g.fillText('▲ client → server', pad.l + 4, pad.t + 9);
  g.fillText('▼ server → client', pad.l + 4, pad.t + ph - 3);
  const tStep = niceStep(span / 1e6, 5);
  g.textAlign = 'center';
  for (let s = 0; s <= span / 1e6 + 1e-9; s += tStep) {
    const label = `${+s.toFixed(3)} s`;
    const lx = x(t0 + s * 1e6);
    if (lx + g.measureText(label).width / 2 <= w) g.fillText(label, lx, h - 4);
  }
  // One line per series; empty bins between samples drop to zero.
  for (let s = 0; s < 4; s++) {
    if (!throughput.totals[s]) continue;
    g.strokeStyle = COLORS[s];
    g.lineWidth = 1.5;
    g.beginPath();
    let prevEnd = null;
    for (let i = 0; i < n; i++) {
      const t = bins[i * 5];
      const v = ((s % 2 ? -1 : 1) * bins[i * 5 + 1 + s] * 8) / binUs;
      if (prevEnd === null) g.moveTo(x(t), y(0));
      else if (t > prevEnd) { g.lineTo(x(prevEnd), y(0)); g.lineTo(x(t), y(0)); }
      g.lineTo(x(t), y(v));
      g.lineTo(x(t + binUs), y(v));
      prevEnd = t + binUs;
    }
    g.lineTo(x(prevEnd), y(0));
    g.stroke();
  }
}
