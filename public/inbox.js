// The end-user inbox at /ui/: sign in, list my tasks, open one and complete its form.
// Forms are rendered from the task's form (its fields with labels and types), so a field added in the modeler shows up
// here without UI code; an enum with the values true/false becomes Approve / Deny buttons.
import * as api from '/api.js';
import { $, age, busy, fmtDate, h, replace, show, status } from '/dom.js';
import { submitSignIn } from '/signin.js';
import { approvalPanel } from '/ui/approval.js';

const DEFAULT_SOURCE = 'system/csvfile/account';

const state = {
  session: null,
  tasks: [],
  selected: new Set(),
  /** sourceId → source row, or null when not readable. */
  sources: new Map(),
  /** mapping name → source resource path, from config/sync (admins only). */
  mappingSources: null,
  current: null,
};

// ---------- session ----------

async function init() {
  $('#signin-form').addEventListener('submit', (e) => submitSignIn(e, enter));
  $('#sign-out').addEventListener('click', onSignOut);
  $('#refresh-tasks').addEventListener('click', () => {
    status($('#page-status'), '');
    guard(loadTasks);
  });
  $('#select-all').addEventListener('change', onSelectAll);
  $('#approve-selected').addEventListener('click', (e) => guard(async () => {
    await busy(e.currentTarget, approveSelected);
    updateSelection(); // busy() re-enabled the button; the selection is empty now
  }));
  $('#task-close').addEventListener('click', closeTask);
  $('#task-form').addEventListener('submit', (e) => e.preventDefault());
  try {
    const s = await api.currentSession();
    if (s) await enter(s);
    else showSignIn();
  } catch (e) {
    status($('#page-status'), api.errorMessage(e), 'error');
  }
}

function showSignIn(message) {
  state.session = null;
  show($('#whoami'), false);
  show($('#tasks-section'), false);
  show($('#task-detail'), false);
  show($('#signin-section'));
  status($('#signin-error'), message || '', 'error');
  $('#signin-username').focus();
}

async function enter(session) {
  state.session = session;
  state.sources.clear();
  state.mappingSources = null;
  status($('#page-status'), '');
  $('#whoami-name').textContent = session.authenticationId;
  show($('#admin-link'), api.isAdmin(session));
  show($('#whoami'));
  show($('#signin-section'), false);
  show($('#tasks-section'));
  await guard(loadTasks);
}

async function onSignOut() {
  try {
    await api.signOut();
  } catch {
    /* the cookie is gone either way once the server answers; show the form regardless */
  }
  replace($('#task-list'));
  replace($('#bulk-results'));
  replace($('#decision-results'));
  show($('#decision-results'), false);
  showSignIn();
}

/** Runs fn; a 401 means the session expired, so ask to sign in again; other errors are shown. */
async function guard(fn) {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) showSignIn('Your session has ended. Please sign in again.');
    else status($('#page-status'), api.errorMessage(e), 'error');
  }
}

// ---------- the task list ----------

function taskQuery() {
  // An administrator can see every task: "my" tasks are those assigned to me or to nobody.
  if (!api.isAdmin(state.session)) return 'true';
  return `assignee eq ${api.filterString(state.session.authenticationId)} or !(assignee pr)`;
}

async function loadTasks() {
  const res = await api.get('/workflow/taskinstance' + api.qs({ _queryFilter: taskQuery(), _pageSize: 200 }));
  state.tasks = res.result || [];
  const ids = new Set(state.tasks.map((t) => t._id));
  for (const id of state.selected) if (!ids.has(id)) state.selected.delete(id);
  renderTasks();
  // Source rows load after the list is visible; each row fills in when its row arrives.
  await Promise.all(state.tasks.map((t) => fillRequester(t)));
}

function renderTasks() {
  const list = $('#task-list');
  replace(list, state.tasks.map(taskRow));
  show($('#tasks-empty'), state.tasks.length === 0);
  updateSelection();
}

function requesterId(task) {
  const v = task.processVariables || {};
  return typeof v.sourceId === 'string' ? v.sourceId : '';
}

function taskRow(task) {
  const sourceId = requesterId(task);
  const label = `${task.name || task.taskDefinitionKey}${sourceId ? ` for ${sourceId}` : ''}`;
  return h('li', { class: 'task-row', dataset: { testid: 'task-row', taskId: task._id, sourceId } },
    h('input', {
      type: 'checkbox', class: 'task-select', 'data-testid': 'task-select', 'aria-label': `Select ${label}`,
      checked: state.selected.has(task._id),
      onchange: (e) => { toggleSelected(task._id, e.currentTarget.checked); },
    }),
    h('div', { class: 'task-main' },
      h('button', { type: 'button', class: 'link task-open', 'data-testid': 'task-open', onclick: () => guard(() => openTask(task._id)) }, task.name || task.taskDefinitionKey),
      h('span', { class: 'requester', 'data-testid': 'task-requester' }, sourceId ? `Requester: ${sourceId}` : ''),
    ),
    h('span', { class: 'muted small', title: fmtDate(task.createTime) }, task.createTime ? `created ${age(task.createTime)} ago` : '',
      task.dueDate ? ` · due ${fmtDate(task.dueDate)}` : ''),
  );
}

