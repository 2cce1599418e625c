// The admin console at /admin/ (openidm-admin only): tasks, process instances with their BPMN
// diagrams, definitions, reconciliation runs with live progress, users, failed jobs and schedules.
import * as api from '/api.js';
import { $, age, busy, fmtDate, h, replace, show, status } from '/dom.js';
import { submitSignIn } from '/signin.js';
import { roleBadge } from '/ui/approval.js';

const TABS = ['tasks', 'instances', 'definitions', 'recon', 'users', 'jobs', 'incidents'];
const INCIDENT_PAGE = 25;
const SITUATIONS = ['CONFIRMED', 'FOUND', 'FOUND_ALREADY_LINKED', 'ABSENT', 'UNQUALIFIED', 'AMBIGUOUS', 'MISSING', 'SOURCE_IGNORED', 'UNASSIGNED', 'SOURCE_MISSING', 'TARGET_IGNORED'];
const DEFAULT_MAPPING = 'systemCsvfileAccounts_managedUser';
const USER_FIELDS = 'userName,givenName,sn,displayName,mail,telephoneNumber,description,accountStatus,authzRoles,effectiveRoles';

const state = {
  session: null,
  tab: null,
  definitions: [],
  runs: [],
  selectedRun: null,
  pollTimer: null,
  viewer: null,
  /** Incidents paging: the cookie of the page shown, and those of the pages before it. */
  incidentCookie: '',
  incidentCookiesBefore: [],
  incidentNext: null,
};

// ---------- session ----------

async function init() {
  $('#signin-form').addEventListener('submit', (e) => submitSignIn(e, enter));
  $('#sign-out').addEventListener('click', onSignOut);
  for (const b of document.querySelectorAll('[role="tab"]')) {
    b.addEventListener('click', () => selectTab(b.dataset.tab));
    b.addEventListener('keydown', onTabKey);
  }
  $('#task-filters').addEventListener('submit', (e) => { e.preventDefault(); guard(loadTasks, '#tasks-status'); });
  $('#instances-scope').addEventListener('change', () => guard(loadInstances, '#instances-status'));
  $('#instances-refresh').addEventListener('click', () => guard(loadInstances, '#instances-status'));
  $('#user-search-form').addEventListener('submit', (e) => { e.preventDefault(); guard(loadUsers, '#users-status'); });
  $('#user-create-form').addEventListener('submit', onCreateUser);
  $('#jobs-state').addEventListener('change', () => guard(loadJobs, '#jobs-status'));
  $('#jobs-refresh').addEventListener('click', () => guard(async () => { await loadJobs(); await loadSchedules(); }, '#jobs-status'));
  $('#incidents-refresh').addEventListener('click', () => guard(loadIncidents, '#incidents-status'));
  $('#incidents-prev').addEventListener('click', () => guard(() => pageIncidents(-1), '#incidents-status'));
  $('#incidents-next').addEventListener('click', () => guard(() => pageIncidents(1), '#incidents-status'));
  $('#diagram-close').addEventListener('click', () => show($('#diagram-panel'), false));
  window.addEventListener('resize', () => { if (state.tab) $(`#tab-${state.tab}`).scrollIntoView({ block: 'nearest', inline: 'nearest' }); });
  window.addEventListener('hashchange', () => { if (state.session) selectTab(tabFromHash()); });
  try {
    const s = await api.currentSession();
    if (s) enter(s);
    else showSignIn();
  } catch (e) {
    status($('#page-status'), api.errorMessage(e), 'error');
  }
}

function showSignIn(message) {
  state.session = null;
  stopPolling();
  for (const id of ['#whoami', '#console', '#not-admin']) show($(id), false);
  show($('#signin-section'));
  status($('#signin-error'), message || '', 'error');
  $('#signin-username').focus();
}

function enter(session) {
  state.session = session;
  $('#whoami-name').textContent = session.authenticationId;
  show($('#whoami'));
  show($('#signin-section'), false);
  status($('#page-status'), '');
  if (!api.isAdmin(session)) {
    $('#not-admin-name').textContent = session.authenticationId;
    show($('#not-admin'));
    return;
  }
  show($('#console'));
  selectTab(tabFromHash());
}

