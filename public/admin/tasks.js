// Tasks tab: every open task, paged by the server; claim, reassign and the task's detail.
import * as api from '/api.js';
import { $, age, busy, fmtDate, h, replace, status } from '/dom.js';
import { askValue, cell, confirmAction, guard, linkButton, none, PagedTable, refocus, state } from './core.js';
import { definitions } from './definitions.js';
import { openDetail, openInstance } from './instance.js';

let table = null;

/** The search box and filters become one _queryFilter, so the server does the filtering. */
function taskFilter() {
  const parts = [];
  const text = $('#tasks-search').value.trim();
  if (text) parts.push(`(name co ${api.filterString(text)} or processVariables/sourceId co ${api.filterString(text)})`);
  const assignee = $('#filter-assignee').value.trim();
  if (assignee) parts.push(`assignee co ${api.filterString(assignee)}`);
  const def = $('#filter-definition').value;
  if (def) parts.push(`processDefinitionId eq ${api.filterString(def)}`);
  const hours = Number($('#filter-age').value);
  if ($('#filter-age').value !== '' && Number.isFinite(hours) && hours >= 0) {
    parts.push(`createTime lt ${api.filterString(new Date(Date.now() - hours * 3600_000).toISOString())}`);
  }
  return parts.length ? parts.join(' and ') : 'true';
}

function taskTable() {
  table ??= new PagedTable({
    name: 'tasks',
    label: 'Tasks',
    path: '/workflow/taskinstance',
    sortKeys: '-_id',
    filter: taskFilter,
    columns: [
      { label: 'Task', sort: '_id', desc: true }, { label: 'Requester' }, { label: 'Assignee', sort: 'assignee' },
      { label: 'Definition', sort: 'processDefinitionId' }, { label: 'Created', sort: 'createTime', desc: true },
      { label: 'Due', sort: 'dueDate' }, { label: 'Instance', sort: 'processInstanceId', desc: true }, { label: 'Actions', hidden: true },
    ],
    row: taskRow,
    empty: 'No tasks match.',
  });
  return table;
}

export function wireTasks() {
  $('#task-filters').addEventListener('submit', (e) => { e.preventDefault(); guard(() => taskTable().search(), '#tasks-status'); });
  $('#tasks-refresh').addEventListener('click', () => guard(() => taskTable().load(), '#tasks-status'));
  $('#tasks-bulk-start').addEventListener('click', (e) => bulkComplete(e.currentTarget));
  $('#tasks-bulk-cancel').addEventListener('click', (e) => bulkCancel(e.currentTarget));
}

// ---------- bulk by query: the server completes every task matching the filter ----------

const bulk = { id: null, timer: null };

/** POST …/taskinstance?_action=complete&_queryFilter=… (202 {_id, state, total, …}), then follows its progress. */
async function bulkComplete(button) {
  const t = taskTable();
  const filter = taskFilter();
  const approve = $('#tasks-bulk-decision').value === 'true';
  const total = t.pager.total;
  if (total === 0) return status($('#tasks-bulk-progress'), 'No task matches the filters: nothing to complete.', 'warn');
  const count = total > 0 ? total.toLocaleString('en') : 'all';
  if (!(await confirmAction(`${approve ? 'Approve' : 'Deny'} ${count} matching task${total === 1 ? '' : 's'}${filter === 'true' ? ' (every open task)' : ''}? The server works through them; you can stop it, but what is done stays done.`, { ok: `${approve ? 'Approve' : 'Deny'} ${count}` }))) return;
  await busy(button, () => guard(async () => {
    const job = await api.post('/workflow/taskinstance' + api.qs({ _action: 'complete', _queryFilter: filter }), { requestApproved: String(approve) });
    bulk.id = job._id;
    showBulk(job);
    followBulk();
  }, '#tasks-bulk-progress'));
}

/** The server's states (GET …/workflow/bulk/{id}): ACTIVE while it works, then SUCCESS, CANCELED or FAILED. */
const bulkRunning = (b) => b.state === 'ACTIVE';

