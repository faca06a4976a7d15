// Overview: per borough and kind — devices, online, open alarms by severity, parking, lamps.
// Live: events make it re-read the figures (at most every 3 s; the index follows within 2 s).
import { api } from '../api.js';
import { onEvents } from '../live.js';
import { el, num, when, throttle, KINDS, KIND_NAMES, SEVERITIES } from '../ui.js';

export function render(container) {
  container.append(
    el('h1', {}, 'Overview'),
    el('p', { class: 'muted' }, 'The fleet per borough, live. Figures come from the fleet index; ', el('span', { id: 'overview-at' }, '…')),
    el('div', { class: 'tiles', id: 'overview-tiles', 'aria-live': 'polite' }),
    el('h2', {}, 'Per borough'),
    el('div', { class: 'scroll' }, el('table', { id: 'overview-boroughs' })),
    el('h2', {}, 'Per kind'),
    el('div', { class: 'scroll' }, el('table', { id: 'overview-kinds' })),
  );

  let stopped = false;
  const load = async () => {
    try {
      const [figures, alarms] = await Promise.all([
        api.get('/api/boroughs'),
        api.all('/api/alarms?state=active&limit=1000', 'alarms', 20),
      ]);
      if (!stopped) draw(container, figures, alarms);
    } catch (error) {
      if (!stopped) container.querySelector('#overview-at').textContent = `cannot load: ${error.message}`;
    }
  };
  const reload = throttle(load, 3000);
  const off = onEvents(['twinChanged', 'connectivity', 'alarmOpened', 'alarmAcknowledged', 'alarmCleared', 'reset'], reload);
  // Index figures such as power move without an event of their own often enough; refresh slowly too.
  const timer = setInterval(load, 30000);
  load();
  return () => { stopped = true; off(); clearInterval(timer); };
}

function draw(container, figures, alarms) {
  const boroughs = figures.boroughs;
  const sum = pick => boroughs.reduce((total, b) => total + (pick(b) ?? 0), 0);
  const bySeverity = Object.fromEntries(SEVERITIES.map(s => [s, alarms.filter(a => a.severity === s).length]));
  const alarmsIn = (borough, severity) => alarms.filter(a => a.borough === borough && (!severity || a.severity === severity)).length;

  container.querySelector('#overview-at').textContent = `as of ${when(figures.at)}.`;
  const tile = (figure, value, label, extra) =>
    el('div', { class: 'tile', 'data-figure': figure, 'data-value': value }, el('div', { class: 'n' }, num(value)), el('div', { class: 'l' }, label), extra);
  container.querySelector('#overview-tiles').replaceChildren(
    tile('devices', sum(b => b.devices), 'devices'),
    tile('online', sum(b => b.online), 'online'),
    tile('alarms', alarms.length, 'active alarms',
      el('div', { class: 'l' }, SEVERITIES.map(s => el('span', { 'data-severity': s, 'data-value': bySeverity[s] }, `${s} ${bySeverity[s]} `)))),
    tile('parkingFree', sum(b => b.parking.free), 'parking bays free'),
    tile('parkingOccupied', sum(b => b.parking.occupied), 'parking bays occupied'),
    tile('lampsLit', sum(b => b.lamp.lit), 'lamps lit'),
    el('div', { class: 'tile', 'data-figure': 'powerKw' }, el('div', { class: 'n' }, num(sum(b => b.lamp.powerW) / 1000, 1)), el('div', { class: 'l' }, 'kW lamp power')),
  );

  const group = (text, span) => el('th', { scope: 'colgroup', colspan: span, class: 'group' }, text);
  const single = text => el('th', { scope: 'col', rowspan: 2, class: text === 'Borough' ? '' : 'num' }, text);
  const head = [
    el('tr', {}, single('Borough'), single('Devices'), single('Online'), group('Active alarms', 4), group('Parking bays', 2), group('Lamps', 2)),
    el('tr', {}, [...SEVERITIES, 'free', 'occupied', 'lit', 'kW'].map(h => el('th', { scope: 'col', class: 'num' }, h))),
  ];
  const row = (name, cells, attrs) => el('tr', attrs, el('th', { scope: 'row' }, name), cells.map(c => el('td', { class: 'num' }, c)));
  const cellsOf = b => [num(b.devices), num(b.online), ...SEVERITIES.map(s => num(alarmsIn(b.name, s))),
    num(b.parking.free), num(b.parking.occupied), num(b.lamp.lit), num(b.lamp.powerW / 1000, 1)];
  container.querySelector('#overview-boroughs').replaceChildren(
    el('caption', { class: 'muted' }, 'Devices, online, active alarms by severity, parking and lamps per borough'),
    el('thead', {}, head),
    el('tbody', {}, boroughs.map(b => row(b.name, cellsOf(b), { 'data-borough': b.name, 'data-devices': b.devices }))),
    el('tfoot', {}, row('All boroughs', [num(sum(b => b.devices)), num(sum(b => b.online)), ...SEVERITIES.map(s => num(bySeverity[s])),
      num(sum(b => b.parking.free)), num(sum(b => b.parking.occupied)), num(sum(b => b.lamp.lit)), num(sum(b => b.lamp.powerW) / 1000, 1)])),
  );

  const kindHead = ['Kind', 'Devices', 'Online', 'Active alarms', 'Faulty devices'];
  const faulty = k => sum(b => Object.values(b[k].faults ?? {}).reduce((x, y) => x + y, 0));
  container.querySelector('#overview-kinds').replaceChildren(
    el('caption', { class: 'muted' }, 'Devices, online and alarms per kind'),
    el('thead', {}, el('tr', {}, kindHead.map((h, i) => el('th', { scope: 'col', class: i ? 'num' : '' }, h)))),
    el('tbody', {}, KINDS.map(k => row(KIND_NAMES[k], [num(sum(b => b[k].devices)), num(sum(b => b[k].online)),
      num(alarms.filter(a => a.kind === k).length), num(faulty(k))], { 'data-kind': k, 'data-devices': sum(b => b[k].devices) }))),
  );
  container.dataset.loaded = 'true';
}
