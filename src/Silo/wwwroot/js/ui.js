// Small DOM helpers shared by the pages.

/** el('td', {class: 'num'}, 'text', child…) — attributes starting with "on" become listeners. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const num = (n, digits = 0) =>
  n === null || n === undefined ? '—' : Number(n).toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

export function ago(iso) {
  if (!iso) return '—';
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export const value = v => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));

export const deviceLink = (kind, id) => el('a', { href: `#/device/${kind}/${encodeURIComponent(id)}` }, id);

export const severityBadge = severity => el('span', { class: `sev ${severity}` }, severity);

/** Runs fn at most once per `ms`, the last call winning (for refetching on bursts of events). */
export function throttle(fn, ms) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; fn(); }, ms);
  };
}

export const KINDS = ['lamp', 'parking', 'wifi', 'meter'];
export const KIND_NAMES = { lamp: 'Lamps', parking: 'Parking bays', wifi: 'Wi-Fi APs', meter: 'Meters' };
export const SEVERITIES = ['critical', 'major', 'minor', 'warning'];
export const BOROUGHS = ['Walsum', 'Hamborn', 'Meiderich/Beeck', 'Homberg/Ruhrort/Baerl', 'Mitte', 'Rheinhausen', 'Süd'];