async function onSignOut() {
  try {
    await api.signOut();
  } catch {
    /* signed out locally regardless */
  }
  state.tab = null;
  showSignIn();
}

/** Runs fn; 401 → sign in again; any other error is shown in the given status line. */
async function guard(fn, where = '#page-status', { keepStatus = false } = {}) {
  try {
    if (!keepStatus) status($(where), '');
    return await fn();
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) showSignIn('Your session has ended. Please sign in again.');
    else status($(where), api.errorMessage(e), 'error');
  }
}

// ---------- tabs ----------

function tabFromHash() {
  const t = location.hash.slice(1);
  return TABS.includes(t) ? t : 'tasks';
}

function selectTab(tab) {
  if (state.tab === tab) return;
  state.tab = tab;
  for (const t of TABS) {
    const button = $(`#tab-${t}`);
    button.setAttribute('aria-selected', String(t === tab));
    button.tabIndex = t === tab ? 0 : -1;
    show($(`#panel-${t}`), t === tab);
  }
  // On a narrow screen the tab strip scrolls: keep the chosen tab in view.
  $(`#tab-${tab}`).scrollIntoView({ block: 'nearest', inline: 'nearest' });
  show($('#diagram-panel'), false);
  if (location.hash !== `#${tab}`) history.replaceState(null, '', `#${tab}`);
  stopPolling();
  const loaders = {
    tasks: () => guard(async () => { await loadDefinitionOptions(); await loadTasks(); }, '#tasks-status'),
    instances: () => guard(loadInstances, '#instances-status'),
    definitions: () => guard(loadDefinitions, '#definitions-status'),
    recon: () => guard(loadRecon, '#recon-status'),
    users: () => guard(loadUsers, '#users-status'),
    jobs: () => guard(async () => { await loadJobs(); await loadSchedules(); }, '#jobs-status'),
    incidents: () => guard(loadIncidents, '#incidents-status'),
  };
  loaders[tab]();
}

/** Arrow keys move between tabs, as the ARIA tabs pattern expects. */
function onTabKey(e) {
  const i = TABS.indexOf(e.currentTarget.dataset.tab);
  const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
  if (next === null) return;
  const tab = TABS[(next + TABS.length) % TABS.length];
  selectTab(tab);
  $(`#tab-${tab}`).focus();
}

// ---------- small table helpers ----------

/** Errors of an action started from a tab show in that tab's status line. */
const tabStatus = () => `#${state.tab}-status`;

const cell = (...children) => h('td', {}, ...children);

function fillTable(table, rows, emptyText) {
  const body = $(`${table} tbody`);
  const cols = $(`${table} thead tr`).children.length;
  replace(body, rows.length ? rows : h('tr', {}, h('td', { colspan: cols, class: 'muted' }, emptyText)));
}

const linkButton = (text, onclick, attrs = {}) => h('button', { type: 'button', class: 'link', onclick, ...attrs }, text);

// ---------- tasks ----------

async function loadDefinitions(force = false) {
  if (!state.definitions.length || force) {
    const res = await api.get('/workflow/processdefinition' + api.qs({ _queryFilter: 'true' }));
    state.definitions = (res.result || []).sort((a, b) => a.key.localeCompare(b.key) || b.version - a.version);
  }
  if (state.tab === 'definitions') renderDefinitions();
  return state.definitions;
}

async function loadDefinitionOptions() {
  const select = $('#filter-definition');
  const chosen = select.value;
  await loadDefinitions();
  replace(select, h('option', { value: '' }, 'All'),
    state.definitions.map((d) => h('option', { value: d._id, selected: d._id === chosen }, `${d.name || d.key} (v${d.version})`)));
}

