// The detail dialog (a modal <dialog> centred on the user's place, never below a long table):
// a process instance with its variables, task history, decision, jobs and diagram, or a task,
// incident or definition. Escape or Close returns focus to what opened it.
import * as api from '/api.js';
import { $, busy, fmtDate, h, replace, show, status } from '/dom.js';
import { roleBadge } from '/ui/approval.js';
import { confirmAction, guard, linkButton, none, openDialog, shortKey, state } from './core.js';

let viewer = null;
const xmlCache = new Map();
/** Set by admin.js: reloads the visible tab after an action taken in the dialog. */
export const detailHooks = { changed: () => {} };

async function definitionXml(definitionId) {
  if (!xmlCache.has(definitionId)) {
    const def = await api.get(`/workflow/processdefinition/${encodeURIComponent(definitionId)}` + api.qs({ _fields: 'xml,_id' }));
    xmlCache.set(definitionId, def.xml);
  }
  return xmlCache.get(definitionId);
}

/** Activity id → name, from the definition's XML (every element, also inside sub-processes). */
export async function activityNames(definitionId) {
  try {
    const doc = new DOMParser().parseFromString(await definitionXml(definitionId), 'application/xml');
    return new Map([...doc.querySelectorAll('[id]')].map((el) => [el.getAttribute('id'), el.getAttribute('name') || el.getAttribute('id')]));
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) throw e;
    return new Map();
  }
}

const nameOf = (names, id) => (id ? (names.get(id) && names.get(id) !== id ? `${names.get(id)} (${id})` : id) : '');

function bpmnViewer() {
  if (!viewer) {
    if (typeof window.BpmnJS !== 'function') throw new Error('The diagram viewer could not be loaded');
    viewer = new window.BpmnJS({ container: $('#diagram-canvas') });
  }
  return viewer;
}

/**
 * Fills and opens the dialog. meta: [[label, value]] (Nodes kept, empty values left out);
 * markers: [[activityId, 'highlight' | 'path-taken']]; hash: the deep link shown meanwhile.
 */
export async function openDetail({ title, opener, openerSelector, meta = [], actions = [], definitionId, markers = [], body = [], hash, testid }) {
  const dlg = $('#detail-dialog');
  $('#detail-title').textContent = title;
  dlg.dataset.kind = testid || '';
  status($('#detail-status'), '');
  replace($('#detail-actions'), actions);
  show($('#detail-actions'), actions.length > 0);
  replace($('#diagram-meta'), meta.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v instanceof Node || Array.isArray(v) ? v : String(v))]));
  replace($('#detail-body'), body);
  show($('#diagram-panel'), !!definitionId);
  if (hash && location.hash !== hash) history.replaceState(null, '', hash);
  dlg.dataset.hash = hash || '';
  if (!dlg.open) {
    openDialog(dlg, opener || document.activeElement, openerSelector);
    if (!dlg.dataset.hashWired) {
      dlg.dataset.hashWired = '1';
      // Closing puts the tab's own address back, so Back/Reload do not reopen it.
      // Only its own address: a link followed meanwhile (the close event comes later) is kept.
      dlg.addEventListener('close', () => { if (dlg.dataset.hash && location.hash === dlg.dataset.hash && state.tab) history.replaceState(null, '', `#${state.tab}`); });
    }
  }
  $('#detail-title').focus();
  if (!definitionId) return;
  try {
    await showDiagram(definitionId, markers);
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) throw e;
    // Named in the dialog (never an endless "Loading…"): e.g. a BPMN file without diagram layout.
    viewer?.clear?.();
    status($('#diagram-status'), `The diagram cannot be drawn: ${api.errorMessage(e)}${/no diagram/i.test(api.errorMessage(e)) ? ' (the BPMN file has no diagram layout, BPMN DI)' : ''}. The details above and below still apply.`, 'error');
  }
}

async function showDiagram(definitionId, markers) {
  const panel = $('#diagram-panel');
  status($('#diagram-status'), 'Loading diagram…');
  delete panel.dataset.markers;
  const v = bpmnViewer();
  await v.importXML(await definitionXml(definitionId));
  const canvas = v.get('canvas');
  const registry = v.get('elementRegistry');
  const missing = [];
  for (const [id, marker] of markers) {
    const el = registry.get(id);
    if (!el) {
      missing.push(id);
      continue;
    }
    canvas.addMarker(id, marker);
    // A waiting activity inside a sub-process: the sub-process is marked too, so it shows even
    // when drawn collapsed.
    if (marker === 'highlight') {
      for (let p = el.parent; p && p.businessObject; p = p.parent) {
        if (/SubProcess$/.test(p.businessObject.$type || '') && p.id !== id) canvas.addMarker(p.id, 'contains-waiting');
      }
    }
  }
  canvas.resized();
  canvas.zoom('fit-viewport', 'auto');
  panel.dataset.markers = markers.map(([id, m]) => `${id}:${m}`).join(' ');
  status($('#diagram-status'), missing.length ? `Not in the diagram: ${missing.join(', ')}` : '');
}

