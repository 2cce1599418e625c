// Reconciliation tab: mappings with "Reconcile now", runs (newest first) with live progress and
// Cancel, and a per-situation drill-down into the run's audit entries.
// The runs are paged by the server (GET /openidm/recon as a CREST query, newest first, with a total).
import * as api from '/api.js';
import { $, busy, fmtDate, h, replace, show, status } from '/dom.js';
import { cell, confirmAction, guard, linkButton, PagedTable, state } from './core.js';
import { openDetail } from './instance.js';

const SITUATIONS = ['CONFIRMED', 'FOUND', 'FOUND_ALREADY_LINKED', 'ABSENT', 'UNQUALIFIED', 'AMBIGUOUS', 'MISSING', 'SOURCE_IGNORED', 'UNASSIGNED', 'SOURCE_MISSING', 'TARGET_IGNORED'];
const DEFAULT_MAPPING = 'systemCsvfileAccounts_managedUser';

const recon = { selected: null, text: '', fastTimer: null, table: null, selectedRun: null };

function runsTable() {
  recon.table ??= new PagedTable({
    name: 'runs', label: 'Runs', path: '/recon', sortKeys: '-started', statusSel: '#recon-status',
    columns: [{ label: 'Started', sort: 'started', desc: true }, { label: 'Mapping', sort: 'mapping' }, { label: 'State', sort: 'state' }, { label: 'Duration' }],
    row: runRow,
    empty: 'No reconciliation has run yet.',
  });
  return recon.table;
}

export function wireRecon() {
  $('#recon-refresh').addEventListener('click', () => guard(async () => {
    await runsTable().load();
    await refreshRuns();
  }, '#recon-status'));
}

export async function loadRecon(runId) {
  if (runId) recon.selected = runId;
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
    h('button', { type: 'button', class: 'primary', 'data-testid': 'recon-now', dataset: { mapping: m.name }, 'aria-label': `Reconcile now: ${m.name}`, onclick: (e) => reconcileNow(e.currentTarget, m.name) }, 'Reconcile now'),
  )));
  if (!mappings.length) replace($('#mappings'), h('li', { class: 'muted' }, 'No mappings are configured.'));
}

async function reconcileNow(button, mapping) {
  await busy(button, () => guard(async () => {
    const run = await api.post('/recon' + api.qs({ _action: 'recon', mapping }));
    recon.selected = run._id;
    status($('#recon-status'), `Reconciliation ${run._id} started.`, 'ok');
    // The new run is the newest: show the first page, where it is.
    runsTable().pager.reset();
    await runsTable().load();
    await refreshRuns();
  }, '#recon-status'));
}

/**
 * Reads the current page of runs (first time) or polls it (If-None-Match), and the selected run;
 * re-renders only what changed, so focus and scroll stay where they are.
 */
export async function refreshRuns() {
  const t = runsTable();
  if (!t.loaded) {
    await t.load();
    t.loaded = true;
  } else await t.poll();
  const rows = t.rows;
  if (!recon.selected && rows.length) {
    recon.selected = rows[0]._id;
    t.render();
  }
  let selected = rows.find((x) => x._id === recon.selected);
  // The selected run may be on another page (or a deep link): read it alone.
  if (!selected && recon.selected) selected = await api.get(`/recon/${encodeURIComponent(recon.selected)}`);
  recon.selectedRun = selected || null;
  const text = JSON.stringify(selected || null) + recon.selected;
  if (text !== recon.text) {
    recon.text = text;
    const active = document.activeElement;
    const focus = active && active.dataset ? active.dataset.focusId : null;
    renderRun(selected);
    if (focus && !document.activeElement?.isConnected) document.querySelector(`[data-focus-id="${focus}"]`)?.focus({ preventScroll: true });
    else if (focus && document.activeElement === document.body) document.querySelector(`[data-focus-id="${focus}"]`)?.focus({ preventScroll: true });
  }
  scheduleFast();
}

function runRow(r) {
  return h('tr', { dataset: { testid: 'recon-run', key: r._id, runId: r._id, state: r.state }, class: r._id === recon.selected ? 'selected' : null },
    cell('Started', linkButton([fmtDate(r.started), h('span', { class: 'sr-only' }, ` run ${r._id}`)], () => selectRun(r._id), { 'data-focus': 'open', 'data-focus-id': `run-${r._id}`, 'aria-current': r._id === recon.selected ? 'true' : null })),
    cell('Mapping', r.mapping), cell('State', h('span', { class: `badge state-${String(r.state).toLowerCase()}` }, r.state)), cell('Duration', duration(r.duration)),
  );
}

