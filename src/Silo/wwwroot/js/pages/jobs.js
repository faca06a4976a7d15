// Jobs and schedules: running and recent jobs with their progress (cancel for operators), and the
// boroughs' lighting schedules. Re-read every 5 s while the page is open.
import { api, session, ApiError } from '../api.js';
import { el, when, num } from '../ui.js';

export function render(container) {
  container.append(
    el('h1', {}, 'Jobs & schedules'),
    el('section', { class: 'card', 'aria-labelledby': 'h-jobs' }, el('h2', { id: 'h-jobs' }, 'Jobs'), el('div', { class: 'scroll', id: 'jobs' }, 'Loading…')),
    el('section', { class: 'card', 'aria-labelledby': 'h-schedules' }, el('h2', { id: 'h-schedules' }, 'Lighting schedules'), el('div', { class: 'scroll', id: 'schedules' }, 'Loading…')),
  );

  let stopped = false;
  const show = (selector, content) => { if (!stopped) container.querySelector(selector).replaceChildren(content); };

  async function load() {
    try { show('#jobs', jobsTable((await api.get('/api/jobs')).items)); } catch (e) { show('#jobs', unavailable('jobs', e)); }
    try { show('#schedules', schedulesTable((await api.get('/api/schedules')).items)); } catch (e) { show('#schedules', unavailable('schedules', e)); }
    container.dataset.loaded = 'true';
  }

  const unavailable = (what, e) => el('p', { class: 'muted' },
    e instanceof ApiError && e.status === 404 ? `This silo has no ${what} to show.` : `Cannot load the ${what}: ${e.message}`);

  function jobsTable(jobs) {
    if (!jobs.length) return el('p', { class: 'muted' }, 'No jobs.');
    return el('table', {},
      el('thead', {}, el('tr', {}, ['Job', 'State', 'Target', 'What', 'Progress', 'Created', 'Finished', ''].map(h => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, jobs.map(job => {
        // The job's spec (src/Interfaces/Jobs: target, command or desired patch, rate, name).
        const spec = job.spec ?? job;
        const p = job.progress ?? {};
        const done = ['succeeded', 'failed', 'rejected', 'expired', 'cancelled'].reduce((n, k) => n + (p[k] ?? 0), 0);
        const unsuccessful = (p.failed ?? 0) + (p.rejected ?? 0) + (p.expired ?? 0);
        const target = spec.target ?? {};
        return el('tr', { 'data-job': job.id, 'data-state': job.state },
          el('td', {}, spec.name ?? job.id, spec.requestedBy ? el('div', { class: 'muted' }, `by ${spec.requestedBy}`) : null),
          el('td', { class: 'state' }, job.state, job.detail ? el('div', { class: 'muted' }, job.detail) : null),
          el('td', {}, target.kind ?? '', target.boroughs?.length ? ` in ${target.boroughs.join(', ')}` : '',
            target.ids?.length ? ` (${target.ids.length} devices)` : '', target.fault ? ` with ${target.fault}` : ''),
          el('td', {}, spec.command ? `${spec.command.name} ${JSON.stringify(spec.command.args ?? {})}` : spec.desired ? `desired ${JSON.stringify(spec.desired)}` : '—'),
          el('td', {}, el('progress', { max: p.targeted || 1, value: done, 'aria-label': `${done} of ${p.targeted} done` }),
            ` ${num(done)} / ${num(p.targeted)} (${num(p.succeeded)} ok, ${num(unsuccessful)} not)`),
          el('td', {}, when(job.createdAt)),
          el('td', {}, when(job.finishedAt)),
          el('td', {}, job.state === 'running' && session.may('operate')
            ? el('button', { type: 'button', class: 'secondary', onclick: async () => { await api.del(`/api/jobs/${encodeURIComponent(job.id)}`); load(); } }, 'Cancel')
            : ''));
      })));
  }

  // A schedule as GET /api/schedules has it: {id, spec: {borough, ids, steps}, next, last, …}.
  function schedulesTable(schedules) {
    if (!schedules.length) return el('p', { class: 'muted' }, 'No schedules.');
    const step = s => (s ? `${s.at} → ${s.level}%` : '—');
    return el('table', {},
      el('thead', {}, el('tr', {}, ['Schedule', 'Applies to', 'Steps', 'Next'].map(h => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, schedules.map(s => el('tr', { 'data-schedule': s.id },
        el('td', {}, s.id, s.updatedBy ? el('div', { class: 'muted' }, `by ${s.updatedBy}`) : null),
        el('td', { 'data-applies': '' }, s.spec?.borough ?? (s.spec?.ids?.length ? `${num(s.spec.ids.length)} lamp${s.spec.ids.length === 1 ? '' : 's'}` : '—')),
        el('td', { 'data-steps': '' }, (s.spec?.steps ?? []).map(step).join(' · ') || '—'),
        el('td', {}, s.next ? [step(s.next), el('div', { class: 'muted' }, when(s.next.time))] : '—')))));
  }

  const timer = setInterval(load, 5000);
  load();
  return () => { stopped = true; clearInterval(timer); };
}
