// The end-user inbox at /ui/: sign in, page through my tasks (server-side: filter, newest first,
// totals), open one beside the list and complete its form; approve a page's selection or every
// task matching the search (server-side, with progress and Cancel); keyboard shortcuts; deep links.
// Forms are rendered from the task's form (its fields with labels and types), so a field added in the
// modeler shows up here without UI code; an enum with the values true/false becomes Approve / Deny.
import * as api from '/api.js';
import { $, age, busy, fmtDate, h, replace, show, status } from '/dom.js';
import { Pager, renderPager } from '/pager.js';
import { submitSignIn } from '/signin.js';
import { approvalPanel } from '/ui/approval.js';

const PAGE_SIZE = 50;
/** Newest first: ids grow with creation, and unlike createTime they never tie. */
const SORT = '-_id';
/** How often the open list asks whether it changed (with If-None-Match when the server sends an ETag). */
const POLL_MS = 15_000;
const MAX_COMMENT = 2000;

const state = {
  session: null,
  /** @type {Pager|null} */
  pager: null,
  search: '',
  selected: new Set(),
  /** task id → Promise of its full read (snapshot, form), for the person's name in the row; null when unreadable. */
  reads: new Map(),
  /** The row the keyboard is on (a task id), kept across re-renders. */
  activeId: null,
  current: null,
  bulkRunning: false,
  pollTimer: null,
};

// ---------- session ----------

async function init() {
  $('#signin-form').addEventListener('submit', (e) => submitSignIn(e, enter));
  $('#sign-out').addEventListener('click', onSignOut);
  $('#refresh-tasks').addEventListener('click', () => {
    status($('#page-status'), '');
    guard(() => loadTasks({ focus: 'keep' }));
  });
  $('#task-search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    guard(() => search($('#task-search').value));
  });
  $('#select-all').addEventListener('change', onSelectAll);
  $('#approve-selected').addEventListener('click', (e) => guard(async () => {
    await busy(e.currentTarget, approveSelected);
    updateSelection(); // busy() re-enabled the button; the selection is empty now
  }));
  $('#approve-matching').addEventListener('click', () => guard(approveMatching));
  $('#bulk-cancel').addEventListener('click', () => guard(cancelBulk));
  $('#task-close').addEventListener('click', () => closeTask());
  $('#task-form').addEventListener('submit', (e) => e.preventDefault());
  $('#help-open').addEventListener('click', toggleHelp);
  $('#help-dialog').addEventListener('close', () => state.helpReturn?.focus());
  document.addEventListener('keydown', onKey);
  window.addEventListener('hashchange', () => { if (state.session) guard(followHash); });
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
  stopPolling();
  show($('#whoami'), false);
  show($('#inbox'), false);
  show($('#signin-section'));
  status($('#signin-error'), message || '', 'error');
  // The hash (a deep link to a task) stays in the address bar: it is opened once signed in.
  $('#signin-username').focus();
}

async function enter(session) {
  state.session = session;
  state.reads.clear();
  state.selected.clear();
  state.search = '';
  $('#task-search').value = '';
  status($('#page-status'), '');
  $('#whoami-name').textContent = session.authenticationId;
  show($('#admin-link'), api.isAdmin(session));
  show($('#whoami'));
  show($('#signin-section'), false);
  show($('#inbox'));
  state.pager = new Pager('/workflow/taskinstance', { pageSize: PAGE_SIZE, sortKeys: SORT, filter: listFilter() });
  await guard(async () => {
    await loadTasks({ focus: linkedTaskId() ? 'none' : 'first' });
    if (linkedTaskId()) await followHash();
  });
  startPolling();
}

