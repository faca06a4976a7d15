// The router: #/overview, #/map, #/alarms, #/device/{kind}/{id}, #/jobs. Each page module exports
// render(container, params) and may return a function that stops it (events, timers).
import { session, ApiError } from './api.js';
import { startLive, stopLive } from './live.js';
import { forgetCatalogue } from './commands.js';
import { el } from './ui.js';
import * as overview from './pages/overview.js';
import * as map from './pages/map.js';
import * as alarms from './pages/alarms.js';
import * as device from './pages/device.js';
import * as jobs from './pages/jobs.js';

const pages = { overview, map, alarms, device, jobs };
const view = document.getElementById('view');
const signInCard = document.getElementById('sign-in');
let stopPage = null;

function route() {
  stopPage?.();
  stopPage = null;
  if (!session.key) {
    showSignIn();
    return;
  }

  const [name, ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const page = pages[name] ? name : 'overview';
  for (const link of document.querySelectorAll('#nav a[data-page]')) {
    link.toggleAttribute('aria-current', link.dataset.page === page);
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
  }

  const container = el('div', { class: 'page', 'data-page': page });
  view.replaceChildren(container);
  document.body.dataset.page = page;
  try {
    stopPage = pages[page].render(container, params) ?? null;
  } catch (error) {
    container.append(el('p', { class: 'error', role: 'alert' }, error.message));
  }
}

function showSignIn() {
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  view.replaceChildren(signInCard);
  signInCard.hidden = false;
  document.body.dataset.page = 'sign-in';
  document.getElementById('api-key').focus();
}

function showCaller(caller) {
  document.getElementById('nav').hidden = false;
  document.getElementById('who').hidden = false;
  document.getElementById('who-name').textContent = caller.name;
  document.getElementById('who-role').textContent = caller.role;
  document.getElementById('orleans-link').hidden = !caller.may.admin;
  document.body.dataset.role = caller.role;
  startLive(document.getElementById('live'));
}

document.getElementById('sign-in-form').addEventListener('submit', async event => {
  event.preventDefault();
  const input = document.getElementById('api-key');
  const error = document.getElementById('sign-in-error');
  error.textContent = '';
  try {
    showCaller(await session.signIn(input.value.trim()));
    input.value = '';
    if (!location.hash || location.hash === '#/') location.hash = '#/overview';
    else route();
  } catch (e) {
    error.textContent = e instanceof ApiError && e.status === 401 ? 'That key is not valid.' : `Cannot sign in: ${e.message}`;
  }
});

document.getElementById('sign-out').addEventListener('click', async () => {
  stopLive();
  forgetCatalogue();
  await session.signOut();
  route();
});

window.addEventListener('hashchange', route);

// A reload keeps the tab's key: renew the session cookie (it may have ended with the browser).
if (session.key) {
  session.signIn(session.key).then(showCaller, async () => { await session.signOut(); route(); });
}
route();
