// The Fleet HTTP API as the browser uses it. The key lives in sessionStorage (this tab only) and goes
// out in X-Api-Key; POST /api/session also puts it into an HttpOnly cookie for what cannot send a
// header: EventSource (live events) and navigating to the Orleans dashboard.
const KEY = 'fleet.key';
const CALLER = 'fleet.caller';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  get caller() { const c = sessionStorage.getItem(CALLER); return c ? JSON.parse(c) : null; },
  may(policy) { return !!this.caller?.may?.[policy]; },

  async signIn(key) {
    const caller = await request('POST', '/api/session', undefined, key);
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(CALLER, JSON.stringify(caller));
    return caller;
  },

  async signOut() {
    try { await request('DELETE', '/api/session'); } catch { /* signing out locally is what matters */ }
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(CALLER);
  },
};

async function request(method, url, body, key = session.key) {
  const headers = { Accept: 'application/json' };
  if (key) headers['X-Api-Key'] = key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

export const api = {
  get: url => request('GET', url),
  post: (url, body) => request('POST', url, body ?? {}),
  del: url => request('DELETE', url),

  /** Every page of a cursor-paged list: items under `field`, following `next` (bounded). */
  async all(url, field, maxPages = 100) {
    const items = [];
    let cursor = null;
    for (let page = 0; page < maxPages; page++) {
      const sep = url.includes('?') ? '&' : '?';
      const data = await request('GET', cursor ? `${url}${sep}cursor=${encodeURIComponent(cursor)}` : url);
      items.push(...data[field]);
      cursor = data.next;
      if (!cursor) break;
    }
    return items;
  },
};