function toggleSelected(id, on) {
  if (on) state.selected.add(id);
  else state.selected.delete(id);
  updateSelection();
}

function onSelectAll(e) {
  const on = e.currentTarget.checked;
  state.selected = new Set(on ? state.tasks.map((t) => t._id) : []);
  for (const box of document.querySelectorAll('#task-list .task-select')) box.checked = on;
  updateSelection();
}

function updateSelection() {
  const n = state.selected.size;
  const btn = $('#approve-selected');
  btn.disabled = n === 0;
  btn.textContent = n ? `Approve selected (${n})` : 'Approve selected';
  const all = $('#select-all');
  all.checked = n > 0 && n === state.tasks.length;
  all.indeterminate = n > 0 && n < state.tasks.length;
}

// ---------- requester (the source account) ----------

async function sourcePathFor(mapping) {
  if (!state.mappingSources) {
    state.mappingSources = new Map();
    try {
      const cfg = await api.get('/config/sync');
      for (const m of cfg.mappings || []) state.mappingSources.set(m.name, m.source);
    } catch {
      /* not an administrator, or no config endpoint: fall back to the sample's source */
    }
  }
  return state.mappingSources.get(mapping) || DEFAULT_SOURCE;
}

/** The source row, or null when it cannot be read (403 for non-admins, 404 once deleted). */
async function sourceRow(task) {
  const id = requesterId(task);
  if (!id || !api.isAdmin(state.session)) return null;
  if (!state.sources.has(id)) {
    const load = (async () => {
      try {
        const path = await sourcePathFor((task.processVariables || {}).mapping);
        return await api.get(`/${path}/${encodeURIComponent(id)}`);
      } catch (e) {
        if (e instanceof api.ApiError && e.status === 401) throw e;
        return null;
      }
    })();
    state.sources.set(id, load);
  }
  return state.sources.get(id);
}