/** The filters become one _queryFilter, so the server does the filtering. */
function taskFilter() {
  const parts = [];
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

async function loadTasks() {
  const res = await api.get('/workflow/taskinstance' + api.qs({ _queryFilter: taskFilter(), _pageSize: 500 }));
  fillTable('#admin-tasks', (res.result || []).map(taskRow), 'No tasks match.');
}

function taskRow(t) {
  const v = t.processVariables || {};
  return h('tr', { dataset: { testid: 'admin-task-row', taskId: t._id, sourceId: v.sourceId || '' } },
    cell(`${t.name || t.taskDefinitionKey} `, h('span', { class: 'muted small' }, `#${t._id}`)),
    cell(v.sourceId || ''),
    cell(t.assignee || h('span', { class: 'muted' }, 'unassigned')),
    cell(t.processDefinitionId),
    cell(h('span', { title: fmtDate(t.createTime) }, `${age(t.createTime)} ago`)),
    cell(linkButton(`#${t.processInstanceId}`, () => guard(() => openInstance({ _id: t.processInstanceId, status: 'active' }), tabStatus()), { 'aria-label': `Diagram of process instance ${t.processInstanceId}` })),
  );
}

// ---------- process instances ----------

async function loadInstances() {
  const history = $('#instances-scope').value === 'history';
  const res = await api.get(`/workflow/processinstance${history ? '/history' : ''}` + api.qs({ _queryFilter: 'true', _pageSize: 500 }));
  const items = (res.result || []).sort((a, b) => Number(b._id) - Number(a._id));
  fillTable('#instances-table', items.map(instanceRow), history ? 'No process instances yet.' : 'No running process instances.');
}

function instanceRow(i) {
  return h('tr', { dataset: { testid: 'instance-row', instanceId: i._id, status: i.status || '' } },
    cell(linkButton(`#${i._id}`, () => guard(() => openInstance(i), tabStatus()), { 'data-testid': 'instance-open', 'aria-label': `Diagram of process instance ${i._id}` })),
    cell(i.processDefinitionId),
    cell(i.businessKey || ''),
    cell(i.status || (i.endTime ? 'ended' : 'active'),
      i.deleteReason && i.deleteReason !== i.status ? h('div', { class: 'muted small' }, i.deleteReason) : null,
      i.approval && i.approval.decision ? h('div', { class: 'small', 'data-testid': 'instance-outcome' }, instanceOutcome(i.approval)) : null),
    cell(fmtDate(i.startTime)),
    cell(fmtDate(i.endTime)),
    cell(i.endActivityId || ''),
  );
}

/**
 * Shows an instance's diagram: waiting tasks highlighted, or the end event it reached.
 * `item` is a list row, or {_id, status: 'history'} to read it from the history.
 */
async function openInstance(item) {
  let inst = item;
  let waiting = [];
  if (!item.status || item.status === 'active') {
    inst = await api.get(`/workflow/processinstance/${encodeURIComponent(item._id)}`);
    waiting = [...new Set((inst.tasks || []).map((t) => t.taskDefinitionKey))];
  } else if (!item.processDefinitionId) {
    inst = await api.get(`/workflow/processinstance/history/${encodeURIComponent(item._id)}`);
  } else {
    // The history read carries the approval record (decision, outcome) and why an instance ended.
    inst = { ...item, ...(await historyOf(item._id)) };
  }
  const markers = [...waiting.map((id) => [id, 'highlight']), ...(inst.endActivityId ? [[inst.endActivityId, 'path-taken']] : [])];
  const v = inst.processVariables || {};
  await showDiagram(inst.processDefinitionId, `Process instance #${inst._id}`, [
    ['Definition', inst.processDefinitionId],
    ['Status', inst.status],
    ['Business key', inst.businessKey],
    ['Requester', v.sourceId],
    ['Recon', v.reconId],
    ['Waiting at', waiting.join(', ')],
    ['Ended at', inst.endActivityId],
    ['Ended because', inst.deleteReason],
    ...approvalMeta(inst.approval),
  ], markers);
}

async function historyOf(id) {
  try {
    return await api.get(`/workflow/processinstance/history/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) throw e;
    return {};
  }
}

/** The snapshot's roles as badges, an administrator role flagged (as the inbox shows them). */
function rolesList(refs) {
  return refs.length ? h('ul', { class: 'roles', 'data-testid': 'instance-roles' }, refs.map(roleBadge)) : null;
}

function instanceOutcome(a) {
  return a.decision === 'approved' ? api.decisionOutcome(true, { approval: a }).text : a.decision;
}

/** Decision and outcome rows of an approval record, from the instance history. */
function approvalMeta(a) {
  if (!a) return [];
  const decided = a.decision ? `${a.decision}${a.decidedBy ? ` by ${a.decidedBy}` : ''}${a.decidedAt ? ` on ${fmtDate(a.decidedAt)}` : ''}` : 'not decided yet';
  const outcome = a.decision === 'approved' ? api.decisionOutcome(true, { approval: a }).text.replace(/^approved — /, '') : '';
  return [
    ['Decision', decided],
    ['Account', outcome],
    ['Roles', rolesList(api.approvalRoles(a))],
  ];
}

// ---------- definitions ----------

function renderDefinitions() {
  fillTable('#definitions-table', state.definitions.map((d) => h('tr', { dataset: { testid: 'definition-row', definitionId: d._id } },
    cell(linkButton(d.name || d.key, () => guard(() => showDiagram(d._id, `${d.name || d.key} (version ${d.version})`, [['Id', d._id], ['Resource', d.resourceName]], []), tabStatus()), { 'data-testid': 'definition-open' })),
    cell(d.key), cell(String(d.version)), cell(d._id), cell(d.resourceName || ''), cell(fmtDate(d.deploymentTime)),
  )), 'No process definitions are deployed.');
}

// ---------- diagrams (bpmn-js viewer) ----------

function viewer() {
  if (!state.viewer) {
    if (typeof window.BpmnJS !== 'function') throw new Error('The diagram viewer could not be loaded');
    state.viewer = new window.BpmnJS({ container: $('#diagram-canvas') });
  }
  return state.viewer;
}

async function showDiagram(definitionId, title, meta, markers) {
  const panel = $('#diagram-panel');
  // Visible before import, so fit-viewport can measure the container.
  show(panel);
  $('#diagram-title').textContent = title;
  replace($('#diagram-meta'), meta.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v instanceof Node ? v : String(v))]));
  status($('#diagram-status'), 'Loading diagram…');
  let v;
  try {
    v = viewer();
    const def = await api.get(`/workflow/processdefinition/${encodeURIComponent(definitionId)}` + api.qs({ _fields: 'xml,_id,key,name,version,taskDefinitions' }));
    await v.importXML(def.xml);
  } catch (e) {
    // The error shows in the tab's status line; an empty panel would only confuse.
    show(panel, false);
    throw e;
  }
  const canvas = v.get('canvas');
  const registry = v.get('elementRegistry');
  const missing = [];
  for (const [id, marker] of markers) {
    if (registry.get(id)) canvas.addMarker(id, marker);
    else missing.push(id);
  }
  canvas.resized();
  canvas.zoom('fit-viewport', 'auto');
  panel.dataset.markers = markers.map(([id, m]) => `${id}:${m}`).join(' ');
  status($('#diagram-status'), missing.length ? `Not in the diagram: ${missing.join(', ')}` : '');
  panel.scrollIntoView({ block: 'nearest' });
  $('#diagram-title').focus({ preventScroll: true });
}

// ---------- reconciliation ----------

async function loadRecon() {
  await loadMappings();
  await refreshRuns();
}

async function loadMappings() {
  let mappings;
  try {
    mappings = (await api.get('/config/sync')).mappings || [];
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) throw e;
    // Without the config endpoint, offer the mappings seen in runs, or the sample's.
    const runs = (await api.get('/recon')).reconciliations || [];
    mappings = [...new Set([DEFAULT_MAPPING, ...runs.map((r) => r.mapping)])].map((name) => ({ name }));
  }
  replace($('#mappings'), mappings.map((m) => h('li', { dataset: { testid: 'mapping', mapping: m.name } },
    h('div', {}, h('strong', {}, m.name), m.source ? h('span', { class: 'muted small' }, ` ${m.source} → ${m.target}`) : null),
    h('button', { type: 'button', class: 'primary', 'data-testid': 'recon-now', dataset: { mapping: m.name }, 'aria-label': `Reconcile ${m.name} now`, onclick: (e) => reconcileNow(e.currentTarget, m.name) }, 'Reconcile now'),
  )));
  if (!mappings.length) replace($('#mappings'), h('li', { class: 'muted' }, 'No mappings are configured.'));
}

async function reconcileNow(button, mapping) {
  await busy(button, () => guard(async () => {
    const run = await api.post('/recon' + api.qs({ _action: 'recon', mapping }));
    state.selectedRun = run._id;
    status($('#recon-status'), `Reconciliation ${run._id} started.`, 'ok');
    await refreshRuns();
  }, '#recon-status'));
}

async function refreshRuns() {
  const runs = (await api.get('/recon')).reconciliations || [];
  state.runs = runs.sort((a, b) => String(b.started).localeCompare(String(a.started)));
  if (!state.selectedRun && state.runs.length) state.selectedRun = state.runs[0]._id;
  fillTable('#recon-runs', state.runs.map(runRow), 'No reconciliation has run yet.');
  let selected = state.runs.find((r) => r._id === state.selectedRun);
  if (!selected && state.selectedRun) selected = await api.get(`/recon/${encodeURIComponent(state.selectedRun)}`);
  renderRun(selected);
  schedulePoll();
}

function runRow(r) {
  return h('tr', { dataset: { testid: 'recon-run', runId: r._id, state: r.state }, class: r._id === state.selectedRun ? 'selected' : null },
    cell(linkButton(fmtDate(r.started), () => { state.selectedRun = r._id; guard(refreshRuns, '#recon-status'); }, { 'aria-label': `Show run ${r._id}` })),
    cell(r.mapping), cell(h('span', { class: `badge state-${String(r.state).toLowerCase()}` }, r.state)), cell(duration(r.duration)),
  );
}

const duration = (ms) => (typeof ms === 'number' ? (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`) : '');

function renderRun(run) {
  const box = $('#recon-detail');
  if (!run) return show(box, false);
  show(box);
  box.dataset.runId = run._id;
  box.dataset.state = run.state;
  replace(box,
    h('h2', {}, `Run ${run.mapping}`),
    h('dl', { class: 'meta' },
      h('dt', {}, 'Id'), h('dd', {}, run._id),
      h('dt', {}, 'State'), h('dd', { 'data-testid': 'recon-state' }, run.state),
      h('dt', {}, 'Stage'), h('dd', {}, run.stageDescription || run.stage),
      h('dt', {}, 'Started'), h('dd', {}, fmtDate(run.started)),
      run.ended ? [h('dt', {}, 'Ended'), h('dd', {}, fmtDate(run.ended))] : null,
      h('dt', {}, 'Duration'), h('dd', {}, duration(run.duration)),
      run.message ? [h('dt', {}, 'Message'), h('dd', {}, run.message)] : null,
    ),
    progressBars(run.progress, run.state === 'ACTIVE'),
    h('h3', {}, 'Situations'),
    situationChart(run.situationSummary || {}),
    statusLine(run.statusSummary),
  );
}

function progressBars(progress, active) {
  if (!progress) return null;
  const line = (label, p) => {
    if (!p) return null;
    const done = p.processed ?? 0;
    // OpenIDM sends totals as strings: a count, or "?" while unknown.
    const total = /^\d+$/.test(String(p.total)) ? Number(p.total) : null;
    // Total unknown ("?"): indeterminate while running, full once the run is over.
    const bar = total !== null ? h('progress', { max: total || 1, value: Math.min(done, total) })
      : active ? h('progress', {}) : h('progress', { max: done || 1, value: done || 1 });
    return h('div', { class: 'progress-line' }, h('label', {}, `${label}: ${done} of ${total ?? '?'}`, bar));
  };
  return h('div', { class: 'progress' },
    line('Source', progress.source?.existing),
    line('Target', progress.target?.existing),
    line('Links', progress.links?.existing),
    h('p', { class: 'muted small' }, `Created: ${progress.target?.created ?? 0} targets, ${progress.links?.created ?? 0} links`));
}

/** A horizontal bar per situation, drawn with divs; widths are relative to the largest count. */
function situationChart(summary) {
  const keys = [...SITUATIONS.filter((s) => s in summary), ...Object.keys(summary).filter((s) => !SITUATIONS.includes(s))];
  const max = Math.max(1, ...keys.map((k) => Number(summary[k]) || 0));
  const bars = keys.map((k) => {
    const n = Number(summary[k]) || 0;
    const fill = h('div', { class: 'bar-fill' });
    fill.style.width = `${(n / max) * 100}%`;
    return h('li', { class: 'bar', dataset: { testid: 'situation-bar', situation: k, count: String(n) } },
      h('span', { class: 'bar-label' }, k), h('div', { class: 'bar-track', 'aria-hidden': 'true' }, fill), h('span', { class: 'bar-count' }, String(n)));
  });
  return h('ul', { class: 'chart', id: 'situation-chart', 'data-testid': 'situation-chart', 'aria-label': 'Situation summary' },
    bars.length ? bars : h('li', { class: 'muted' }, 'No situations yet.'));
}

function statusLine(s) {
  if (!s) return null;
  return h('p', { class: 'muted small' }, `Status: ${s.SUCCESS ?? 0} succeeded, ${s.FAILURE ?? 0} failed`);
}

/** While a run is active, poll every second; stops when nothing is active or the tab changes. */
function schedulePoll() {
  stopPolling();
  if (state.tab !== 'recon' || !state.session) return;
  const active = state.runs.some((r) => r.state === 'ACTIVE') || $('#recon-detail').dataset.state === 'ACTIVE';
  // Polls keep the status line, so "Reconciliation … started." stays readable.
  if (active) state.pollTimer = setTimeout(() => guard(refreshRuns, '#recon-status', { keepStatus: true }), 1000);
}

function stopPolling() {
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

// ---------- users ----------

/** userName starts with, or mail contains, the search text. */
function userFilter(text) {
  const t = text.trim();
  if (!t) return 'true';
  const s = api.filterString(t);
  return `userName sw ${s} or mail co ${s}`;
}

async function loadUsers() {
  const res = await api.get('/managed/user' + api.qs({ _queryFilter: userFilter($('#user-search').value), _pageSize: 50, _sortKeys: 'userName' }));
  const rows = (res.result || []).map((u) => h('tr', { dataset: { testid: 'user-row', userId: u._id, userName: u.userName || '' } },
    cell(linkButton(u.userName || u._id, () => guard(() => showUser(u._id), '#users-status'), { 'data-testid': 'user-open' })),
    cell([u.givenName, u.sn].filter(Boolean).join(' ')),
    cell(u.mail || ''),
    cell(u.accountStatus || ''),
  ));
  fillTable('#user-table', rows, 'No users match.');
  if (res.pagedResultsCookie) $('#user-table tbody').append(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'More users match: refine the search.')));
}

async function showUser(id) {
  const u = await api.get(`/managed/user/${encodeURIComponent(id)}` + api.qs({ _fields: USER_FIELDS }));
  const roles = (u.authzRoles || []).map((r) => (typeof r === 'string' ? r : r._ref)).filter(Boolean);
  const rows = [
    ['Id', u._id], ['User name', u.userName], ['Given name', u.givenName], ['Surname', u.sn], ['Display name', u.displayName],
    ['Mail', u.mail], ['Telephone', u.telephoneNumber], ['Description', u.description], ['Status', u.accountStatus], ['Roles', roles.join(', ')],
  ];
  const box = $('#user-detail');
  box.dataset.userId = u._id;
  replace(box, h('h2', {}, u.userName || u._id), h('dl', { class: 'meta' }, rows.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])));
  show(box);
}