async function onSignOut() {
  try {
    await api.signOut();
  } catch {
    /* the cookie is gone either way once the server answers; show the form regardless */
  }
  closeTask({ focus: false });
  replace($('#task-list'));
  replace($('#bulk-results'));
  replace($('#decision-results'));
  show($('#decision-results'), false);
  history.replaceState(null, '', location.pathname);
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

/** An administrator can see every task: "my" tasks are those assigned to me or to nobody. Others see theirs (the server restricts). */
function baseFilter() {
  if (!api.isAdmin(state.session)) return 'true';
  return `assignee eq ${api.filterString(state.session.authenticationId)} or !(assignee pr)`;
}

/**
 * The search box as a _queryFilter on what tasks can be filtered on (src/repo/tasks.ts taskResolver):
 * the request's source row id (the person's user name in the sample), the task's name and description,
 * or its id. "co" is case-sensitive on both backends.
 */
function searchFilter(text) {
  const t = text.trim();
  if (!t) return null;
  const s = api.filterString(t);
  const parts = [`processVariables/sourceId co ${s}`, `name co ${s}`, `description co ${s}`];
  if (/^\d{1,15}$/.test(t)) parts.push(`_id eq ${t}`);
  return parts.join(' or ');
}

function listFilter() {
  const base = baseFilter();
  const found = searchFilter(state.search);
  if (!found) return base;
  return base === 'true' ? found : `(${base}) and (${found})`;
}

async function search(text) {
  state.search = text;
  state.selected.clear();
  state.pager.reset({ filter: listFilter() });
  await loadTasks({ focus: 'none' });
}

/**
 * Reads the pager's current page and shows it. focus: 'first' (first row, or the heading when empty),
 * 'keep' (the row that had focus, else the one now at its place), or 'none'.
 */
async function loadTasks({ focus = 'none', preferId = null } = {}) {
  const before = focusedRowIndex();
  await state.pager.load();
  renderTasks();
  if (focus === 'first') focusRow(state.pager.rows[0]?._id ?? null);
  else if (focus === 'keep' || preferId) keepFocus(preferId ?? before.id, before.index);
}

function renderTasks() {
  const rows = state.pager.rows;
  const ids = new Set(rows.map((t) => t._id));
  for (const id of state.selected) if (!ids.has(id)) state.selected.delete(id);
  replace($('#task-list'), rows.map(taskRow));
  show($('#tasks-empty'), rows.length === 0);
  $('#tasks-empty').textContent = state.search ? `No tasks match “${state.search}”.` : 'No tasks are waiting for you.';
  renderPager($('#task-pager'), state.pager, 'Tasks', () => {
    renderTasks();
    focusRow(state.pager.rows[0]?._id ?? null);
  });
  show($('#task-pager'), rows.length > 0 || state.pager.index > 0);
  updateSelection();
  updateMatching();
}

function requesterId(task) {
  const v = task.processVariables || {};
  return typeof v.sourceId === 'string' ? v.sourceId : '';
}

/**
 * What a row calls its task: the person of its approval as the list names them (approvalTarget, from
 * the request's snapshot) with the source row id, else the source row id, else the task's name and id.
 */
function personLabel(task) {
  const id = requesterId(task);
  const name = api.personName(task.approvalTarget);
  if (name) return name === id || !id ? name : `${name} (${id})`;
  return id || `${task.name || task.taskDefinitionKey} (task ${task._id})`;
}

function taskRow(task) {
  const sourceId = requesterId(task);
  const openId = `open-${task._id}`;
  const detailId = `row-detail-${task._id}`;
  return h('li', { class: `task-row${state.current && state.current._id === task._id ? ' open' : ''}`, dataset: { testid: 'task-row', taskId: task._id, sourceId } },
    h('input', {
      type: 'checkbox', class: 'task-select', 'data-testid': 'task-select', 'aria-labelledby': `select-label-${task._id} ${openId}`,
      checked: state.selected.has(task._id),
      onchange: (e) => { toggleSelected(task._id, e.currentTarget.checked); },
    }),
    h('span', { id: `select-label-${task._id}`, class: 'sr-only' }, 'Select'),
    h('div', { class: 'task-main' },
      h('button', {
        type: 'button', id: openId, class: 'link task-open', 'data-testid': 'task-open', 'aria-describedby': detailId,
        'aria-current': state.current && state.current._id === task._id ? 'true' : null,
        onfocus: () => { state.activeId = task._id; markActive(); },
        onclick: () => guard(() => openTask(task._id)),
      }, h('span', { class: 'person', 'data-testid': 'task-person' }, personLabel(task))),
      h('span', { id: detailId, class: 'requester', 'data-testid': 'task-requester' },
        [task.name || task.taskDefinitionKey, sourceId ? `user ${sourceId}` : null].filter(Boolean).join(' · ')),
    ),
    h('span', { class: 'muted small when', title: fmtDate(task.createTime) }, task.createTime ? `created ${age(task.createTime)} ago` : '',
      task.dueDate ? ` · due ${fmtDate(task.dueDate)}` : ''),
  );
}

const rowOf = (id) => (id === null || id === undefined ? null : document.querySelector(`#task-list li[data-task-id="${CSS.escape(String(id))}"]`));

function markActive() {
  for (const li of document.querySelectorAll('#task-list li.active')) li.classList.remove('active');
  rowOf(state.activeId)?.classList.add('active');
}

/** Focuses a row's open button, or the list heading when there is no such row. */
function focusRow(id) {
  const btn = rowOf(id)?.querySelector('.task-open');
  if (btn) btn.focus();
  else $('#tasks-title').focus();
}

function focusedRowIndex() {
  const li = document.activeElement && document.activeElement.closest ? document.activeElement.closest('#task-list li') : null;
  if (!li) return { id: null, index: -1 };
  return { id: li.dataset.taskId, index: [...li.parentElement.children].indexOf(li) };
}

/** After a re-render: focus the row `id`, else the row now at `index` (or the last), else the heading. */
function keepFocus(id, index) {
  if (id && rowOf(id)) return focusRow(id);
  if (index < 0) return;
  const rows = state.pager.rows;
  focusRow(rows.length ? rows[Math.min(index, rows.length - 1)]._id : null);
}

function toggleSelected(id, on) {
  if (on) state.selected.add(id);
  else state.selected.delete(id);
  updateSelection();
}

function onSelectAll(e) {
  const on = e.currentTarget.checked;
  state.selected = new Set(on ? state.pager.rows.map((t) => t._id) : []);
  for (const box of document.querySelectorAll('#task-list .task-select')) box.checked = on;
  updateSelection();
}

function updateSelection() {
  const n = state.selected.size;
  const rows = state.pager ? state.pager.rows.length : 0;
  const btn = $('#approve-selected');
  btn.disabled = n === 0 || state.bulkRunning;
  btn.textContent = n ? `Approve selected (${n})` : 'Approve selected';
  const all = $('#select-all');
  all.checked = n > 0 && n === rows;
  all.indeterminate = n > 0 && n < rows;
}

/** "Approve all N matching": whenever the query matches a task (the server completes them by query). */
function updateMatching() {
  const btn = $('#approve-matching');
  const total = state.pager ? state.pager.total : -1;
  show(btn, total > 0);
  btn.disabled = state.bulkRunning;
  btn.textContent = `Approve all ${total.toLocaleString('en')} matching`;
}

// ---------- the person each row is about ----------

/** The task's full read (snapshot and form), cached; null when it cannot be read (gone, not mine). */
function readTask(id) {
  if (!state.reads.has(id)) {
    const p = api.get(`/workflow/taskinstance/${encodeURIComponent(id)}`).catch((e) => {
      state.reads.delete(id);
      if (e instanceof api.ApiError && e.status === 401) throw e;
      return null;
    });
    state.reads.set(id, p);
  }
  return state.reads.get(id);
}

// ---------- one task ----------

const isDecision = (f) => {
  if (!f.type || f.type.name !== 'enum' || f.writable === false) return false;
  const keys = Object.keys(f.type.values || {}).sort();
  return keys.length === 2 && keys[0] === 'false' && keys[1] === 'true';
};

const linkedTaskId = () => {
  const m = /^#\/task\/(\d{1,15})$/.exec(location.hash);
  return m ? m[1] : null;
};

async function followHash() {
  const id = linkedTaskId();
  if (id && (!state.current || state.current._id !== id)) await openTask(id);
  else if (!id && state.current) closeTask();
}

function setHash(id) {
  const url = id ? `${location.pathname}${location.search}#/task/${id}` : `${location.pathname}${location.search}`;
  if (location.href.slice(location.origin.length) !== url) history.replaceState(null, '', url);
}

function showDetail(on) {
  show($('#task-detail'), on);
  $('#inbox').classList.toggle('has-detail', on);
}

async function openTask(id, { focus = true } = {}) {
  id = String(id);
  state.activeId = id;
  let task;
  try {
    task = await api.get(`/workflow/taskinstance/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 404) return showMissing(id);
    throw e;
  }
  state.reads.set(id, Promise.resolve(task));
  state.current = task;
  setHash(id);
  const props = (task.form || []).filter((f) => f.readable !== false);
  const decision = props.find(isDecision);
  const person = task.approval ? api.personName(task.approval.target) : '';
  $('#task-detail-title').textContent = person ? `${task.name || task.taskDefinitionKey}: ${person}` : task.name || task.taskDefinitionKey;
  const desc = $('#task-description');
  desc.textContent = task.description || '';
  show(desc, !!task.description);
  renderMeta(task);
  renderRequester(task, props);
  renderApproval(task.approval);
  replace($('#task-fields'), props.filter((f) => f !== decision).map((f, i) => fieldFor(f, i)));
  $('#task-comment').value = '';
  show($('#task-comment-field'), !!decision);
  const question = $('#task-question');
  question.textContent = decision ? `${decision.name || decision._id}${decision.required ? ' *' : ''}` : '';
  show(question, !!decision);
  replace($('#task-actions'), decision ? decisionButtons(decision) : [h('button', { type: 'button', id: 'task-submit', class: 'primary', 'data-testid': 'task-submit', onclick: (e) => submit(e.currentTarget, null) }, 'Submit')]);
  setFormEnabled(true);
  show($('#task-form'));
  status($('#task-message'), '');
  showDetail(true);
  markOpenRow();
  if (focus) $('#task-detail-title').focus();
}

/** An unknown task, one completed by someone else, or one that is not mine: said so, and its row leaves the list. */
function showMissing(id) {
  state.current = null;
  setHash(id);
  $('#task-detail-title').textContent = `Task ${id}`;
  replace($('#task-meta'));
  replace($('#task-requester'));
  show($('#task-description'), false);
  renderApproval(null);
  show($('#task-form'), false);
  showDetail(true);
  status($('#task-message'), `Task ${id} cannot be opened: it does not exist, someone else has completed it, or it is not assigned to you.`, 'error');
  dropRow(id);
  markOpenRow();
  $('#task-detail-title').focus();
}

function markOpenRow() {
  for (const li of document.querySelectorAll('#task-list li')) {
    const open = !!state.current && li.dataset.taskId === state.current._id;
    li.classList.toggle('open', open);
    const btn = li.querySelector('.task-open');
    if (open) btn.setAttribute('aria-current', 'true');
    else btn.removeAttribute('aria-current');
  }
}

/** Takes a finished task's row out of the page (the total too) without a reload. */
function dropRow(id) {
  const p = state.pager;
  if (!p) return;
  const before = p.rows.length;
  p.rows = p.rows.filter((t) => t._id !== String(id));
  if (p.rows.length === before) return;
  if (p.total > 0) p.total -= 1;
  state.selected.delete(String(id));
  rowOf(id)?.remove();
  renderPager($('#task-pager'), p, 'Tasks', () => { renderTasks(); focusRow(p.rows[0]?._id ?? null); });
  show($('#tasks-empty'), p.rows.length === 0);
  updateSelection();
  updateMatching();
}

function decisionButtons(decision) {
  const v = decision.type.values;
  return [
    h('button', { type: 'button', id: 'task-approve', class: 'primary', 'data-testid': 'task-approve', 'aria-keyshortcuts': 'a', onclick: (e) => submit(e.currentTarget, [decision._id, 'true']) }, `Approve${v.true && v.true !== 'Yes' ? ` (${v.true})` : ''}`),
    h('button', { type: 'button', id: 'task-deny', class: 'danger', 'data-testid': 'task-deny', 'aria-keyshortcuts': 'd', onclick: (e) => submit(e.currentTarget, [decision._id, 'false']) }, `Deny${v.false && v.false !== 'No' ? ` (${v.false})` : ''}`),
  ];
}

function renderMeta(task) {
  const rows = [
    ['Task', `${task._id} (${task.name || task.taskDefinitionKey})`],
    ['Assignee', task.assignee || '(unassigned)'],
    ['Created', fmtDate(task.createTime)],
    ['Due', task.dueDate ? fmtDate(task.dueDate) : 'no due date'],
    // Not every server says when the task escalates (the boundary timer); shown only when it does.
    ['Escalates', task.escalationDeadline ? fmtDate(task.escalationDeadline) : ''],
    ['Priority', task.priority],
    ['Process', `${task.processDefinitionId} #${task.processInstanceId}`],
  ];
  replace($('#task-meta'), rows.filter(([, v]) => v !== '' && v !== null && v !== undefined)
    .flatMap(([k, v]) => [h('dt', {}, k), h('dd', { dataset: { meta: k.toLowerCase() } }, String(v))]));
}

function renderRequester(task, props) {
  const named = props.find((f) => f._id === 'requesterName');
  const id = (named && named.value) || requesterId(task);
  const t = task.approval && task.approval.target;
  const items = [['Requester', id || '(unknown)'], ['Name', api.personName(t)], ['Mail', t && t.mail]];
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

function setFormEnabled(on) {
  for (const el of document.querySelectorAll('#task-form input, #task-form textarea, #task-form select, #task-form button')) {
    if (on) {
      if (el.dataset.lockedByStale) { el.disabled = false; delete el.dataset.lockedByStale; }
    } else if (!el.disabled) {
      el.disabled = true;
      el.dataset.lockedByStale = 'true';
    }
  }
}

/** The id of the row after `id` on this page (or before it, when it is the last): where focus goes once `id` is done. */
function neighbourId(id) {
  const rows = state.pager.rows;
  const i = rows.findIndex((t) => t._id === id);
  if (i < 0) return rows[0]?._id ?? null;
  return (rows[i + 1] || rows[i - 1] || {})._id ?? null;
}

async function submit(button, decision) {
  const task = state.current;
  if (!task) return;
  const values = formValues();
  if (decision) values[decision[0]] = decision[1];
  const missing = missingRequired(values, decision && decision[0]);
  if (missing) {
    markInvalid(missing._id);
    return status($('#task-message'), `${missing.name || missing._id} is required.`, 'error');
  }
  markInvalid(null);
  const comment = $('#task-comment').value.trim();
  if (comment.length > MAX_COMMENT) {
    $('#task-comment').focus();
    return status($('#task-message'), `The comment is longer than ${MAX_COMMENT} characters.`, 'error');
  }
  if (decision && comment) values._comment = comment;
  if (decision && decision[1] === 'false') {
    const ok = await confirmDialog({ title: 'Deny this request?', text: `Deny ${label(task)}? No account is created, and the decision is recorded.`, ok: 'Deny', danger: true });
    if (!ok) return button.focus();
  }
  const next = neighbourId(task._id);
  await busy(button, async () => {
    try {
      await api.post(`/workflow/taskinstance/${encodeURIComponent(task._id)}?_action=complete`, values);
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 401) return showSignIn('Your session has ended. Please sign in again.');
      if (e instanceof api.ApiError && (e.status === 404 || e.status === 409)) return staleTask(task);
      markInvalid(e.detail && e.detail.field);
      return status($('#task-message'), api.errorMessage(e), 'error');
    }
    state.reads.delete(task._id);
    closeTask({ focus: false });
    dropRow(task._id);
    // Not awaited: the outcome line updates itself while the approver goes on.
    trackDecision(task, decision ? decision[1] === 'true' : null, decision ? comment : '');
    await guard(() => loadTasks({ preferId: next }));
    focusRow(rowOf(next) ? next : state.pager.rows[0]?._id ?? null);
  });
}

/** Someone else completed the task meanwhile: the form is locked, the message says so, the row leaves the list. */
function staleTask(task) {
  state.current = null;
  setFormEnabled(false);
  // busy() gives the button back its state when it ends: mark it for the lock after that.
  setTimeout(() => setFormEnabled(false), 0);
  status($('#task-message'), 'This task was already completed by someone else (or is no longer yours): nothing was changed.', 'error');
  dropRow(task._id);
  $('#task-close').focus();
}

// ---------- what came of a decision ----------

const label = (task) => `${task.name || task.taskDefinitionKey}${requesterId(task) ? ` for ${requesterId(task)}` : ` (task ${task._id})`}`;
/** Decisions kept on screen; older lines drop off the bottom. */
const DECISIONS_SHOWN = 10;

/**
 * Shows a completed task's outcome at the top of the list (newest first) and follows it: an approval reads "creating the account…"
 * until the instance history says created, superseded or failed (polled with backoff, bounded).
 * `approved` is true/false for an approve/deny decision, null for a plain form. A comment the server did not keep is said so.
 */
async function trackDecision(task, approved, comment) {
  const list = $('#decision-results');
  status($('#page-status'), '');
  const line = h('li', { dataset: { testid: 'decision-result', taskId: task._id, instanceId: task.processInstanceId || '' } });
  list.prepend(line);
  while (list.children.length > DECISIONS_SHOWN) list.lastElementChild.remove();
  show(list);
  let note = null;
  let last = null;
  const render = (out) => {
    last = out;
    line.dataset.kind = out.kind;
    line.dataset.final = String(out.final);
    const again = !out.final && line.dataset.polling === 'done'
      ? h('button', { type: 'button', class: 'link', 'data-testid': 'decision-recheck', onclick: () => guard(() => follow()) }, 'Check again')
      : null;
    replace(line, `${label(task)}: ${out.text}`, note ? [' ', h('span', { class: 'note', 'data-testid': 'comment-note' }, note)] : null, again ? [' ', again] : null);
  };
  const follow = async () => {
    line.dataset.polling = 'running';
    try {
      await api.followOutcome(task.processInstanceId, true, render);
    } finally {
      line.dataset.polling = 'done';
      if (last) render(last);
    }
  };
  if (comment) {
    // The comment goes with the decision; a server that does not keep comments must not let it look kept.
    guard(async () => {
      const hist = await api.get(`/workflow/processinstance/history/${encodeURIComponent(task.processInstanceId)}`).catch(() => null);
      const a = hist && hist.approval;
      if (!a) return;
      note = a.comment === comment ? '(comment saved)' : 'Your comment was not saved by this server.';
      line.dataset.comment = a.comment === comment ? 'saved' : 'lost';
      if (last) render(last);
    });
  }
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

/** Closes the task pane; focus goes back to the row that was open (focus: false leaves it to the caller). */
function closeTask({ focus = true } = {}) {
  const was = state.current ? state.current._id : linkedTaskId();
  state.current = null;
  showDetail(false);
  setHash(null);
  markOpenRow();
  if (focus && state.session) focusRow(rowOf(was) ? was : state.activeId);
}

// ---------- dialogs ----------

/** A modal confirmation (Escape or Cancel: false). Focus starts on Cancel for a dangerous action, on OK otherwise, and returns after. */
function confirmDialog({ title, text, ok, danger = false }) {
  const dlg = $('#confirm-dialog');
  const back = document.activeElement;
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  const okBtn = $('#confirm-ok');
  okBtn.textContent = ok;
  okBtn.className = danger ? 'danger' : 'primary';
  dlg.returnValue = '';
  dlg.showModal();
  (danger ? $('#confirm-cancel') : okBtn).focus();
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => {
      const yes = dlg.returnValue === 'ok';
      if (!yes && back && back.isConnected) back.focus();
      resolve(yes);
    }, { once: true });
  });
}

