// Map: every device of the fleet index at its coordinates on a canvas, coloured ok / fault /
// offline — no tile server, just a grid of 0.01° and the boroughs' names at their devices' centre.
// One canvas and a redraw per animation frame keep thousands of markers smooth; wheel or +/−
// zooms, dragging or the arrow keys pan, a click opens the nearest device.
import { api } from '../api.js';
import { onEvents } from '../live.js';
import { el, deviceLink, num, KINDS, KIND_NAMES } from '../ui.js';

const COLOURS = { ok: '#1d7a3a', fault: '#c0262d', offline: '#6b7480' };

export function render(container) {
  const canvas = el('canvas', { id: 'map-canvas', role: 'img', tabindex: '0', 'aria-label': 'Map of the fleet; use arrow keys to pan, + and - to zoom' });
  const wrap = el('div', { class: 'map-wrap' }, canvas);
  const summary = el('p', { id: 'map-summary', role: 'status' }, 'Loading devices…');
  const filters = el('fieldset', { class: 'filters' }, el('legend', {}, 'Kinds shown'),
    KINDS.map(k => el('label', {}, el('input', { type: 'checkbox', name: 'kind', value: k, checked: true, onchange: () => schedule() }), ` ${KIND_NAMES[k]}`)));
  container.append(el('h1', {}, 'Map'), filters,
    el('p', { class: 'legend' }, ['ok', 'fault', 'offline'].map(s => el('span', {}, el('span', { class: `dot ${s}` }), s))),
    summary, wrap);

  const devices = new Map(); // "kind/id" → device from the index
  const view = { cx: 6.76, cy: 51.44, scale: 3000 }; // centre (lon, lat) and pixels per degree of longitude
  let frame = 0;
  let drawn = [];
  let centres = new Map(); // borough → centre of its devices, for the labels
  let stopped = false;

  const shownKinds = () => new Set([...filters.querySelectorAll('input:checked')].map(i => i.value));
  const stateOf = d => (d.faults?.length ? 'fault' : d.online ? 'ok' : 'offline');
  const schedule = () => { if (!frame) frame = requestAnimationFrame(draw); };
  const latFactor = () => 1 / Math.cos((view.cy * Math.PI) / 180);
  const toScreen = (lon, lat, w, h) => [w / 2 + (lon - view.cx) * view.scale, h / 2 - (lat - view.cy) * view.scale * latFactor()];

  function fit() {
    const all = [...devices.values()];
    if (!all.length) return;
    const lons = all.map(d => d.lon), lats = all.map(d => d.lat);
    const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
    view.cx = (minLon + maxLon) / 2;
    view.cy = (minLat + maxLat) / 2;
    const { width, height } = canvas.getBoundingClientRect();
    view.scale = 0.9 * Math.min(width / Math.max(maxLon - minLon, 0.01), height / (Math.max(maxLat - minLat, 0.01) * latFactor()));
  }

  function draw() {
    frame = 0;
    if (stopped) return;
    const started = performance.now();
    const ratio = window.devicePixelRatio || 1;
    const { width: w, height: h } = canvas.getBoundingClientRect();
    if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio);
    if (canvas.height !== Math.round(h * ratio)) canvas.height = Math.round(h * ratio);
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);

    // The grid: a line every 0.01° (about 1.1 km north–south), labelled every 0.05°.
    g.lineWidth = 1;
    g.font = '11px system-ui, sans-serif';
    const [lon0, lat1] = [view.cx - w / 2 / view.scale, view.cy + h / 2 / view.scale / latFactor()];
    const [lon1, lat0] = [view.cx + w / 2 / view.scale, view.cy - h / 2 / view.scale / latFactor()];
    const step = view.scale > 1500 ? 0.01 : 0.05;
    for (let lon = Math.ceil(lon0 / step) * step; lon <= lon1; lon += step) {
      const [x] = toScreen(lon, 0, w, h);
      const major = Math.abs(lon / 0.05 - Math.round(lon / 0.05)) < 1e-6;
      g.strokeStyle = major ? '#c3ccd6' : '#e4e9ee';
      g.beginPath(); g.moveTo(x, 0); g.lineTo(x, h); g.stroke();
      if (major) { g.fillStyle = '#4d5b68'; g.fillText(`${lon.toFixed(2)}°E`, x + 3, h - 4); }
    }
    for (let lat = Math.ceil(lat0 / step) * step; lat <= lat1; lat += step) {
      const [, y] = toScreen(0, lat, w, h);
      const major = Math.abs(lat / 0.05 - Math.round(lat / 0.05)) < 1e-6;
      g.strokeStyle = major ? '#c3ccd6' : '#e4e9ee';
      g.beginPath(); g.moveTo(0, y); g.lineTo(w, y); g.stroke();
      if (major) { g.fillStyle = '#4d5b68'; g.fillText(`${lat.toFixed(2)}°N`, 3, y - 3); }
    }

    // Markers: one pass sorts them by state, then one path per colour — offline first, faults
    // last, so a fault is never hidden under a healthy neighbour.
    const kinds = shownKinds();
    const counts = { ok: 0, fault: 0, offline: 0 };
    const buckets = { ok: [], fault: [], offline: [] };
    const size = view.scale > 6000 ? 6 : 4;
    drawn = [];
    for (const d of devices.values()) {
      if (!kinds.has(d.kind)) continue;
      const state = stateOf(d);
      counts[state]++;
      const [x, y] = toScreen(d.lon, d.lat, w, h);
      if (x < -size || y < -size || x > w + size || y > h + size) continue;
      buckets[state].push(x, y);
      drawn.push([x, y, d]);
    }
    for (const state of ['offline', 'ok', 'fault']) {
      const xy = buckets[state];
      g.fillStyle = COLOURS[state];
      g.beginPath();
      for (let i = 0; i < xy.length; i += 2) g.rect(xy[i] - size / 2, xy[i + 1] - size / 2, size, size);
      g.fill();
    }

    // Borough names at the centre of their devices.
    g.font = '600 13px system-ui, sans-serif';
    g.textAlign = 'center';
    for (const [name, c] of centres) {
      const [x, y] = toScreen(c.lon, c.lat, w, h);
      g.lineWidth = 3; g.strokeStyle = '#ffffffd0'; g.strokeText(name, x, y);
      g.fillStyle = '#10263d'; g.fillText(name, x, y);
    }
    g.textAlign = 'start';

    const shown = counts.ok + counts.fault + counts.offline;
    canvas.dataset.markers = String(shown);
    canvas.dataset.ok = String(counts.ok);
    canvas.dataset.fault = String(counts.fault);
    canvas.dataset.offline = String(counts.offline);
    // Only a changed summary is written: it is a live region, and panning must not make it chatter.
    const text = `${num(shown)} devices shown: ${num(counts.ok)} ok, ${num(counts.fault)} with a fault, ${num(counts.offline)} offline.`;
    if (summary.textContent !== text) summary.textContent = text;
    canvas.dataset.drawMs = (performance.now() - started).toFixed(1);
  }

  // Panning, zooming and picking.
  let drag = null;
  canvas.addEventListener('pointerdown', e => { drag = { x: e.clientX, y: e.clientY, cx: view.cx, cy: view.cy, moved: false }; canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener('pointermove', e => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    view.cx = drag.cx - dx / view.scale;
    view.cy = drag.cy + dy / view.scale / latFactor();
    schedule();
  });
  canvas.addEventListener('pointerup', e => {
    const click = drag && !drag.moved;
    drag = null;
    if (click) pick(e);
  });
  canvas.addEventListener('wheel', e => { e.preventDefault(); zoom(e.deltaY < 0 ? 1.25 : 0.8); }, { passive: false });
  canvas.addEventListener('keydown', e => {
    const pan = 60 / view.scale;
    const moves = { ArrowLeft: [-pan, 0], ArrowRight: [pan, 0], ArrowUp: [0, pan / latFactor()], ArrowDown: [0, -pan / latFactor()] };
    if (moves[e.key]) { view.cx += moves[e.key][0]; view.cy += moves[e.key][1]; schedule(); e.preventDefault(); }
    if (e.key === '+' || e.key === '=') zoom(1.25);
    if (e.key === '-') zoom(0.8);
  });
  const zoom = factor => { view.scale = Math.min(Math.max(view.scale * factor, 200), 200000); schedule(); };

  let popup = null;
  function pick(e) {
    popup?.remove();
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    let best = null, bestDistance = 64;
    for (const [px, py, d] of drawn) {
      const distance = (px - x) ** 2 + (py - y) ** 2;
      if (distance < bestDistance) { best = d; bestDistance = distance; }
    }
    if (!best) return;
    popup = el('div', { class: 'popup', style: `left:${Math.min(x + 8, rect.width - 200)}px;top:${y + 8}px` },
      el('strong', {}, deviceLink(best.kind, best.id)), el('br'), `${best.kind} · ${best.borough} · `,
      el('span', { class: stateOf(best) }, stateOf(best)), best.faults?.length ? el('div', {}, best.faults.join(', ')) : null);
    wrap.append(popup);
  }

  // Live: the state of a device on the map follows its twin and connectivity events.
  const off = onEvents(['twinChanged', 'connectivity'], event => {
    const d = devices.get(`${event.kind}/${event.deviceId}`);
    if (!d) return;
    if (event.connectivity) d.online = event.connectivity.online;
    if (event.twin) {
      d.online = event.twin.connectivity?.online ?? d.online;
      d.faults = (event.twin.faults ?? []).map(f => f.code);
    }
    schedule();
  });
  const resize = () => schedule();
  window.addEventListener('resize', resize);

  api.all('/api/devices?limit=1000', 'items', 200).then(items => {
    for (const d of items) devices.set(`${d.kind}/${d.id}`, d);
    canvas.dataset.devices = String(devices.size);
    centres = centresOf(devices.values());
    fit();
    schedule();
    container.dataset.loaded = 'true';
  }, error => { summary.textContent = `Cannot load the devices: ${error.message}`; });

  return () => { stopped = true; off(); window.removeEventListener('resize', resize); cancelAnimationFrame(frame); };
}

function centresOf(devices) {
  const sums = new Map();
  for (const d of devices) {
    const c = sums.get(d.borough) ?? { lon: 0, lat: 0, n: 0 };
    c.lon += d.lon; c.lat += d.lat; c.n++;
    sums.set(d.borough, c);
  }
  return new Map([...sums].map(([name, c]) => [name, { lon: c.lon / c.n, lat: c.lat / c.n }]));
}