async function onCreateUser(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const msg = $('#user-create-message');
  const body = {};
  for (const name of ['userName', 'givenName', 'sn', 'displayName', 'mail', 'password', '_id']) {
    const v = form.elements[name].value.trim();
    if (v) body[name] = v;
  }
  if (!body.userName) return status(msg, 'User name is required.', 'error');
  const roles = [...form.querySelectorAll('fieldset input[type="checkbox"]:checked')].map((c) => ({ _ref: `internal/role/${c.value}` }));
  if (roles.length) body.authzRoles = roles;
  await busy($('#user-create-submit'), async () => {
    try {
      const u = await api.post('/managed/user?_action=create', body);
      form.reset();
      status(msg, `Created ${u.userName} (${u._id}).`, 'ok');
      await guard(loadUsers, '#users-status');
    } catch (err) {
      if (err instanceof api.ApiError && err.status === 401) return showSignIn('Your session has ended. Please sign in again.');
      status(msg, api.errorMessage(err), 'error');
    } finally {
      form.elements.password.value = '';
    }
  });
}

// ---------- jobs ----------

async function loadJobs() {
  const st = $('#jobs-state').value;
  const filter = st === 'problems' ? 'state eq "dead" or state eq "failed"' : st ? `state eq ${api.filterString(st)}` : 'true';
  const res = await api.get('/jobs' + api.qs({ _queryFilter: filter, _pageSize: 200 }));
  fillTable('#jobs-table', (res.result || []).map(jobRow), st === 'problems' || st === 'dead' ? 'No failed or dead jobs: nothing needs attention.' : 'No jobs.');
}

