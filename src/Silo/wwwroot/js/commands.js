// The command catalogue as the silo serves it (GET /api/commands/catalogue, built from
// src/Interfaces/Commands/CommandCatalogue): names, what they do, their arguments with types and
// limits, and which policy sending each needs. Read once per browser session. The silo checks every
// command against the catalogue and the caller's role again; this only decides which forms to show.
import { api } from './api.js';

const STORED = 'fleet.catalogue';

// What a form starts with where the catalogue only gives a range (presentation only: an entry
// whose command or argument is gone is simply never used).
const SUGGESTED = { 'lamp.blink.seconds': 30, 'lamp.dim.level': 50, 'lamp.switch.on': true, 'meter.valve.open': true, 'wifi.setChannel.channel': 6, 'meter.setInterval.seconds': 900 };

const INPUT = { bool: 'checkbox', number: 'number', integer: 'number', timestamp: 'datetime-local', text: 'text' };

let pending = null;

/** The catalogue per kind (`{lamp: [command…], …}`): from this tab's session storage, else from the silo once. */
export function catalogue() {
  const stored = sessionStorage.getItem(STORED);
  if (stored) return Promise.resolve(JSON.parse(stored));
  pending ??= api.get('/api/commands/catalogue').then(
    answer => { sessionStorage.setItem(STORED, JSON.stringify(answer.kinds)); return answer.kinds; },
    error => { pending = null; throw error; });
  return pending;
}

/** Forget the catalogue (signing out): the next session reads it afresh. */
export function forgetCatalogue() {
  sessionStorage.removeItem(STORED);
  pending = null;
}

/** 'enableSsid' → 'Enable SSID'. */
export const labelOf = name =>
  name.replace(/([A-Z])/g, ' $1').toLowerCase().replace(/\bssid\b/g, 'SSID').replace(/^./, c => c.toUpperCase());

/** The commands of a kind the signed-in caller may send (the policy each needs against GET /api/me's `may`). */
export const allowedCommands = (kinds, kind, may) => (kinds[kind] ?? []).filter(c => may[c.requires]);

/** The input for one argument: its type and limits from the catalogue, its starting value from SUGGESTED. */
export function inputFor(kind, spec, arg, id) {
  const type = INPUT[arg.type] ?? 'text';
  const suggested = SUGGESTED[`${kind}.${spec.name}.${arg.name}`];
  const input = document.createElement('input');
  Object.assign(input, { id, name: arg.name, type });
  if (type === 'checkbox') {
    input.checked = suggested ?? false;
    return input;
  }

  input.required = true;
  if (arg.min !== null && arg.min !== undefined) input.min = arg.min;
  if (arg.max !== null && arg.max !== undefined) input.max = arg.max;
  if (type === 'number') input.step = arg.type === 'integer' ? '1' : 'any';
  if (arg.maxLength) input.maxLength = arg.maxLength;
  if (suggested !== undefined) input.value = suggested;
  return input;
}

/** The args object from a command form's inputs. */
export function argsOf(spec, form) {
  const args = {};
  for (const arg of spec.args) {
    const input = form.elements[arg.name];
    if (input.type === 'checkbox') args[arg.name] = input.checked;
    else if (input.type === 'number') args[arg.name] = Number(input.value);
    else if (input.type === 'datetime-local') args[arg.name] = new Date(input.value).toISOString();
    else args[arg.name] = input.value;
  }
  return args;
}