function toggleHelp() {
  const dlg = $('#help-dialog');
  if (dlg.open) return dlg.close();
  state.helpReturn = document.activeElement;
  dlg.showModal();
  $('#help-close').focus();
}

// ---------- keyboard ----------

const isTyping = (el) => !!el && (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT'
  || (el.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(el.type)));

function onKey(e) {
  if (!state.session || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  if (isTyping(e.target)) return;
  const open = document.querySelector('dialog[open]');
  if (open) {
    // A dialog closes on Escape by itself; ? also closes the help.
    if (open.id === 'help-dialog' && e.key === '?') { e.preventDefault(); open.close(); }
    return;
  }
  switch (e.key) {
    case 'j': e.preventDefault(); return moveRow(1);
    case 'k': e.preventDefault(); return moveRow(-1);
    case 'o': e.preventDefault(); return state.activeId && guard(() => openTask(state.activeId));
    case 'a': e.preventDefault(); return guard(() => decideByKey(true));
    case 'd': e.preventDefault(); return guard(() => decideByKey(false));
    case '/': e.preventDefault(); return $('#task-search').focus();
    case '?': e.preventDefault(); return toggleHelp();
    case 'Escape':
      if (!$('#task-detail').hidden) { e.preventDefault(); closeTask(); }
      return;
    default:
  }
}

function moveRow(step) {
  const rows = state.pager ? state.pager.rows : [];
  if (!rows.length) return;
  let i = rows.findIndex((t) => t._id === state.activeId);
  i = i < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, i + step));
  focusRow(rows[i]._id);
}