/** Schedules (conf/schedule-*.json and /openidm/scheduler/job): what they invoke, when they fire next, and their last run. */
async function loadSchedules() {
  const res = await api.get('/scheduler/job' + api.qs({ _queryFilter: 'true', _sortKeys: '_id' }));
  fillTable('#schedules-table', (res.result || []).map(scheduleRow), 'No schedules (add conf/schedule-<name>.json or PUT /openidm/scheduler/job/<id>).');
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
    cell(h('code', {}, s._id)), cell(invokes), cell(when),
    cell(h('span', { 'data-testid': 'schedule-next' }, next)),
    cell(h('span', { class: r && (r.status === 'failed' || r.status === 'missed') ? 'error-text' : '', 'data-testid': 'schedule-last' }, last)));
}

/**
 * The state a job row shows. "done" is shown only for an effect that happened: a done job
 * whose result says FAILURE (or that carries an error) is flagged, and a createUser job that
 * created nothing says so, never a plain done.
 */
function jobState(j) {
  const r = j.result && typeof j.result === 'object' ? j.result : {};
  const failedResult = j.state === 'done' && (r.status === 'FAILURE' || j.lastError);
  if (failedResult) return { text: 'done, but its result is a failure', cls: 'state-failed', bad: true };
  // A createUser job that ended without creating (the row changed: superseded) did not make a user.
  if (j.state === 'done' && j.type === 'createUser' && r.outcome && r.outcome !== 'created') {
    return { text: `done — ${r.outcome}: nothing created`, cls: 'state-warn', bad: false, note: r.message };
  }
  const bad = j.state === 'dead' || j.state === 'failed';
  return { text: j.state, cls: `state-${String(j.state).toLowerCase()}`, bad };
}

