// The command catalogue as the UI offers it: a mirror of src/Interfaces/Commands/CommandCatalogue.cs
// (names, arguments, their input types and defaults). The silo checks every command against the
// real catalogue and the caller's role; this only decides which buttons to show.
export const CATALOGUE = {
  lamp: [
    { name: 'blink', label: 'Blink', maintenance: true, args: [{ name: 'seconds', type: 'number', min: 1, max: 600, value: 30 }] },
    { name: 'switch', label: 'Switch', args: [{ name: 'on', type: 'checkbox', value: true }] },
    { name: 'dim', label: 'Dim', args: [{ name: 'level', type: 'number', min: 0, max: 100, value: 50 }] },
  ],
  parking: [
    { name: 'reserve', label: 'Reserve', args: [{ name: 'until', type: 'datetime-local' }] },
    { name: 'release', label: 'Release', args: [] },
    { name: 'close', label: 'Close', args: [] },
    { name: 'open', label: 'Open', args: [] },
  ],
  wifi: [
    { name: 'reboot', label: 'Reboot', args: [] },
    { name: 'enableSsid', label: 'Enable SSID', args: [{ name: 'ssid', type: 'text', maxlength: 32 }] },
    { name: 'disableSsid', label: 'Disable SSID', args: [{ name: 'ssid', type: 'text', maxlength: 32 }] },
    { name: 'setChannel', label: 'Set channel', args: [{ name: 'channel', type: 'number', min: 1, max: 196, value: 6 }] },
  ],
  meter: [
    { name: 'readNow', label: 'Read now', args: [] },
    { name: 'valve', label: 'Valve', args: [{ name: 'open', type: 'checkbox', value: true }] },
    { name: 'setInterval', label: 'Set interval', args: [{ name: 'seconds', type: 'number', min: 60, max: 86400, value: 900 }] },
  ],
};

/** The commands of a kind the signed-in caller may send: blink for maintenance, all for operators and admins. */
export const allowedCommands = (kind, may) =>
  (CATALOGUE[kind] ?? []).filter(c => may.operate || (c.maintenance && may.maintain));

/** The args object from a command form's inputs. */
export function argsOf(spec, form) {
  const args = {};
  for (const arg of spec.args) {
    const input = form.elements[arg.name];
    if (arg.type === 'checkbox') args[arg.name] = input.checked;
    else if (arg.type === 'number') args[arg.name] = Number(input.value);
    else if (arg.type === 'datetime-local') args[arg.name] = new Date(input.value).toISOString();
    else args[arg.name] = input.value;
  }
  return args;
}
