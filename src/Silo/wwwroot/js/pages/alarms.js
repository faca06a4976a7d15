// Alarms: the list (active by default), filtered and sorted, acknowledged with a comment, each
// linking to its device. Live: opened, acknowledged and cleared alarms update the list at once.
import { api, session } from '../api.js';
import { onEvents } from '../live.js';
import { el, when, ago, deviceLink, severityBadge, KINDS, SEVERITIES, BOROUGHS } from '../ui.js';

const RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i]));
const COLUMNS = [
  ['severity', 'Severity', (a, b) => RANK[a.severity] - RANK[b.severity]],
  ['raisedAt', 'Raised', (a, b) => b.lastRaisedAt.localeCompare(a.lastRaisedAt)],
  ['deviceId', 'Device', (a, b) => a.deviceId.localeCompare(b.deviceId)],
  ['type', 'Type', (a, b) => a.type.localeCompare(b.type)],
  ['borough', 'Borough', (a, b) => a.borough.localeCompare(b.borough)],
  ['state', 'State', (a, b) => a.state.localeCompare(b.state)],
];

export function render(container) {
  const select = (name, label, options, initial = '') =>
    el('div', {}, el('label', { for: `alarm-${name}` }, label),
      el('select', { id: `alarm-${name}`, name, onchange: () => load() },
        options.map(([v, text]) => el('option', { value: v, selected: v === initial }, text))));
  const search = el('input', { id: 'alarm-q', type: 'search', placeholder: 'DU-L-…', oninput: () => draw() });
  container.append(
    el('h1', {}, 'Alarms'),
    el('form', { class: 'filters', onsubmit: e => e.preventDefault(), 'aria-label': 'Filter alarms' },
      select('state', 'State', [['active', 'active'], ['acknowledged', 'acknowledged'], ['cleared', 'cleared'], ['', 'any']], 'active'),
      select('severity', 'Severity', [['', 'any'], ...SEVERITIES.map(s => [s, s])]),
      select('kind', 'Kind', [['', 'any'], ...KINDS.map(k => [k, k])]),
      select('borough', 'Borough', [['', 'any'], ...BOROUGHS.map(b => [b, b])]),
      el('div', {}, el('label', { for: 'alarm-q' }, 'Device or type contains'), search)),
    el('p', { id: 'alarm-count', role: 'status', class: 'muted' }, 'Loading…'),
    el('div', { class: 'scroll' }, el('table', { id: 'alarm-table' })),
  );

  let alarms = new Map();
  let sort = { key: 'severity', descending: false };
  let stopped = false;
  let editing = null; // { id, text }: the open acknowledgement form survives live redraws
  const filterValue = name => container.querySelector(`#alarm-${name}`).value;

  async function load() {
    const query = new URLSearchParams({ limit: '1000' });
    for (const name of ['state', 'severity', 'kind', 'borough']) if (filterValue(name)) query.set(name, filterValue(name));
    try {
      const list = await api.all(`/api/alarms?${query}`, 'alarms', 10);
      if (stopped) return;
      alarms = new Map(list.map(a => [a.id, a]));
      draw();
      container.dataset.loaded = 'true';
    } catch (error) {
      container.querySelector('#alarm-count').textContent = `Cannot load alarms: ${error.message}`;
    }
  }

  const matches = a => ['state', 'severity', 'kind', 'borough'].every(name => !filterValue(name) || a[name] === filterValue(name));

  function draw() {
    const q = search.value.trim().toLowerCase();
    const column = COLUMNS.find(c => c[0] === sort.key);
    const rows = [...alarms.values()]
      .filter(a => !q || a.deviceId.toLowerCase().includes(q) || a.type.toLowerCase().includes(q))
      .sort((a, b) => (sort.descending ? -1 : 1) * (column[2](a, b) || b.lastRaisedAt.localeCompare(a.lastRaisedAt)));
    container.querySelector('#alarm-count').textContent = `${rows.length} alarm${rows.length === 1 ? '' : 's'}`;
    const header = COLUMNS.map(([key, label]) => el('th', { scope: 'col', 'aria-sort': sort.key === key ? (sort.descending ? 'descending' : 'ascending') : null },
      el('button', { type: 'button', class: 'sort', onclick: () => { sort = { key, descending: sort.key === key && !sort.descending }; draw(); } },
        label, sort.key === key ? (sort.descending ? ' ▼' : ' ▲') : '')));
    container.querySelector('#alarm-table').replaceChildren(
      el('thead', {}, el('tr', {}, header, el('th', { scope: 'col', class: 'hide-narrow' }, 'Detail'), el('th', { scope: 'col' }, 'Action'))),
      el('tbody', {}, rows.map(row)),
    );
  }

  function row(a) {
    const action = el('td', {});
    if (a.state === 'active' && session.may('maintain')) {
      action.append(editing?.id === a.id ? ackForm(a)
        : el('button', { type: 'button', class: 'secondary', 'data-ack': a.id, onclick: () => { editing = { id: a.id, text: '' }; draw(); } }, 'Acknowledge'));
    } else if (a.state === 'acknowledged') {
      action.append(el('span', { class: 'muted' }, `by ${a.acknowledgedBy}: ${a.comment}`));
    }
    return el('tr', { 'data-alarm': a.id, 'data-device': a.deviceId, 'data-state': a.state },
      el('td', {}, severityBadge(a.severity)),
      el('td', { title: when(a.lastRaisedAt) }, ago(a.lastRaisedAt), a.count > 1 ? ` (×${a.count})` : ''),
      el('td', {}, deviceLink(a.kind, a.deviceId)),
      el('td', {}, a.type),
      el('td', {}, a.borough),
      el('td', { class: 'state' }, a.state),
      el('td', { class: 'hide-narrow' }, a.detail),
      action);
  }

  function ackForm(a) {
    const id = `ack-comment-${a.id}`;
    const comment = el('textarea', { id, rows: 2, required: true, maxlength: 1000, oninput: () => { editing.text = comment.value; } });
    comment.value = editing.text;
    const error = el('span', { class: 'error', role: 'alert' });
    const form = el('form', { class: 'ack-form', onsubmit: async e => {
      e.preventDefault();
      try {
        const updated = await api.post(`/api/alarms/${a.id}/ack`, { comment: comment.value.trim() });
        editing = null;
        alarms.set(updated.id, updated);
        if (!matches(updated)) alarms.delete(updated.id);
        draw();
      } catch (failure) { error.textContent = failure.message; }
    } }, el('label', { for: id }, `Comment for ${a.type} on ${a.deviceId}`), comment, el('button', { type: 'submit' }, 'Acknowledge'),
      el('button', { type: 'button', class: 'secondary', onclick: () => { editing = null; draw(); } }, 'Cancel'), error);
    queueMicrotask(() => {
      if (document.activeElement?.tagName === 'TEXTAREA') return;
      comment.focus();
      comment.setSelectionRange(comment.value.length, comment.value.length);
    });
    return form;
  }

  const off = onEvents(['alarmOpened', 'alarmAcknowledged', 'alarmCleared'], event => {
    const alarm = event.alarm;
    if (!alarm) return;
    if (matches(alarm)) alarms.set(alarm.id, alarm);
    else alarms.delete(alarm.id);
    draw();
  });
  const offReset = onEvents(['reset'], () => load());
  load();
  return () => { stopped = true; off(); offReset(); };
}