function jobRow(j) {
  const st = jobState(j);
  const error = j.lastError || (st.bad && j.result && j.result.message) || st.note || '';
  return h('tr', { dataset: { testid: 'job-row', jobId: j._id, state: j.state } },
    cell(`#${j._id}`), cell(j.type), cell(h('code', {}, j.key || '')),
    cell(h('span', { class: `badge ${st.cls}`, 'data-testid': 'job-state' }, st.text)),
    cell(`${j.attempts ?? ''}${j.maxAttempts ? ` of ${j.maxAttempts}` : ''}`),
    cell(h('span', { class: 'error-text', 'data-testid': 'job-error' }, error || (st.bad ? 'no error was recorded' : ''))), cell(fmtDate(j.updatedAt)),
    cell(j.state === 'dead'
      ? h('button', { type: 'button', 'data-testid': 'job-retry', 'aria-label': `Retry job ${j._id}`, onclick: (e) => retryJob(e.currentTarget, j) }, 'Retry')
      : ''),
  );
}

async function retryJob(button, job) {
  await busy(button, () => guard(async () => {
    await api.post(`/jobs/${encodeURIComponent(job._id)}?_action=retry`);
    await loadJobs();
    status($('#jobs-status'), `Job #${job._id} queued again.`, 'ok');
  }, '#jobs-status'));
}