/** a / d: on the open task, else on the row the keyboard is on (opened first, so its snapshot is seen). */
async function decideByKey(approve) {
  const inDetail = document.activeElement && document.activeElement.closest && document.activeElement.closest('#task-detail');
  if (!(state.current && (inDetail || state.current._id === state.activeId))) {
    if (!state.activeId) return;
    await openTask(state.activeId, { focus: false });
  }
  const btn = $(approve ? '#task-approve' : '#task-deny');
  if (btn && !btn.disabled && !$('#task-detail').hidden) btn.click();
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
  const chosen = state.pager.rows.filter((t) => state.selected.has(t._id));
  if (!chosen.length) return;
  const ok = await confirmDialog({ title: `Approve ${chosen.length} selected task${chosen.length === 1 ? '' : 's'}?`, text: `Each approval creates the account its request shows: ${chosen.map(personLabel).slice(0, 5).join(', ')}${chosen.length > 5 ? ', …' : ''}.`, ok: `Approve ${chosen.length}` });
  if (!ok) return;
  const results = $('#bulk-results');
  replace(results);
  show(results);
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
  results.setAttribute('tabindex', '-1');
  results.focus();
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

// ---------- approve every task the query matches (server-side) ----------

async function approveMatching() {
  const p = state.pager;
  const total = p.total;
  const first = p.rows[0];
  if (!first || total <= 0) return;
  // The completion values come from the first task's form: its approve/deny field set to approve.
  const task = await readTask(first._id);
  const decision = task && (task.form || []).find(isDecision);
  if (!decision) return status($('#page-status'), 'These tasks have no approve/deny choice: open each to complete it.', 'error');
  const what = state.search ? `every task matching “${state.search}”` : 'every task in your list';
  const ok = await confirmDialog({
    title: `Approve all ${total.toLocaleString('en')} matching tasks?`,
    text: `This approves ${what}: ${total.toLocaleString('en')} tasks, not only the ${p.rows.length} on this page. Each approval creates the account its request shows. You can cancel while it runs; tasks approved by then stay approved.`,
    ok: `Approve ${total.toLocaleString('en')}`,
  });
  if (!ok) return;
  const op = await api.completeMatching(p.filter, { [decision._id]: 'true' });
  await followBulk(op);
}

const BULK_POLL_MS = 500;

function renderBulk(op) {
  const bar = $('#bulk-bar');
  bar.max = Math.max(1, op.total || 0);
  bar.value = op.processed || 0;
  const n = (x) => Number(x || 0).toLocaleString('en');
  const counts = `${n(op.processed)} of ${n(op.total)} processed: ${n(op.succeeded)} approved, ${n(op.failed)} failed`;
  const text = {
    ACTIVE: `Approving… ${counts}.`,
    SUCCESS: `Done: ${counts}. Accounts are created in the background; a failed creation shows as an incident in the admin console.`,
    CANCELED: `Canceled: ${counts}. The other tasks are still waiting.`,
    FAILED: `Stopped by an error: ${counts}.${op.error ? ` ${op.error}` : ''} The other tasks are still waiting.`,
  }[op.state] || `${op.state}: ${counts}.`;
  const el = $('#bulk-text');
  el.textContent = text;
  const box = $('#bulk-progress');
  box.dataset.state = op.state;
  box.dataset.kind = op.state === 'SUCCESS' && !op.failed ? 'ok' : op.state === 'ACTIVE' ? 'info' : 'warn';
  $('#bulk-cancel').hidden = op.state !== 'ACTIVE';
  const failures = Array.isArray(op.failures) ? op.failures : [];
  replace($('#bulk-failures'), failures.map((f) => h('li', { dataset: { kind: 'error', testid: 'bulk-failure', taskId: String(f.taskId) } }, `Task ${f.taskId}: ${f.message}`)));
  show($('#bulk-failures'), failures.length > 0);
}

async function followBulk(op) {
  state.bulk = op;
  state.bulkRunning = true;
  updateSelection();
  updateMatching();
  show($('#bulk-progress'));
  renderBulk(op);
  $('#bulk-text').setAttribute('tabindex', '-1');
  $('#bulk-text').focus();
  try {
    while (op.state === 'ACTIVE') {
      await new Promise((r) => setTimeout(r, BULK_POLL_MS));
      op = await api.readBulk(op._id);
      state.bulk = op;
      renderBulk(op);
    }
  } finally {
    state.bulkRunning = false;
    state.reads.clear();
    await guard(() => loadTasks());
    if (document.activeElement === document.body) $('#bulk-text').focus();
  }
}

async function cancelBulk() {
  if (!state.bulk || state.bulk.state !== 'ACTIVE') return;
  const btn = $('#bulk-cancel');
  await busy(btn, async () => {
    const op = await api.cancelBulk(state.bulk._id);
    if (op && op.state) renderBulk(op);
  });
  $('#bulk-text').focus();
}

// ---------- live list (polling; 304 when the server answers ETags) ----------

function startPolling() {
  stopPolling();
  const ms = Number(document.documentElement.dataset.pollMs) || POLL_MS;
  state.pollTimer = setInterval(() => { poll().catch(() => { /* the next poll or action reports it */ }); }, ms);
}

function stopPolling() {
  if (state.pollTimer) clearInterval(state.pollTimer);
  state.pollTimer = null;
}

async function poll() {
  if (!state.session || !state.pager || document.visibilityState !== 'visible' || state.bulkRunning || document.querySelector('dialog[open]')) return;
  const p = state.pager;
  // The Pager re-reads its page with If-None-Match: true when the page changed.
  if (!(await p.poll())) return;
  // Where the user is is read after the answer came: meanwhile they may have opened a task or a
  // dialog, and a focus taken before the wait would pull them back to the list.
  const inList = !document.querySelector('dialog[open]') && document.activeElement && document.activeElement.closest('#task-list');
  const focus = inList ? 'keep' : 'none';
  const before = focusedRowIndex();
  renderTasks();
  if (focus === 'keep') keepFocus(before.id, before.index);
  markOpenRow();
}

init();
