// Device detail: the twin (reported / desired / delta with timestamps), connectivity, faults, open
// alarms, the recent history as a chart, the command log, and buttons for the commands the
// signed-in role may send — their outcome follows live from commandChanged events.
import { api, session, ApiError } from '../api.js';
import { onEvents } from '../live.js';
import { catalogue, allowedCommands, argsOf, inputFor, labelOf } from '../commands.js';
import { el, when, ago, value, num, severityBadge, throttle } from '../ui.js';

const SERIES = { lamp: 'Lamp power (W)', meter: 'Consumption per reading', wifi: 'Connected clients', parking: 'Occupied (1) or free (0)' };

export function render(container, [kind, id]) {
  const base = `/api/devices/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`;
  container.dataset.kind = kind;
  container.dataset.device = id;
  container.append(
    el('h1', {}, `${kind} ${id}`),
    el('p', { id: 'device-error', class: 'error', role: 'alert' }),
    el('div', { class: 'grid2' },
      el('section', { class: 'card', 'aria-labelledby': 'h-state' }, el('h2', { id: 'h-state' }, 'State'), el('div', { id: 'device-state' }, 'Loading…')),
      el('section', { class: 'card', 'aria-labelledby': 'h-history' }, el('h2', { id: 'h-history' }, SERIES[kind] ?? 'History'), el('div', { id: 'device-history' }, 'Loading…'))),
    el('section', { class: 'card', 'aria-labelledby': 'h-twin' }, el('h2', { id: 'h-twin' }, 'Twin'), el('div', { class: 'scroll', id: 'device-twin' })),
    el('section', { class: 'card', 'aria-labelledby': 'h-commands' }, el('h2', { id: 'h-commands' }, 'Commands'),
      el('div', { class: 'commands', id: 'device-command-buttons' }),
      el('p', { id: 'command-outcome', role: 'status', 'aria-live': 'polite' }),
      el('div', { class: 'scroll' }, el('table', { id: 'device-commands' }))),
  );

  let stopped = false;
  let lastSent = null;
  const commands = new Map();
  const error = message => { container.querySelector('#device-error').textContent = message; };

  async function loadTwin() {
    try {
      const [twin, alarms] = await Promise.all([api.get(base), api.get(`/api/alarms?deviceId=${encodeURIComponent(id)}&limit=20`)]);
      if (!stopped) drawTwin(twin, alarms.alarms.filter(a => a.kind === kind && a.state !== 'cleared'));
    } catch (e) {
      error(e instanceof ApiError && e.status === 404 ? `There is no ${kind} ${id}.` : `Cannot load the twin: ${e.message}`);
    }
  }

  function drawTwin(twin, alarms) {
    const c = twin.connectivity ?? {};
    container.querySelector('#device-state').replaceChildren(
      el('dl', { class: 'kv' },
        el('dt', {}, 'Connectivity'), el('dd', { 'data-online': String(!!c.online), class: c.online ? 'ok' : 'offline' }, c.online ? 'online' : 'offline', c.since ? ` since ${when(c.since)}` : ''),
        el('dt', {}, 'Last seen'), el('dd', { title: when(c.lastSeen) }, ago(c.lastSeen)),
        el('dt', {}, 'Borough'), el('dd', {}, twin.metadata?.borough ?? '—'),
        el('dt', {}, 'Position'), el('dd', {}, `${twin.metadata?.lat}, ${twin.metadata?.lon}`),
        twin.metadata?.street ? [el('dt', {}, 'Street'), el('dd', {}, twin.metadata.street)] : null,
        el('dt', {}, 'Model'), el('dd', {}, twin.metadata?.model ?? '—'),
        el('dt', {}, 'Version'), el('dd', {}, String(twin.version))),
      el('h3', {}, 'Faults'),
      twin.faults?.length
        ? el('ul', { id: 'device-faults' }, twin.faults.map(f => el('li', { class: 'fault' }, el('strong', {}, f.code), ` since ${when(f.since)} — ${f.detail ?? ''}`)))
        : el('p', { class: 'ok', id: 'device-faults' }, 'No faults.'),
      el('h3', {}, 'Open alarms'),
      alarms.length
        ? el('ul', {}, alarms.map(a => el('li', {}, severityBadge(a.severity), ` ${a.type} (${a.state}) raised ${ago(a.lastRaisedAt)} `, el('a', { href: '#/alarms' }, 'to the alarms'))))
        : el('p', { class: 'muted' }, 'None.'));

    const fields = [...new Set([...Object.keys(twin.reported ?? {}), ...Object.keys(twin.desired ?? {})])].sort();
    const stamp = (side, f) => twin.timestamps?.[side]?.[f];
    container.querySelector('#device-twin').replaceChildren(fields.length
      ? el('table', {},
        el('caption', { class: 'muted' }, 'Reported, desired and the difference (delta) per field'),
        el('thead', {}, el('tr', {}, ['Field', 'Reported', 'Reported at', 'Desired', 'Desired at', 'Delta'].map(h => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, fields.map(f => el('tr', { 'data-field': f },
          el('th', { scope: 'row' }, f),
          el('td', {}, f in (twin.reported ?? {}) ? value(twin.reported[f]) : '—'),
          el('td', {}, when(stamp('reported', f))),
          el('td', {}, f in (twin.desired ?? {}) ? value(twin.desired[f]) : '—'),
          el('td', {}, when(stamp('desired', f))),
          el('td', { class: f in (twin.delta ?? {}) ? 'fault' : 'muted' }, f in (twin.delta ?? {}) ? `→ ${value(twin.delta[f])}` : 'in sync')))))
      : el('p', { class: 'muted' }, 'The device has reported nothing yet and nothing is desired.'));
  }

  async function loadHistory() {
    try {
      const points = await api.get(`${base}/history`);
      const box = container.querySelector('#device-history');
      if (!stopped) box.replaceChildren(chart(points, SERIES[kind] ?? 'value', box.clientWidth));
    } catch (e) {
      container.querySelector('#device-history').textContent = `No history: ${e.message}`;
    }
  }

  // Commands: the buttons of the role, the log, and live state changes.
  const buttons = container.querySelector('#device-command-buttons');
  async function loadButtons() {
    let kinds;
    try {
      kinds = await catalogue();
    } catch (e) {
      buttons.replaceChildren(el('p', { class: 'error' }, `Cannot load the command catalogue: ${e.message}`));
      return;
    }

    if (stopped) return;
    const offered = allowedCommands(kinds, kind, session.caller?.may ?? {});
    if (!offered.length) buttons.append(el('p', { class: 'muted' }, `Your role (${session.caller?.role}) sends no commands to a ${kind}.`));
    for (const spec of offered) {
      const label = labelOf(spec.name);
      const form = el('form', { 'data-command': spec.name, 'aria-label': label, title: spec.summary, onsubmit: e => { e.preventDefault(); send(spec, form); } },
        spec.args.map(arg => {
          const inputId = `arg-${spec.name}-${arg.name}`;
          return el('div', {}, el('label', { for: inputId }, arg.name), inputFor(kind, spec, arg, inputId));
        }),
        el('button', { type: 'submit' }, label));
      buttons.append(form);
    }
  }

  async function send(spec, form) {
    const outcome = container.querySelector('#command-outcome');
    try {
      const command = await api.post(`${base}/commands`, { name: spec.name, args: argsOf(spec, form) });
      lastSent = command.id;
      commands.set(command.id, command);
      drawCommands();
    } catch (e) {
      outcome.dataset.state = 'refused';
      outcome.textContent = `${spec.name} was refused: ${e.message}`;
    }
  }

  async function loadCommands() {
    try {
      const list = await api.get(`${base}/commands`);
      if (stopped) return;
      for (const command of list.items) commands.set(command.id, command);
      drawCommands();
    } catch (e) {
      container.querySelector('#device-commands').replaceChildren(el('caption', { class: 'muted' }, `No command log: ${e.message}`));
    }
  }

  async function refreshCommand(commandId) {
    try {
      const command = await api.get(`${base}/commands/${encodeURIComponent(commandId)}`);
      if (stopped) return;
      commands.set(command.id, command);
      drawCommands();
    } catch { /* the list shows the state the event carried */ }
  }

  function drawCommands() {
    const list = [...commands.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const latest = commands.get(lastSent);
    const outcome = container.querySelector('#command-outcome');
    if (latest) {
      outcome.dataset.state = latest.state;
      outcome.replaceChildren(`${latest.name}: `, el('span', { class: `state ${latest.state}` }, latest.state),
        latest.result?.detail ? ` — ${latest.result.detail}` : '');
    }
    container.querySelector('#device-commands').replaceChildren(
      el('caption', { class: 'muted' }, 'Command log, newest first'),
      el('thead', {}, el('tr', {}, ['Command', 'State', 'Sent by', 'Created', 'Updated', 'Result'].map(h => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, list.map(c => el('tr', { 'data-command-id': c.id, 'data-state': c.state },
        el('td', {}, c.name, Object.keys(c.args ?? {}).length ? ` ${JSON.stringify(c.args)}` : ''),
        el('td', { class: `state ${c.state}` }, c.state),
        el('td', {}, c.requestedBy ?? '—'),
        el('td', {}, when(c.createdAt)),
        el('td', {}, when(c.updatedAt)),
        el('td', {}, c.result ? `${c.result.status}${c.result.detail ? `: ${c.result.detail}` : ''}` : '—')))));
  }

  const reloadTwin = throttle(loadTwin, 500);
  const reloadHistory = throttle(loadHistory, 5000);
  const off = onEvents(['twinChanged', 'connectivity', 'alarmOpened', 'alarmAcknowledged', 'alarmCleared', 'commandChanged'], event => {
    if (event.kind !== kind || event.deviceId !== id) return;
    if (event.type === 'commandChanged' && event.command) {
      const known = commands.get(event.command.commandId);
      if (known) { commands.set(known.id, { ...known, state: event.command.state, updatedAt: event.at }); drawCommands(); }
      refreshCommand(event.command.commandId);
      return;
    }
    reloadTwin();
    if (event.type === 'twinChanged') reloadHistory();
  });

  loadTwin();
  loadHistory();
  Promise.all([loadButtons(), loadCommands()]).then(() => { container.dataset.loaded = 'true'; });
  return () => { stopped = true; off(); };
}

/** A small SVG line chart of [{at, value}] with its range, drawn at the box's width so its labels stay readable on a phone. */
function chart(points, label, width) {
  if (!points.length) return el('p', { class: 'muted' }, 'No history yet.');
  const ns = 'http://www.w3.org/2000/svg';
  const [w, h, pad] = [Math.max(280, Math.round(width) || 600), 160, 28];
  const times = points.map(p => new Date(p.at).getTime());
  const values = points.map(p => Number(p.value));
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const [v0, v1] = [Math.min(0, ...values), Math.max(...values, 1e-9)];
  const x = t => pad + ((t - t0) / Math.max(t1 - t0, 1)) * (w - pad - 8);
  const y = v => h - pad + 8 - ((v - v0) / Math.max(v1 - v0, 1e-9)) * (h - pad - 8);
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${label}: ${points.length} points from ${num(v0, 1)} to ${num(v1, 1)}`);
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    svg.append(node);
  };
  add('line', { x1: pad, y1: y(v0), x2: w - 8, y2: y(v0), stroke: '#8796a5' });
  add('text', { x: 2, y: y(v1) + 4, 'font-size': 11, fill: '#4d5b68' }, num(v1, 1));
  add('text', { x: 2, y: y(v0), 'font-size': 11, fill: '#4d5b68' }, num(v0, 1));
  add('text', { x: pad, y: h - 4, 'font-size': 11, fill: '#4d5b68' }, when(points[0].at));
  add('text', { x: w - 8, y: h - 4, 'font-size': 11, fill: '#4d5b68', 'text-anchor': 'end' }, when(points.at(-1).at));
  add('polyline', { fill: 'none', stroke: '#0b5cad', 'stroke-width': 2, points: points.map((p, i) => `${x(times[i]).toFixed(1)},${y(values[i]).toFixed(1)}`).join(' ') });
  return svg;
}
