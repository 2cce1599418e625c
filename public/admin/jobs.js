// Jobs tab: the durable job queue paged by the server (failed and dead first by default), with
// each job's error; and the schedules.
import * as api from '/api.js';
import { $, busy, fmtDate, h, replace, status } from '/dom.js';
import { cell, guard, none, PagedTable } from './core.js';
import { openInstance } from './instance.js';

let table = null;

function jobFilter() {
  const st = $('#jobs-state').value;
  const parts = [st === 'problems' ? '(state eq "dead" or state eq "failed")' : st ? `state eq ${api.filterString(st)}` : ''];
  const text = $('#jobs-search').value.trim();
  if (text) {
    const s = api.filterString(text);
    parts.push(`(key co ${s} or type co ${s} or lastError co ${s})`);
  }
  return parts.filter(Boolean).join(' and ') || 'true';
}

function jobsTable() {
  table ??= new PagedTable({
    name: 'jobs', label: 'Jobs', path: '/jobs', sortKeys: '-_id', filter: jobFilter,
    columns: [
      { label: 'Job', sort: '_id', desc: true }, { label: 'Type', sort: 'type' }, { label: 'Key', sort: 'key' }, { label: 'State', sort: 'state' },
      { label: 'Attempts', sort: 'attempts' }, { label: 'Last error' }, { label: 'Updated', sort: 'updatedAt', desc: true }, { label: 'Actions', hidden: true },
    ],
    row: jobRow,
    empty: 'No jobs match.',
  });
  return table;
}

export function wireJobs() {
  $('#jobs-state').addEventListener('change', () => guard(() => jobsTable().search(), '#jobs-status'));
  $('#jobs-filters').addEventListener('submit', (e) => { e.preventDefault(); guard(() => jobsTable().search(), '#jobs-status'); });
  $('#jobs-refresh').addEventListener('click', () => guard(loadJobs, '#jobs-status'));
}

export async function loadJobs() {
  await jobsTable().load();
  await loadSchedules();
}

/** Schedules (conf/schedule-*.json and /openidm/scheduler/job): what they invoke, when they fire next, and their last run. */
async function loadSchedules() {
  const res = await api.get('/scheduler/job' + api.qs({ _queryFilter: 'true', _sortKeys: '_id' }));
  const rows = (res.result || []).map(scheduleRow);
  replace($('#schedules-table tbody'), rows.length ? rows : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No schedules (add conf/schedule-<name>.json or PUT /openidm/scheduler/job/<id>).')));
}

function scheduleRow(s) {
  const ctx = s.invokeContext || {};
  const invokes = ctx.mapping ? `reconcile ${ctx.mapping}` : ctx.script ? `script ${ctx.script.file || '(inline)'}` : s.invokeService;
  const when = s.type === 'cron' ? `cron ${s.schedule}${s.timeZone ? ` (${s.timeZone})` : ''}` : `every ${s.repeatInterval} ms`;
  const paused = (s.triggers || []).some((t) => t.state === 'PAUSED');
  const next = !s.enabled ? 'disabled' : paused ? `paused (was ${fmtDate(s.nextRunDate)})` : s.nextRunDate ? fmtDate(s.nextRunDate) : 'none left';
  const r = s.lastRun;
  const last = r ? `${fmtDate(r.fireTime)}: ${r.status}${r.kind !== 'scheduled' ? ` (${r.kind}, ${r.covers} due times)` : ''}${r.reconId ? ` — run ${r.reconId}` : ''}${r.message ? ` — ${r.message}` : ''}` : 'never';
  return h('tr', { dataset: { testid: 'schedule-row', scheduleId: s._id } },
    cell('Schedule', h('code', {}, s._id)), cell('Invokes', invokes), cell('When', when),
    cell('Next fire', h('span', { 'data-testid': 'schedule-next' }, next)),
    cell('Last run', h('span', { class: r && (r.status === 'failed' || r.status === 'missed') ? 'error-text' : '', 'data-testid': 'schedule-last' }, last)));
}

/**
 * The state a job row shows. "done" is shown only for an effect that happened: a done job
 * whose result says FAILURE (or that carries an error) is flagged, and a createUser job that
 * created nothing says so, never a plain done.
 */
export function jobState(j) {
  const r = j.result && typeof j.result === 'object' ? j.result : {};
  const failedResult = j.state === 'done' && (r.status === 'FAILURE' || j.lastError);
  if (failedResult) return { text: 'done, but its result is a failure', cls: 'state-failed', bad: true };
  if (j.state === 'done' && j.type === 'createUser' && r.outcome && r.outcome !== 'created') {
    return { text: `done — ${r.outcome}: nothing created`, cls: 'state-warn', bad: false, note: r.message };
  }
  const bad = j.state === 'dead' || j.state === 'failed';
  return { text: j.state, cls: `state-${String(j.state).toLowerCase()}`, bad };
}

function jobRow(j) {
  const st = jobState(j);
  const error = j.lastError || (st.bad && j.result && j.result.message) || st.note || '';
  const instanceId = String(j.key || '').split(':')[1];
  return h('tr', { dataset: { testid: 'job-row', key: j._id, jobId: j._id, state: j.state } },
    cell('Job', `#${j._id}`), cell('Type', j.type),
    cell('Key', /^\d+$/.test(instanceId || '') ? h('button', { type: 'button', class: 'link', 'data-focus': 'instance', onclick: (e) => guard(() => openInstance(instanceId, e.currentTarget), '#jobs-status') }, h('code', {}, j.key)) : h('code', {}, j.key || '')),
    cell('State', h('span', { class: `badge ${st.cls}`, 'data-testid': 'job-state' }, st.text)),
    cell('Attempts', `${j.attempts ?? ''}${j.maxAttempts ? ` of ${j.maxAttempts}` : ''}`),
    cell('Last error', error || st.bad ? h('span', { class: 'error-text', 'data-testid': 'job-error' }, error || 'no error was recorded') : none()),
    cell('Updated', fmtDate(j.updatedAt)),
    cell('', j.state === 'dead'
      ? h('button', { type: 'button', 'data-testid': 'job-retry', 'data-focus': 'retry', 'aria-label': `Retry job ${j._id}`, onclick: (e) => retryJob(e.currentTarget, j) }, 'Retry')
      : ''),
  );
}

async function retryJob(button, job) {
  await busy(button, () => guard(async () => {
    await api.post(`/jobs/${encodeURIComponent(job._id)}?_action=retry`);
    await jobsTable().load();
    status($('#jobs-status'), `Job #${job._id} queued again.`, 'ok');
  }, '#jobs-status'));
}