/** Shows a run (deep link #/run/<id>). */
export async function selectRun(id) {
  recon.selected = id;
  if (location.hash !== `#/run/${id}`) history.replaceState(null, '', `#/run/${id}`);
  if (recon.table?.loaded) recon.table.render();
  await guard(refreshRuns, '#recon-status');
  $('#recon-detail h2')?.focus();
}

const duration = (ms) => (typeof ms === 'number' ? (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`) : '');

function renderRun(run) {
  const box = $('#recon-detail');
  if (!run) return show(box, false);
  show(box);
  box.dataset.runId = run._id;
  box.dataset.state = run.state;
  const active = run.state === 'ACTIVE';
  replace(box,
    h('h2', { tabindex: '-1' }, `Run ${run.mapping}`),
    h('dl', { class: 'meta' },
      h('dt', {}, 'Id'), h('dd', {}, run._id),
      h('dt', {}, 'State'), h('dd', { 'data-testid': 'recon-state' }, run.state),
      h('dt', {}, 'Stage'), h('dd', {}, run.stageDescription || run.stage),
      h('dt', {}, 'Started'), h('dd', {}, fmtDate(run.started)),
      run.ended ? [h('dt', {}, 'Ended'), h('dd', {}, fmtDate(run.ended))] : null,
      h('dt', {}, 'Duration'), h('dd', {}, duration(run.duration)),
      run.message ? [h('dt', {}, 'Message'), h('dd', { class: run.state === 'FAILED' ? 'error-text' : '' }, run.message)] : null,
    ),
    active ? h('button', { type: 'button', class: 'danger', 'data-testid': 'recon-cancel', 'data-focus-id': 'recon-cancel', onclick: (e) => cancelRun(e.currentTarget, run) }, 'Cancel run') : null,
    progressBars(run.progress, active),
    h('h3', {}, 'Situations'),
    h('p', { class: 'muted small' }, 'Choose a situation to list its entries.'),
    situationChart(run),
    statusLine(run.statusSummary),
  );
}

async function cancelRun(button, run) {
  if (!(await confirmAction(`Cancel reconciliation ${run._id} of ${run.mapping}? What it has done so far stays done.`, { ok: 'Cancel run' }))) return;
  await busy(button, () => guard(async () => {
    const r = await api.post(`/recon/${encodeURIComponent(run._id)}?_action=cancel`);
    recon.text = '';
    await runsTable().load();
    await refreshRuns();
    // The server answers SUCCESS also for a run that had already ended: say which happened.
    status($('#recon-status'), r.state === 'CANCELED' ? `Reconciliation ${run._id} canceled.` : `Reconciliation ${run._id} had already ended (${r.state}); nothing was canceled.`, r.state === 'CANCELED' ? 'ok' : 'warn');
    $('#recon-detail h2')?.focus();
  }, '#recon-status'));
}

function progressBars(progress, active) {
  if (!progress) return null;
  const line = (label, p) => {
    if (!p) return null;
    const done = p.processed ?? 0;
    // OpenIDM sends totals as strings: a count, or "?" while unknown.
    const total = /^\d+$/.test(String(p.total)) ? Number(p.total) : null;
    const bar = total !== null ? h('progress', { max: total || 1, value: Math.min(done, total), 'aria-label': `${label} progress` })
      : active ? h('progress', { 'aria-label': `${label} progress` }) : h('progress', { max: done || 1, value: done || 1, 'aria-label': `${label} progress` });
    return h('div', { class: 'progress-line' }, h('span', {}, `${label}: ${done} of ${total ?? '?'}`), bar);
  };
  return h('div', { class: 'progress', 'data-testid': 'recon-progress' },
    line('Source', progress.source?.existing),
    line('Target', progress.target?.existing),
    line('Links', progress.links?.existing),
    h('p', { class: 'muted small' }, `Created: ${progress.target?.created ?? 0} targets, ${progress.links?.created ?? 0} links`));
}

/** A bar per situation; each opens that situation's audit entries. */
function situationChart(run) {
  const summary = run.situationSummary || {};
  const keys = [...SITUATIONS.filter((s) => s in summary), ...Object.keys(summary).filter((s) => !SITUATIONS.includes(s))];
  const max = Math.max(1, ...keys.map((k) => Number(summary[k]) || 0));
  const bars = keys.map((k) => {
    const n = Number(summary[k]) || 0;
    const fill = h('div', { class: 'bar-fill' });
    fill.style.width = `${(n / max) * 100}%`;
    const label = n ? linkButton(k, (e) => guard(() => openSituation(run, k, e.currentTarget), '#recon-status'), { 'data-testid': 'situation-open', 'data-focus-id': `situation-${k}`, 'aria-label': `${k}: ${n} entries` }) : h('span', {}, k);
    return h('li', { class: 'bar', dataset: { testid: 'situation-bar', situation: k, count: String(n) } },
      h('span', { class: 'bar-label' }, label), h('div', { class: 'bar-track', 'aria-hidden': 'true' }, fill), h('span', { class: 'bar-count' }, String(n)));
  });
  return h('ul', { class: 'chart', id: 'situation-chart', 'data-testid': 'situation-chart', 'aria-label': 'Situation summary' },
    bars.length ? bars : h('li', { class: 'muted' }, 'No situations yet.'));
}

function statusLine(s) {
  if (!s) return null;
  return h('p', { class: s.FAILURE ? 'error-text' : 'muted small', 'data-testid': 'recon-statuses' }, `Status: ${s.SUCCESS ?? 0} succeeded, ${s.FAILURE ?? 0} failed`);
}

/** The run's audit entries in one situation, paged by the server, in the detail dialog. */
async function openSituation(run, situation, opener) {
  await openDetail({
    title: `${situation} in run ${run.mapping}`,
    testid: 'situation',
    opener,
    openerSelector: `[data-focus-id="situation-${situation}"]`,
    meta: [['Run', run._id], ['Situation', situation], ['Entries', String(run.situationSummary?.[situation] ?? '')]],
    body: [
      h('p', { id: 'audit-status', class: 'status', role: 'status', hidden: true }),
      h('div', { class: 'table-scroll' }, h('table', { class: 'grid stack', id: 'audit-table', 'data-testid': 'audit-table' }, h('caption', { class: 'sr-only' }, `${situation} entries`), h('thead'), h('tbody'))),
      h('div', { id: 'audit-pager', class: 'pager' }),
    ],
  });
  const filter = `reconId eq ${api.filterString(run._id)} and situation eq ${api.filterString(situation)}`;
  const t = new PagedTable({
    name: 'audit', label: `${situation} entries`, path: '/audit/recon', sortKeys: 'sourceObjectId', filter: () => filter, statusSel: '#audit-status',
    columns: [{ label: 'Source', sort: 'sourceObjectId' }, { label: 'Target', sort: 'targetObjectId' }, { label: 'Action', sort: 'action' }, { label: 'Status', sort: 'status' }, { label: 'Message' }],
    row: (e) => h('tr', { dataset: { testid: 'audit-row', key: e._id, sourceId: e.sourceObjectId || '' } },
      cell('Source', e.sourceObjectId || ''), cell('Target', e.targetObjectId || ''), cell('Action', e.action || ''),
      cell('Status', h('span', { class: e.status === 'FAILURE' ? 'badge state-failed' : 'badge' }, e.status || '')),
      cell('Message', e.message ? h('span', { class: e.status === 'FAILURE' ? 'error-text' : '' }, e.message) : '')),
    empty: 'No entries.',
  });
  await guard(() => t.load(), '#audit-status');
}

/** While a run is active, poll every second (besides the console's 5 s poll). */
function scheduleFast() {
  clearTimeout(recon.fastTimer);
  if (state.tab !== 'recon' || !state.session) return;
  const active = (recon.table?.rows || []).some((r) => r.state === 'ACTIVE') || recon.selectedRun?.state === 'ACTIVE';
  if (active) recon.fastTimer = setTimeout(() => guard(refreshRuns, '#recon-status', { keepStatus: true }), 1000);
}

export function stopRecon() {
  clearTimeout(recon.fastTimer);
}
