// Live events: one EventSource on GET /api/events (authenticated by the session cookie, which
// EventSource sends like any same-origin request; it cannot send headers). Pages subscribe to
// event types and get the parsed event; the stream resumes by itself with Last-Event-ID.
const TYPES = ['twinChanged', 'connectivity', 'alarmOpened', 'alarmAcknowledged', 'alarmCleared', 'commandChanged', 'reset'];
const listeners = new Set();
let source = null;
let badge = null;
let received = 0;

export function startLive(statusElement) {
  badge = statusElement;
  stopLive();
  source = new EventSource('/api/events');
  source.onopen = () => show(true);
  source.onerror = () => show(false);
  for (const type of TYPES) {
    source.addEventListener(type, message => {
      received++;
      document.body.dataset.liveEvents = String(received);
      const event = JSON.parse(message.data);
      for (const listener of listeners) {
        if (listener.types.includes(type)) {
          try { listener.handle(event); } catch (error) { console.error(error); }
        }
      }
    });
  }
}

export function stopLive() {
  source?.close();
  source = null;
  show(false);
}

/** Calls handle(event) for each event of the given types until the returned function is called. */
export function onEvents(types, handle) {
  const listener = { types, handle };
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function show(on) {
  document.body.dataset.live = on ? 'on' : 'off';
  if (!badge) return;
  badge.textContent = on ? 'live' : 'offline';
  badge.classList.toggle('on', on);
}