function showBulk(b) {
  const running = bulkRunning(b);
  const failed = b.failed ? `, ${b.failed.toLocaleString('en')} failed` : '';
  const why = b.state === 'FAILED' && b.error ? ` ${b.error}` : '';
  const first = Array.isArray(b.failures) && b.failures.length ? ` First failure: task ${b.failures[0].taskId}: ${b.failures[0].message}` : '';
  const text = `Bulk ${b._id}: ${b.state} — ${Number(b.processed ?? 0).toLocaleString('en')} of ${Number(b.total ?? 0).toLocaleString('en')} processed, ${Number(b.succeeded ?? 0).toLocaleString('en')} completed${failed}.${why}${first}`;
  status($('#tasks-bulk-progress'), text, b.failed || b.state === 'FAILED' ? 'error' : running ? 'info' : b.state === 'CANCELED' ? 'warn' : 'ok');
  $('#tasks-bulk-progress').dataset.state = b.state;
  $('#tasks-bulk-cancel').hidden = !running;
  $('#tasks-bulk-start').disabled = running;
}

function followBulk() {
  clearTimeout(bulk.timer);
  if (!bulk.id) return;
  bulk.timer = setTimeout(() => guard(async () => {
    const b = await api.get(`/workflow/bulk/${encodeURIComponent(bulk.id)}`);
    showBulk(b);
    if (bulkRunning(b)) followBulk();
    else {
      bulk.id = null;
      await taskTable().load();
    }
  }, '#tasks-bulk-progress', { keepStatus: true }), 1000);
}

async function bulkCancel(button) {
  if (!bulk.id) return;
  await busy(button, () => guard(async () => {
    const b = await api.post(`/workflow/bulk/${encodeURIComponent(bulk.id)}?_action=cancel`);
    if (b && b._id) showBulk(b);
    $('#tasks-bulk-progress').focus();
  }, '#tasks-bulk-progress', { keepStatus: true }));
}

export async function loadTasks() {
  await loadDefinitionOptions();
  await taskTable().load();
}

export const pollTasks = () => table && table.poll();

async function loadDefinitionOptions() {
  const select = $('#filter-definition');
  const chosen = select.value;
  const defs = await definitions();
  replace(select, h('option', { value: '' }, 'All'),
    defs.map((d) => h('option', { value: d._id, selected: d._id === chosen }, `${d.name || d.key} (v${d.version})`)));
}

function taskRow(t) {
  const v = t.processVariables || {};
  return h('tr', { dataset: { testid: 'admin-task-row', key: t._id, taskId: t._id, sourceId: v.sourceId || '' } },
    cell('Task', linkButton([`${t.name || t.taskDefinitionKey} `, h('span', { class: 'muted small' }, `#${t._id}`)],
      (e) => guard(() => openTask(t._id, e.currentTarget), '#tasks-status'), { 'data-focus': 'open', 'data-testid': 'admin-task-open' })),
    cell('Requester', v.sourceId || none()),
    cell('Assignee', t.assignee || h('span', { class: 'muted' }, 'unassigned')),
    cell('Definition', t.processDefinitionId),
    cell('Created', h('span', { title: fmtDate(t.createTime) }, `${age(t.createTime)} ago`)),
    cell('Due', t.dueDate ? fmtDate(t.dueDate) : none()),
    cell('Instance', linkButton(`#${t.processInstanceId}`, (e) => guard(() => openInstance(t.processInstanceId, e.currentTarget), '#tasks-status'),
      { 'aria-label': `Process instance ${t.processInstanceId}`, 'data-focus': 'instance' })),
    cell('', h('div', { class: 'row-actions' },
      h('button', { type: 'button', 'data-focus': 'claim', 'data-testid': 'task-claim', 'aria-label': `Claim task ${t._id}`, onclick: (e) => claim(e.currentTarget, t) }, 'Claim'),
      h('button', { type: 'button', 'data-focus': 'assign', 'data-testid': 'task-assign', 'aria-label': `Reassign task ${t._id}`, onclick: (e) => reassign(e.currentTarget, t) }, 'Reassign'))),
  );
}