function describeSource(row) {
  const name = [row.firstname, row.lastname].filter(Boolean).join(' ');
  const roles = String(row.roles || '').split(',').map((r) => r.trim().replace(/^internal\/role\//, '')).filter(Boolean);
  return [name, row.email ? `<${row.email}>` : '', roles.length ? `roles: ${roles.join(', ')}` : ''].filter(Boolean).join(' · ');
}

async function fillRequester(task) {
  const row = await sourceRow(task);
  if (!row) return;
  const li = document.querySelector(`#task-list li[data-task-id="${CSS.escape(task._id)}"] .requester`);
  if (li) li.textContent = `Requester: ${row.name || requesterId(task)} — ${describeSource(row)}`;
}

// ---------- one task ----------

const isDecision = (f) => {
  if (!f.type || f.type.name !== 'enum' || f.writable === false) return false;
  const keys = Object.keys(f.type.values || {}).sort();
  return keys.length === 2 && keys[0] === 'false' && keys[1] === 'true';
};

async function openTask(id) {
  const task = await api.get(`/workflow/taskinstance/${encodeURIComponent(id)}`);
  state.current = task;
  const props = (task.form || []).filter((f) => f.readable !== false);
  const decision = props.find(isDecision);
  $('#task-detail-title').textContent = task.name || task.taskDefinitionKey;
  renderMeta(task);
  await renderRequester(task, props);
  renderApproval(task.approval);
  replace($('#task-fields'), props.filter((f) => f !== decision).map((f, i) => fieldFor(f, i)));
  const question = $('#task-question');
  question.textContent = decision ? `${decision.name || decision._id}${decision.required ? ' *' : ''}` : '';
  show(question, !!decision);
  replace($('#task-actions'), decision ? decisionButtons(decision) : [h('button', { type: 'button', id: 'task-submit', class: 'primary', 'data-testid': 'task-submit', onclick: (e) => submit(e.currentTarget, null) }, 'Submit')]);
  status($('#task-message'), '');
  show($('#tasks-section'), false);
  show($('#task-detail'));
  $('#task-detail-title').focus();
}

function decisionButtons(decision) {
  const v = decision.type.values;
  return [
    h('button', { type: 'button', id: 'task-approve', class: 'primary', 'data-testid': 'task-approve', onclick: (e) => submit(e.currentTarget, [decision._id, 'true']) }, `Approve${v.true && v.true !== 'Yes' ? ` (${v.true})` : ''}`),
    h('button', { type: 'button', id: 'task-deny', class: 'danger', 'data-testid': 'task-deny', onclick: (e) => submit(e.currentTarget, [decision._id, 'false']) }, `Deny${v.false && v.false !== 'No' ? ` (${v.false})` : ''}`),
  ];
}

function renderMeta(task) {
  const rows = [
    ['Task', `${task._id} (${task.taskDefinitionKey})`],
    ['Assignee', task.assignee || '(unassigned)'],
    ['Created', fmtDate(task.createTime)],
    ['Due', task.dueDate ? fmtDate(task.dueDate) : ''],
    ['Priority', task.priority],
    ['Process', `${task.processDefinitionId} #${task.processInstanceId}`],
  ];
  replace($('#task-meta'), rows.filter(([, v]) => v !== '' && v !== null && v !== undefined).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
}

async function renderRequester(task, props) {
  const named = props.find((f) => f._id === 'requesterName');
  const id = (named && named.value) || requesterId(task);
  // With a snapshot, the live source row is left out: it may differ from what approving creates.
  const row = task.approval ? null : await sourceRow(task);
  const items = [['Requester', id || '(unknown)']];
  if (row) {
    items.push(['Name', [row.firstname, row.lastname].filter(Boolean).join(' ')], ['Mail', row.email], ['Roles', row.roles]);
  }
  replace($('#task-requester'), items.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
}

/** One form control from a form property; the input's name is the property id. */
function fieldFor(f, i) {
  const id = `field-${i}`;
  const readonly = f.writable === false;
  const label = [f.name || f._id, f.required && !readonly ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null];
  const common = { id, name: f._id, disabled: readonly, required: !!f.required && !readonly, 'aria-required': f.required && !readonly ? 'true' : null, dataset: { field: f._id, type: f.type?.name || 'string' } };
  const value = f.value === null || f.value === undefined ? '' : String(f.value);
  const type = f.type?.name || 'string';
  if (type === 'enum') return enumField(f, i, label, common, value);
  if (type === 'boolean') {
    return h('div', { class: 'field check' }, h('input', { ...common, type: 'checkbox', checked: value === 'true' }), h('label', { for: id }, label));
  }
  const inputType = type === 'long' ? 'number' : type === 'date' ? 'date' : 'text';
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { ...common, type: inputType, value, step: type === 'long' ? '1' : null }));
}

function enumField(f, i, label, common, value) {
  const entries = Object.entries(f.type.values || {});
  if (entries.length <= 4) {
    // A few choices read best as radio buttons.
    return h('fieldset', { class: 'field', dataset: common.dataset, 'aria-required': common['aria-required'] },
      h('legend', {}, label),
      entries.map(([k, text], j) => h('label', { class: 'inline' },
        h('input', { type: 'radio', name: f._id, value: k, id: `field-${i}-${j}`, checked: value === k, disabled: common.disabled, required: common.required }), ` ${text}`)),
    );
  }
  return h('div', { class: 'field' }, h('label', { for: common.id }, label),
    h('select', common, h('option', { value: '' }, '— choose —'), entries.map(([k, text]) => h('option', { value: k, selected: value === k }, text))));
}

/** Values of the writable fields, as the strings (or booleans) the complete action expects. */
function formValues() {
  const out = {};
  for (const f of state.current.form || []) {
    if (f.writable === false || f.readable === false) continue;
    const el = document.querySelector(`#task-fields [data-field="${CSS.escape(f._id)}"]`);
    if (!el) continue;
    let v;
    if (el.tagName === 'FIELDSET') v = el.querySelector('input:checked')?.value ?? '';
    else if (el.type === 'checkbox') v = el.checked;
    else v = el.value;
    if (v !== '') out[f._id] = v;
  }
  return out;
}

function missingRequired(values, decisionId) {
  return (state.current.form || []).find((f) => f.required && f.writable !== false && f._id !== decisionId && (values[f._id] === undefined || values[f._id] === ''));
}

function markInvalid(fieldId) {
  for (const el of document.querySelectorAll('#task-fields [aria-invalid]')) el.removeAttribute('aria-invalid');
  if (!fieldId) return;
  const el = document.querySelector(`#task-fields [data-field="${CSS.escape(fieldId)}"]`);
  if (el) {
    el.setAttribute('aria-invalid', 'true');
    (el.tagName === 'FIELDSET' ? el.querySelector('input') : el)?.focus();
  }
}

async function submit(button, decision) {
  const values = formValues();
  if (decision) values[decision[0]] = decision[1];
  const missing = missingRequired(values, decision && decision[0]);
  if (missing) {
    markInvalid(missing._id);
    return status($('#task-message'), `${missing.name || missing._id} is required.`, 'error');
  }
  markInvalid(null);
  const task = state.current;
  await busy(button, async () => {
    try {
      await api.post(`/workflow/taskinstance/${encodeURIComponent(task._id)}?_action=complete`, values);
      closeTask();
      // Not awaited: the outcome line updates itself while the approver goes on.
      trackDecision(task, decision ? decision[1] === 'true' : null);
      await guard(loadTasks);
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 401) return showSignIn('Your session has ended. Please sign in again.');
      if (e instanceof api.ApiError && (e.status === 404 || e.status === 409)) {
        return status($('#task-message'), 'This task was already completed by someone else.', 'error');
      }
      markInvalid(e.detail && e.detail.field);
      status($('#task-message'), api.errorMessage(e), 'error');
    }
  });
}

// ---------- what came of a decision ----------

const label = (task) => `${task.name || task.taskDefinitionKey}${requesterId(task) ? ` for ${requesterId(task)}` : ` (task ${task._id})`}`;
/** Decisions kept on screen; older lines drop off the bottom. */
const DECISIONS_SHOWN = 10;

/**
 * Shows a completed task's outcome at the top of the list (newest first) and follows it: an approval reads "creating the account…"
 * until the instance history says created, superseded or failed (polled with backoff, bounded).
 * `approved` is true/false for an approve/deny decision, null for a plain form.
 */
async function trackDecision(task, approved) {
  const list = $('#decision-results');
  status($('#page-status'), '');
  const line = h('li', { dataset: { testid: 'decision-result', taskId: task._id, instanceId: task.processInstanceId || '' } });
  list.prepend(line);
  while (list.children.length > DECISIONS_SHOWN) list.lastElementChild.remove();
  show(list);
  const render = (out) => {
    line.dataset.kind = out.kind;
    line.dataset.final = String(out.final);
    const again = !out.final && line.dataset.polling === 'done'
      ? h('button', { type: 'button', class: 'link', 'data-testid': 'decision-recheck', onclick: () => guard(() => follow()) }, 'Check again')
      : null;
    replace(line, `${label(task)}: ${out.text}`, again ? [' ', again] : null);
  };
  const follow = async () => {
    line.dataset.polling = 'running';
    let last = null;
    try {
      last = await api.followOutcome(task.processInstanceId, true, (out) => { last = out; render(out); });
    } finally {
      line.dataset.polling = 'done';
      if (last) render(last);
    }
  };
  if (approved === null) return render({ text: 'completed', kind: 'ok', final: true });
  if (!approved) return render(api.decisionOutcome(false, null));
  await guard(follow);
}

function renderApproval(approval) {
  const panel = $('#task-approval');
  const content = approvalPanel(approval);
  replace(panel, content);
  show(panel, !!content);
}

function closeTask() {
  state.current = null;
  show($('#task-detail'), false);
  show($('#tasks-section'), !!state.session);
}

// ---------- approve several ----------

/** Approves one task by its true/false decision field; returns the line to show. */
async function approveOne(id) {
  try {
    const task = await api.get(`/workflow/taskinstance/${encodeURIComponent(id)}`);
    const decision = (task.form || []).find(isDecision);
    if (!decision) return { ok: false, text: 'has no approve/deny choice: open it to complete' };
    await api.post(`/workflow/taskinstance/${encodeURIComponent(id)}?_action=complete`, { [decision._id]: 'true' });
    return { ok: true, text: 'approved — following the outcome…' };
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) throw e;
    if (e instanceof api.ApiError && (e.status === 404 || e.status === 409)) return { ok: false, text: 'already completed by someone else' };
    return { ok: false, text: api.errorMessage(e) };
  }
}

async function approveSelected() {
  const results = $('#bulk-results');
  replace(results);
  show(results);
  const chosen = state.tasks.filter((t) => state.selected.has(t._id));
  const approved = [];
  // One at a time: each completion starts work on the server, and the lines stay in order.
  for (const t of chosen) {
    const r = await approveOne(t._id);
    const line = h('li', { dataset: { testid: 'bulk-result', taskId: t._id, kind: r.ok ? 'info' : 'error', final: String(!r.ok) } }, `${label(t)}: ${r.text}`);
    results.append(line);
    if (r.ok) approved.push([t, line]);
  }
  state.selected.clear();
  await loadTasks();
  // Then what each approval came to, side by side: a failed creation must not stay "approved".
  // Not awaited, so the button is free again while the outcomes arrive.
  for (const [t, line] of approved) {
    guard(() => api.followOutcome(t.processInstanceId, true, (out) => {
      line.dataset.kind = out.kind;
      line.dataset.final = String(out.final);
      line.textContent = `${label(t)}: ${out.text}`;
    }));
  }
}

init();