// ---------- incidents ----------

/** Reads the incidents page at state.incidentCookie ('' is the first page). */
async function loadIncidents() {
  const res = await api.get('/workflow/incident' + api.qs({
    _queryFilter: 'true', _totalPagedResultsPolicy: 'EXACT', _pageSize: INCIDENT_PAGE, _pagedResultsCookie: state.incidentCookie,
  }));
  const items = res.result || [];
  if (!items.length && state.incidentCookiesBefore.length) {
    // The page emptied (retries resolved it): show the one before instead.
    state.incidentCookie = state.incidentCookiesBefore.pop();
    return loadIncidents();
  }
  state.incidentNext = res.pagedResultsCookie || null;
  fillTable('#incidents-table', items.map(incidentRow), 'No incidents: every process step and job has succeeded or is still being retried.');
  const total = typeof res.totalPagedResults === 'number' && res.totalPagedResults >= 0 ? res.totalPagedResults : null;
  const first = state.incidentCookiesBefore.length * INCIDENT_PAGE;
  $('#incidents-count').textContent = total === null ? '' : total === 0 ? '' : `${first + 1}–${first + items.length} of ${total}`;
  $('#incidents-prev').disabled = state.incidentCookiesBefore.length === 0;
  $('#incidents-next').disabled = !state.incidentNext;
  show($('#incidents-paging'), !!state.incidentNext || state.incidentCookiesBefore.length > 0);
  $('#tab-incidents').textContent = total ? `Incidents (${total})` : 'Incidents';
}

