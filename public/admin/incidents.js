// Incidents tab: failed process steps and jobs that gave up, newest first, paged by the server;
// retry one, the selected ones, or every one the search matches (server-side, one request; results
// listed next to the controls); an incident's detail.
import * as api from '/api.js';
import { $, busy, fmtDate, h, replace, status } from '/dom.js';
import { cell, confirmAction, guard, linkButton, none, PagedTable } from './core.js';
import { openDetail, openInstance } from './instance.js';

const INCIDENT_TYPES = { failedJob: 'Failed job', failedInstance: 'Failed step', failedExternalTask: 'Failed external task' };
const selected = new Set();
/** The server retries at most this many by one query (POST workflow/incident?_action=retry&_queryFilter). */
const MAX_RETRY_ALL = 1000;
let table = null;

function incidentFilter() {
  const text = $('#incidents-search').value.trim();
  if (!text) return 'true';
  const s = api.filterString(text);
  return `cause co ${s} or activityId co ${s} or jobType co ${s} or processInstanceId eq ${s}`;
}

function incidentsTable() {
  table ??= new PagedTable({
    name: 'incidents', label: 'Incidents', path: '/workflow/incident', sortKeys: '-time', filter: incidentFilter,
    columns: [
      { label: 'Select', hidden: true }, { label: 'Type', sort: 'type' }, { label: 'Instance', sort: 'processInstanceId', desc: true }, { label: 'Activity', sort: 'activityId' },
      { label: 'Job type', sort: 'jobType' }, { label: 'Cause', sort: 'cause' }, { label: 'Time', sort: 'time', desc: true }, { label: 'Attempts', sort: 'attempts' }, { label: 'Actions', hidden: true },
    ],
    row: incidentRow,
    empty: 'No incidents: every failed step or job has since succeeded or is still being retried.',
  });
  return table;
}

export function wireIncidents() {
  $('#incidents-filters').addEventListener('submit', (e) => { e.preventDefault(); guard(() => incidentsTable().search(), '#incidents-status'); });
  $('#incidents-refresh').addEventListener('click', () => guard(loadIncidents, '#incidents-status'));
  $('#incidents-select-page').addEventListener('change', (e) => {
    for (const i of incidentsTable().rows) e.currentTarget.checked ? selected.add(i._id) : selected.delete(i._id);
    for (const box of document.querySelectorAll('#incidents-table [data-testid="incident-select"]')) box.checked = selected.has(box.value);
    updateBulk();
  });
  $('#incidents-retry-selected').addEventListener('click', (e) => retrySelected(e.currentTarget));
  $('#incidents-retry-all').addEventListener('click', (e) => retryAllMatching(e.currentTarget));
}

export async function loadIncidents() {
  await incidentsTable().load();
  afterRender();
}

export async function pollIncidents() {
  if (!table) return;
  await table.poll();
  afterRender();
}

function afterRender() {
  const total = incidentsTable().pager.total;
  $('#tab-incidents').textContent = total > 0 ? `Incidents (${total.toLocaleString('en')})` : 'Incidents';
  const ids = new Set(incidentsTable().rows.map((i) => i._id));
  $('#incidents-select-page').checked = ids.size > 0 && [...ids].every((id) => selected.has(id));
  updateBulk();
}

function updateBulk() {
  const b = $('#incidents-retry-selected');
  b.disabled = selected.size === 0;
  b.textContent = selected.size ? `Retry selected (${selected.size})` : 'Retry selected';
  const all = $('#incidents-retry-all');
  const total = table ? table.pager.total : -1;
  if (all.dataset.busy) return;
  all.disabled = !(total > 0 && total <= MAX_RETRY_ALL);
  all.textContent = total > MAX_RETRY_ALL ? `Retry all matching (${total.toLocaleString('en')}: at most ${MAX_RETRY_ALL.toLocaleString('en')} at once, narrow the search)`
    : total > 0 ? `Retry all ${total.toLocaleString('en')} matching` : 'Retry all matching';
}

