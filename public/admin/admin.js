// The admin console at /admin/ (openidm-admin only). This file: sign-in, tabs, deep links
// (#/instance/12, #/task/12, #/run/<id>, #/user/<id>, #/incident/<id>) and the 5 s live poll.
// Each tab is its own module: tasks.js, instances.js, definitions.js, recon.js, users.js,
// jobs.js, incidents.js; core.js holds what they share, instance.js the detail dialog.
import * as api from '/api.js';
import { $, show, status } from '/dom.js';
import { submitSignIn } from '/signin.js';
import { guard, hooks, state } from './core.js';
import { loadDefinitions, pollDefinitions, wireDefinitions } from './definitions.js';
import { loadIncidents, openIncident, pollIncidents, wireIncidents } from './incidents.js';
import { detailHooks, openInstance } from './instance.js';
import { loadInstances, pollInstances, wireInstances } from './instances.js';
import { loadJobs, wireJobs } from './jobs.js';
import { loadRecon, refreshRuns, selectRun, stopRecon, wireRecon } from './recon.js';
import { loadTasks, openTask, pollTasks, wireTasks } from './tasks.js';
import { loadUsers, showUser, wireUsers } from './users.js';

const TABS = ['tasks', 'instances', 'definitions', 'recon', 'users', 'jobs', 'incidents'];
const POLL_MS = 5000;

const LOADERS = {
  tasks: () => guard(loadTasks, '#tasks-status'),
  instances: () => guard(loadInstances, '#instances-status'),
  definitions: () => guard(loadDefinitions, '#definitions-status'),
  recon: () => guard(() => loadRecon(), '#recon-status'),
  users: () => guard(loadUsers, '#users-status'),
  jobs: () => guard(loadJobs, '#jobs-status'),
  incidents: () => guard(loadIncidents, '#incidents-status'),
};

/** Live updates of the visible tab (conditional GETs: an unchanged page costs a 304). */
const POLLERS = {
  tasks: pollTasks,
  instances: pollInstances,
  incidents: pollIncidents,
  recon: refreshRuns,
  definitions: pollDefinitions,
};

/** Deep links to one object: its tab, and what opens it there. */
const OBJECTS = {
  instance: ['instances', (id) => openInstance(id)],
  task: ['tasks', (id) => openTask(id)],
  run: ['recon', (id) => selectRun(id)],
  user: ['users', (id) => showUser(id)],
  incident: ['incidents', (id) => openIncident(id)],
};

let pollTimer = null;
let polling = false;

async function init() {
  hooks.signedOut = showSignIn;
  detailHooks.changed = () => LOADERS[state.tab]?.();
  $('#signin-form').addEventListener('submit', async (e) => {
    await submitSignIn(e, enter);
    // A refused sign-in: the password field (emptied) takes focus, next to the message.
    if (!$('#signin-error').hidden) $('#signin-password').focus();
  });
  $('#sign-out').addEventListener('click', onSignOut);
  for (const b of document.querySelectorAll('[role="tab"]')) {
    b.addEventListener('click', () => selectTab(b.dataset.tab));
    b.addEventListener('keydown', onTabKey);
  }
  wireTasks();
  wireInstances();
  wireDefinitions();
  wireRecon();
  wireUsers();
  wireJobs();
  wireIncidents();
  $('#diagram-close').addEventListener('click', () => $('#detail-dialog').close());
  window.addEventListener('hashchange', () => { if (state.session && api.isAdmin(state.session)) route(); });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') poll(); });
  try {
    const s = await api.currentSession();
    if (s) await enter(s, { focus: false });
    else showSignIn();
  } catch (e) {
    status($('#page-status'), api.errorMessage(e), 'error');
  }
}

function showSignIn(message) {
  state.session = null;
  stopPolling();
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  for (const id of ['#whoami', '#console', '#not-admin']) show($(id), false);
  show($('#signin-section'));
  status($('#signin-error'), message || '', 'error');
  $('#signin-username').focus();
}

async function enter(session, { focus = true } = {}) {
  state.session = session;
  $('#whoami-name').textContent = session.authenticationId;
  show($('#whoami'));
  show($('#signin-section'), false);
  status($('#page-status'), '');
  if (!api.isAdmin(session)) {
    $('#not-admin-name').textContent = session.authenticationId;
    show($('#not-admin'));
    $('#not-admin h2').setAttribute('tabindex', '-1');
    $('#not-admin h2').focus();
    return;
  }
  show($('#console'));
  state.tab = null;
  // The address (a deep link typed before signing in) survives the sign-in form.
  await route({ focus });
  startPolling();
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

// ---------- tabs and deep links ----------

/** "#tasks", "#/tasks" or "#/instance/12". */
function parseHash() {
  const m = /^#\/?([a-z]+)(?:\/(.+))?$/.exec(location.hash);
  if (!m) return { tab: 'tasks' };
  if (TABS.includes(m[1])) return { tab: m[1] };
  if (OBJECTS[m[1]] && m[2]) return { tab: OBJECTS[m[1]][0], open: () => OBJECTS[m[1]][1](decodeURIComponent(m[2])) };
  return { tab: 'tasks' };
}

async function route({ focus = false } = {}) {
  const { tab, open } = parseHash();
  const dlg = $('#detail-dialog');
  if (!open && dlg.open) dlg.close();
  // The tab is shown (and focused) at once; its rows follow.
  const loading = selectTab(tab, { keepHash: !!open });
  if (!open && focus) $(`#tab-${tab}`).focus();
  await loading;
  if (open) await guard(open, `#${tab}-status`);
}

async function selectTab(tab, { keepHash = false } = {}) {
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
  if (!keepHash && location.hash !== `#${tab}`) history.replaceState(null, '', `#${tab}`);
  if (tab !== 'recon') stopRecon();
  await LOADERS[tab]();
}

/** Arrow keys move between tabs, as the ARIA tabs pattern expects. */
function onTabKey(e) {
  const i = TABS.indexOf(e.currentTarget.dataset.tab);
  const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : null;
  if (next === null) return;
  e.preventDefault();
  const tab = TABS[(next + TABS.length) % TABS.length];
  $(`#tab-${tab}`).focus();
  selectTab(tab);
}

// ---------- live updates ----------

function startPolling() {
  stopPolling();
  pollTimer = setInterval(poll, POLL_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
  stopRecon();
}

/** One poll of the visible tab; skipped while the page is hidden or a poll is still running. */
async function poll() {
  const fn = POLLERS[state.tab];
  if (!fn || polling || !state.session || document.visibilityState !== 'visible') return;
  polling = true;
  try {
    await guard(fn, `#${state.tab}-status`, { keepStatus: true });
  } finally {
    polling = false;
  }
}

init();