async function optional(path) {
  try {
    return await api.get(path);
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) throw e;
    return null;
  }
}

const tableOf = (caption, headers, rows, empty, testid) => h('div', { class: 'table-scroll' },
  h('table', { class: 'grid stack', 'data-testid': testid },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, empty)))));

const td = (label, ...c) => h('td', { 'data-label': label }, ...c);

function instanceOutcome(a) {
  return a.decision === 'approved' ? api.decisionOutcome(true, { approval: a }) : { text: a.decision, kind: 'ok' };
}

/** The decision and outcome of an approval record (history/{id} .approval). */
function approvalMeta(a) {
  if (!a) return [];
  const decided = a.decision ? `${a.decision}${a.decidedBy ? ` by ${a.decidedBy}` : ''}${a.decidedAt ? ` on ${fmtDate(a.decidedAt)}` : ''}` : 'not decided yet';
  const out = a.decision === 'approved' ? instanceOutcome(a) : null;
  const refs = api.approvalRoles(a);
  return [
    ['Decision', h('span', { 'data-testid': 'instance-decision' }, decided, a.comment ? ` — “${a.comment}”` : '')],
    ['Outcome', out ? h('span', { class: out.kind === 'error' ? 'error-text' : '', 'data-testid': 'instance-outcome' }, out.text.replace(/^approved — /, '')) : ''],
    ['Roles', refs.length ? h('ul', { class: 'roles', 'data-testid': 'instance-roles' }, refs.map(roleBadge)) : ''],
  ];
}

/** The jobs of an instance: keys are "<type>:<instanceId>" or "<type>:<instanceId>:<n>". */
async function jobsOf(id) {
  const res = await optional('/jobs' + api.qs({ _queryFilter: `key co ${api.filterString(`:${id}`)}`, _sortKeys: '-_id', _pageSize: 50 }));
  return ((res && res.result) || []).filter((j) => String(j.key).split(':')[1] === String(id));
}