/**
 * Retries every incident the table's query matches, in one server request (not page by page), after
 * a confirmation; says how many were retried and lists each one that was not.
 */
async function retryAllMatching(button) {
  const t = incidentsTable();
  const filter = t.pager.filter;
  const total = t.pager.total;
  const what = filter === 'true' ? 'every open incident' : `every incident matching "${$('#incidents-search').value.trim()}"`;
  if (!(await confirmAction(`Retry ${what} (${total.toLocaleString('en')} now)? Each failed step or job runs again.`, { ok: `Retry ${total.toLocaleString('en')}`, danger: false }))) return;
  const list = $('#incidents-bulk-results');
  const progress = $('#incidents-retry-progress');
  replace(list);
  progress.hidden = false;
  progress.textContent = `Retrying ${total.toLocaleString('en')} incidents…`;
  button.dataset.busy = '1';
  let outcome = null;
  try {
    outcome = await busy(button, async () => {
      try {
        return { ok: true, body: await api.post('/workflow/incident' + api.qs({ _action: 'retry', _queryFilter: filter })) };
      } catch (e) {
        if (e instanceof api.ApiError && e.status === 401) return guard(() => { throw e; }, '#incidents-status');
        return { ok: false, error: e };
      }
    });
  } finally {
    delete button.dataset.busy;
    progress.hidden = true;
  }
  if (!outcome) return;
  // 200: some were retried; 409: none was (its detail lists why); anything else: nothing was done.
  const report = outcome.ok ? outcome.body : outcome.error.status === 409 && outcome.error.detail && Array.isArray(outcome.error.detail.results) ? outcome.error.detail : null;
  if (report) {
    const summary = `Retried ${report.retried} of ${report.matched} matching incidents${report.failed ? `; ${report.failed} not retried` : ''}. Those that fail again are listed again.`;
    list.append(h('li', { 'data-kind': report.retried ? (report.failed ? 'warn' : 'ok') : 'error', 'data-testid': 'incident-bulk-summary' }, report.retried ? summary : `None of the ${report.matched} matching incidents was retried.`));
    for (const r of report.results.filter((x) => x.status !== 'retried')) {
      list.append(h('li', { 'data-kind': 'error', 'data-testid': 'incident-bulk-result' }, `Incident ${r._id}: not retried — ${r.message || 'refused'}`));
    }
    for (const r of report.results) if (r.status === 'retried') selected.delete(r._id);
  } else {
    list.append(h('li', { 'data-kind': 'error', 'data-testid': 'incident-bulk-summary' }, `Nothing was retried: ${api.errorMessage(outcome.error)}`));
  }
  await guard(loadIncidents, '#incidents-status');
  list.setAttribute('tabindex', '-1');
  list.focus();
}

function incidentRow(i) {
  const instance = i.processInstanceId
    ? linkButton(`#${i.processInstanceId}`, (e) => guard(() => openInstance(i.processInstanceId, e.currentTarget), '#incidents-status'), { 'aria-label': `Process instance ${i.processInstanceId}`, 'data-focus': 'instance' })
    : none();
  return h('tr', { dataset: { testid: 'incident-row', key: i._id, incidentId: i._id, type: i.type || '', instanceId: i.processInstanceId || '' } },
    cell('', h('input', {
      type: 'checkbox', value: i._id, checked: selected.has(i._id), 'data-testid': 'incident-select', 'data-focus': 'select', 'aria-label': `Select incident ${i._id}`,
      onchange: (e) => { e.currentTarget.checked ? selected.add(i._id) : selected.delete(i._id); updateBulk(); },
    })),
    cell('Type', h('span', { class: 'badge state-failed' }, INCIDENT_TYPES[i.type] || i.type || '')),
    cell('Instance', instance),
    cell('Activity', i.activityId ? h('code', {}, i.activityId) : none()),
    cell('Job type', i.jobType ? [i.jobType, i.jobId ? h('span', { class: 'muted small' }, ` #${i.jobId}`) : null] : none()),
    // The cause opens the incident's detail (a plain-looking button: the instance is the row's link).
    cell('Cause', h('button', { type: 'button', class: 'cause-open', 'data-focus': 'open', 'data-testid': 'incident-open', onclick: (e) => guard(() => openIncident(i._id, e.currentTarget), '#incidents-status') },
      h('span', { class: 'error-text', 'data-testid': 'incident-cause' }, i.cause || 'no cause was recorded'))),
    cell('Time', h('span', { title: i.time || '' }, fmtDate(i.time))),
    cell('Attempts', String(i.attempts ?? '')),
    cell('', h('button', { type: 'button', 'data-testid': 'incident-retry', 'data-focus': 'retry', 'aria-label': `Retry incident ${i._id}`, onclick: (e) => retryOne(e.currentTarget, i) }, 'Retry')),
  );
}