async function pageIncidents(step) {
  if (step > 0 && state.incidentNext) {
    state.incidentCookiesBefore.push(state.incidentCookie);
    state.incidentCookie = state.incidentNext;
  } else if (step < 0 && state.incidentCookiesBefore.length) {
    state.incidentCookie = state.incidentCookiesBefore.pop();
  }
  await loadIncidents();
}

const none = () => h('span', { class: 'muted', 'aria-label': 'none' }, '—');

const INCIDENT_TYPES = { failedJob: 'Failed job', failedInstance: 'Failed step' };

function incidentRow(i) {
  const instance = i.processInstanceId
    ? linkButton(`#${i.processInstanceId}`, () => guard(() => openInstance({ _id: i.processInstanceId, status: 'history' }), '#incidents-status'), { 'aria-label': `Process instance ${i.processInstanceId}` })
    : none();
  const c = (label, ...children) => h('td', { 'data-label': label }, ...children);
  return h('tr', { dataset: { testid: 'incident-row', incidentId: i._id, type: i.type || '', instanceId: i.processInstanceId || '' } },
    c('Type', h('span', { class: 'badge state-failed' }, INCIDENT_TYPES[i.type] || i.type || '')),
    c('Instance', instance),
    c('Activity', i.activityId ? h('code', {}, i.activityId) : none()),
    c('Job type', i.jobType ? [i.jobType, i.jobId ? h('span', { class: 'muted small' }, ` #${i.jobId}`) : null] : none()),
    c('Cause', h('span', { class: 'error-text', 'data-testid': 'incident-cause' }, i.cause || 'no cause was recorded')),
    c('Time', h('span', { title: i.time || '' }, fmtDate(i.time))),
    c('Attempts', String(i.attempts ?? '')),
    c('', h('button', { type: 'button', 'data-testid': 'incident-retry', 'aria-label': `Retry incident ${i._id}`, onclick: (e) => retryIncident(e.currentTarget, i) }, 'Retry')),
  );
}

async function retryIncident(button, incident) {
  await busy(button, () => guard(async () => {
    const r = await api.post(`/workflow/incident/${encodeURIComponent(incident._id)}?_action=retry`);
    await loadIncidents();
    status($('#incidents-status'), `Incident ${incident._id}: ${r && r.status ? r.status : 'retried'}. It is listed again if the retry fails too.`, 'ok');
  }, '#incidents-status'));
}

init();