/** Claim for the signed-in administrator; taking it from another assignee asks first. */
async function claim(button, t, where = '#tasks-status') {
  const me = state.session.authenticationId;
  if (t.assignee && t.assignee !== me && !(await confirmAction(`Task #${t._id} is assigned to ${t.assignee}. Take it from them?`, { ok: 'Take it' }))) return;
  await busy(button, () => guard(async () => {
    // Taking from someone else: PUT assignee (claim refuses an assigned task).
    if (t.assignee) await api.put(`/workflow/taskinstance/${encodeURIComponent(t._id)}`, { assignee: me });
    else await api.post(`/workflow/taskinstance/${encodeURIComponent(t._id)}?_action=claim`, { userId: me });
    await table?.load();
    if (where === '#tasks-status') refocus('#tasks-table', t._id, 'claim');
    status($(where), `Task #${t._id} is now assigned to ${me}.`, 'ok');
  }, where, { keepStatus: false }));
}

/** Reassign to a user name (empty: unassign); replacing an assignee asks first. */
async function reassign(button, t, where = '#tasks-status') {
  const to = await askValue({ title: `Reassign task #${t._id}`, label: 'Assign to (user name)', value: t.assignee || '', ok: 'Reassign', hint: 'Leave empty to unassign: the task goes back to its candidates.' });
  if (to === null || to === (t.assignee || '')) return;
  if (t.assignee && !(await confirmAction(`Take task #${t._id} from ${t.assignee} and ${to ? `give it to ${to}` : 'leave it unassigned'}?`, { ok: 'Reassign' }))) return;
  await busy(button, () => guard(async () => {
    await api.put(`/workflow/taskinstance/${encodeURIComponent(t._id)}`, { assignee: to || null });
    await table?.load();
    if (where === '#tasks-status') refocus('#tasks-table', t._id, 'assign');
    status($(where), to ? `Task #${t._id} is now assigned to ${to}.` : `Task #${t._id} is unassigned.`, 'ok');
  }, where));
}

/** A task's detail (deep link #/task/12): its fields, description, due date and instance. */
export async function openTask(id, opener) {
  const t = await api.get(`/workflow/taskinstance/${encodeURIComponent(id)}`);
  const v = t.processVariables || {};
  await openDetail({
    title: `Task #${t._id}: ${t.name || t.taskDefinitionKey}`,
    opener,
    openerSelector: `#tasks-table tr[data-key="${t._id}"] [data-focus="open"]`,
    meta: [
      ['Description', t.description], ['Assignee', t.assignee || 'unassigned'], ['Created', fmtDate(t.createTime)], ['Due', t.dueDate ? fmtDate(t.dueDate) : ''],
      ['Requester', v.sourceId], ['Definition', t.processDefinitionId],
    ],
    actions: [
      h('button', { type: 'button', 'data-testid': 'detail-claim', onclick: (e) => claim(e.currentTarget, t, '#detail-status') }, 'Claim'),
      h('button', { type: 'button', 'data-testid': 'detail-assign', onclick: (e) => reassign(e.currentTarget, t, '#detail-status') }, 'Reassign'),
      h('button', { type: 'button', 'data-testid': 'detail-instance', onclick: () => guard(() => openInstance(t.processInstanceId), '#detail-status') }, `Open process instance #${t.processInstanceId}`),
    ],
    definitionId: t.processDefinitionId,
    markers: [[t.taskDefinitionKey, 'highlight']],
    body: [h('h3', {}, 'Form'), h('dl', { class: 'meta', 'data-testid': 'task-form' }, (t.form || []).flatMap((f) => [h('dt', {}, f.name || f._id), h('dd', {}, f.value == null ? '' : String(f.value))]))],
    hash: `#/task/${t._id}`,
  });
}