/** What a retry says: the server's status, and that a new failure lists it again. */
const retriedText = (id, r) => `Incident ${id}: ${r && r.status ? r.status : 'retried'}. It is listed again if the retry fails too.`;

async function retryOne(button, incident, where = '#incidents-status') {
  await busy(button, () => guard(async () => {
    const r = await api.post(`/workflow/incident/${encodeURIComponent(incident._id)}?_action=retry`);
    selected.delete(incident._id);
    await loadIncidents();
    status($(where), retriedText(incident._id, r), 'ok');
    // The row is gone (or re-listed): focus the tab's Refresh, unless this ran in the dialog.
    if (where === '#incidents-status') $('#incidents-refresh').focus();
  }, where));
}

/** Retries each selected incident in turn; each outcome (or error) is listed beside the controls. */
async function retrySelected(button) {
  const ids = [...selected];
  const list = $('#incidents-bulk-results');
  replace(list);
  await busy(button, async () => {
    for (const id of ids) {
      let line;
      try {
        const r = await api.post(`/workflow/incident/${encodeURIComponent(id)}?_action=retry`);
        line = h('li', { 'data-kind': 'ok', 'data-testid': 'incident-bulk-result' }, retriedText(id, r));
        selected.delete(id);
      } catch (e) {
        if (e instanceof api.ApiError && e.status === 401) return guard(() => { throw e; });
        line = h('li', { 'data-kind': 'error', 'data-testid': 'incident-bulk-result' }, `Incident ${id}: not retried — ${api.errorMessage(e)}`);
      }
      list.append(line);
    }
    return undefined;
  });
  await guard(loadIncidents, '#incidents-status');
  list.setAttribute('tabindex', '-1');
  list.focus();
}

/** An incident's detail (deep link #/incident/<id>). */
export async function openIncident(id, opener) {
  const i = await api.get(`/workflow/incident/${encodeURIComponent(id)}`);
  await openDetail({
    title: `Incident ${i._id}`,
    testid: 'incident',
    opener,
    openerSelector: `#incidents-table tr[data-key="${i._id}"] [data-focus="open"]`,
    hash: `#/incident/${i._id}`,
    meta: [
      ['Type', INCIDENT_TYPES[i.type] || i.type], ['Cause', h('span', { class: 'error-text', 'data-testid': 'incident-detail-cause' }, i.cause || 'no cause was recorded')],
      ['Instance', i.processInstanceId ? linkButton(`#${i.processInstanceId}`, () => guard(() => openInstance(i.processInstanceId), '#detail-status')) : ''],
      ['Definition', i.processDefinitionId], ['Activity', i.activityId], ['Job', i.jobId ? `#${i.jobId} (${i.jobType})` : ''],
      ['Time', fmtDate(i.time)], ['Attempts', String(i.attempts ?? '')],
    ],
    actions: [h('button', { type: 'button', 'data-testid': 'detail-retry', onclick: (e) => retryOne(e.currentTarget, i, '#detail-status') }, 'Retry')],
    definitionId: i.processDefinitionId || null,
    markers: i.activityId ? [[i.activityId, 'highlight']] : [],
  });
}