/** Opens a process instance (deep link #/instance/12), running or ended. */
export async function openInstance(id, opener) {
  const inst = await api.get(`/workflow/processinstance/history/${encodeURIComponent(id)}`);
  const active = inst.status === 'active';
  const q = (f) => api.qs({ _queryFilter: f, _pageSize: 50, _sortKeys: '-_id' });
  const idFilter = `processInstanceId eq ${api.filterString(inst._id)}`;
  const [running, executions, taskHistory, jobs, children, names] = await Promise.all([
    active ? optional(`/workflow/processinstance/${encodeURIComponent(inst._id)}`) : null,
    active ? optional('/workflow/execution' + api.qs({ _queryFilter: idFilter })) : null,
    optional('/workflow/taskinstance/history' + q(idFilter)),
    jobsOf(inst._id),
    optional('/workflow/processinstance/history' + api.qs({ _queryFilter: `superProcessInstanceId eq ${api.filterString(inst._id)}`, _pageSize: 50 })),
    activityNames(inst.processDefinitionId),
  ]);
  // Waiting: open user tasks, waiting executions (messages, signals, receive tasks) and pending jobs.
  const waiting = new Set([
    ...((running && running.tasks) || []).map((t) => t.taskDefinitionKey),
    ...((executions && executions.result) || []).map((e) => e.activityId),
    ...jobs.filter((j) => ['queued', 'running', 'failed'].includes(j.state)).map((j) => j.payload && j.payload.activityId),
  ].filter(Boolean));
  // A task's own name is resolved ("Check bjensen"); the diagram's is the expression.
  const taskNames = new Map(((running && running.tasks) || []).map((t) => [t.taskDefinitionKey, t.name]));
  const passed = (inst.passed || []).filter((a) => !waiting.has(a));
  if (inst.endActivityId && !passed.includes(inst.endActivityId)) passed.push(inst.endActivityId);
  const markers = [...passed.map((a) => [a, 'path-taken']), ...[...waiting].map((a) => [a, 'highlight'])];
  const v = inst.processVariables || {};
  const failed = inst.status === 'failed';
  const actions = active ? [h('button', { type: 'button', class: 'danger', 'data-testid': 'instance-cancel', onclick: (e) => cancelInstance(e.currentTarget, inst) }, 'Cancel instance')] : [];
  const child = ((children && children.result) || []);
  await openDetail({
    title: `Process instance #${inst._id}`,
    testid: 'instance',
    opener,
    openerSelector: `#instances-table tr[data-key="${inst._id}"] [data-focus="open"]`,
    hash: `#/instance/${inst._id}`,
    meta: [
      ['Definition', inst.processDefinitionId],
      ['Status', h('span', { class: `badge state-${inst.status}`, 'data-testid': 'instance-status' }, inst.status)],
      ['Business key', shortKey(inst.businessKey)],
      ['Requester', v.sourceId],
      ['Recon', v.reconId],
      ['Started', `${fmtDate(inst.startTime)}${inst.startUserId ? ` by ${inst.startUserId}` : ''}`],
      ['Parent instance', inst.superProcessInstanceId ? linkButton(`#${inst.superProcessInstanceId}`, () => guard(() => openInstance(inst.superProcessInstanceId), '#detail-status')) : ''],
      ['Waiting at', waiting.size ? h('span', { 'data-testid': 'waiting-at' }, [...waiting].map((a) => (taskNames.get(a) ? `${taskNames.get(a)} (${a})` : nameOf(names, a))).join(', ')) : ''],
      ['Ended', inst.endTime ? fmtDate(inst.endTime) : ''],
      ['Ended at', nameOf(names, inst.endActivityId)],
      [failed ? 'Failed because' : inst.status === 'canceled' ? 'Ended because' : 'Last error', inst.error ? h('span', { class: 'error-text', 'data-testid': 'instance-error' }, inst.error) : inst.status === 'canceled' ? 'canceled' : ''],
      ...approvalMeta(inst.approval),
    ],
    actions,
    definitionId: inst.processDefinitionId,
    markers,
    body: [
      h('h3', {}, 'Path taken'),
      h('p', { 'data-testid': 'instance-path' }, (inst.passed || []).length ? (inst.passed || []).map((a) => names.get(a) || a).join(' → ') : 'Nothing completed yet.'),
      h('h3', {}, 'Variables'),
      tableOf('Variables', ['Name', 'Value'], Object.entries(v).map(([k, val]) => h('tr', {}, td('Name', h('code', {}, k)), td('Value', h('span', { class: 'value' }, typeof val === 'string' ? val : JSON.stringify(val))))), 'No variables.', 'instance-variables'),
      h('h3', {}, 'Tasks'),
      tableOf('Task history', ['Task', 'Assignee', 'Created', 'Ended', 'Outcome'], ((taskHistory && taskHistory.result) || []).map((t) => h('tr', {},
        td('Task', `${t.name || t.taskDefinitionKey} #${t._id}`), td('Assignee', t.assignee || none()), td('Created', fmtDate(t.startTime || t.createTime)),
        td('Ended', t.endTime ? fmtDate(t.endTime) : 'open'), td('Outcome', t.deleteReason || (t.endTime ? 'completed' : '')))), 'No tasks.', 'instance-tasks'),
      h('h3', {}, 'Jobs'),
      tableOf('Jobs', ['Job', 'Type', 'State', 'Attempts', 'Error'], jobs.map((j) => h('tr', { dataset: { jobId: j._id, state: j.state } },
        td('Job', `#${j._id}`), td('Type', j.type), td('State', h('span', { class: `badge state-${j.state}` }, j.state)), td('Attempts', `${j.attempts ?? ''}${j.maxAttempts ? ` of ${j.maxAttempts}` : ''}`),
        td('Error', j.lastError ? h('span', { class: 'error-text' }, j.lastError) : (j.result && j.result.status === 'FAILURE') ? h('span', { class: 'error-text' }, j.result.message || 'failed') : none()))), 'No jobs.', 'instance-jobs'),
      child.length ? [h('h3', {}, 'Called instances'), h('ul', {}, child.map((c) => h('li', {}, linkButton(`#${c._id} ${c.processDefinitionId} (${c.status})`, () => guard(() => openInstance(c._id), '#detail-status')))))] : null,
    ],
  });
}

async function cancelInstance(button, inst) {
  if (!(await confirmAction(`Cancel process instance #${inst._id}? Its open tasks are removed and it ends as canceled; this cannot be undone.`, { ok: 'Cancel instance' }))) return;
  await busy(button, () => guard(async () => {
    const r = await api.del(`/workflow/processinstance/${encodeURIComponent(inst._id)}`);
    detailHooks.changed();
    await openInstance(inst._id);
    status($('#detail-status'), `Process instance #${inst._id} is ${r.status}.`, r.status === 'canceled' ? 'ok' : 'warn');
    $('#detail-status').focus?.();
  }, '#detail-status'));
}

/** A definition's diagram. */
export async function openDefinition(d, opener) {
  await openDetail({
    title: `${d.name || d.key} (version ${d.version})`,
    testid: 'definition',
    opener,
    meta: [['Id', d._id], ['Resource', d.resourceName], ['Deployed', fmtDate(d.deploymentTime)]],
    definitionId: d._id,
  });
}
