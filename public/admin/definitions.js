// Definitions tab: every deployed version with its instance counts; deploy a BPMN file, delete an
// unused version.
import * as api from '/api.js';
import { $, busy, fmtDate, h, replace, status } from '/dom.js';
import { cell, confirmAction, guard, linkButton } from './core.js';
import { openDefinition } from './instance.js';

let cache = null;
let listed = null; // the list's answer last rendered, for the live poll
let listedText = null;

/** The deployed definitions, newest version first per key (read again when `force`). */
export async function definitions(force = false) {
  if (!cache || force) {
    const r = await api.getIfChanged('/workflow/processdefinition' + api.qs({ _queryFilter: 'true', _sortKeys: 'key,-version' }));
    cache = (r.body && r.body.result) || [];
    listedText = r.text;
  }
  return cache;
}

/** An EXACT count of a query, reading no rows. */
async function count(path, filter) {
  const r = await api.get(path + api.qs({ _queryFilter: filter, _pageSize: 0, _totalPagedResultsPolicy: 'EXACT', _fields: '_id' }));
  return typeof r.totalPagedResults === 'number' && r.totalPagedResults >= 0 ? r.totalPagedResults : null;
}

export function wireDefinitions() {
  $('#definitions-refresh').addEventListener('click', () => guard(loadDefinitions, '#definitions-status'));
  $('#deploy-form').addEventListener('submit', (e) => { e.preventDefault(); deploy(); });
}

/** Live: a version deployed or deleted elsewhere shows up (counts are read again only then). */
export async function pollDefinitions() {
  const r = await api.getIfChanged('/workflow/processdefinition' + api.qs({ _queryFilter: 'true', _sortKeys: 'key,-version' }));
  if (r.changed && r.text !== listed) await loadDefinitions();
}

export async function loadDefinitions() {
  const defs = await definitions(true);
  listed = listedText;
  const counts = await Promise.all(defs.map(async (d) => {
    const f = `processDefinitionId eq ${api.filterString(d._id)}`;
    const [running, all] = await Promise.all([count('/workflow/processinstance', f), count('/workflow/processinstance/history', f)]);
    return { running, all };
  }));
  const body = $('#definitions-table tbody');
  const rows = defs.map((d, i) => {
    const c = counts[i];
    const unused = c.all === 0;
    return h('tr', { dataset: { testid: 'definition-row', key: d._id, definitionId: d._id, instances: String(c.all ?? '') } },
      cell('Name', linkButton(d.name || d.key, (e) => guard(() => openDefinition(d, e.currentTarget), '#definitions-status'), { 'data-testid': 'definition-open', 'data-focus': 'open' })),
      cell('Key', d.key), cell('Version', String(d.version)),
      cell('Instances', h('span', { 'data-testid': 'definition-count' }, c.all === null ? 'unknown' : `${c.running ?? '?'} running, ${c.all} in all`)),
      cell('Id', h('code', {}, d._id)), cell('Deployed', fmtDate(d.deploymentTime)),
      cell('', unused ? h('button', { type: 'button', class: 'danger', 'data-testid': 'definition-delete', 'aria-label': `Delete ${d.key} version ${d.version}`, onclick: (e) => remove(e.currentTarget, d) }, 'Delete')
        : h('span', { class: 'muted small' }, 'in use')),
    );
  });
  replace(body, rows.length ? rows : h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No process definitions are deployed.')));
}

async function deploy() {
  const file = $('#deploy-file').files[0];
  if (!file) return status($('#definitions-status'), 'Choose a BPMN file to deploy.', 'error');
  await busy($('#deploy-submit'), () => guard(async () => {
    const before = new Set((await definitions()).map((x) => x._id));
    const d = await api.upload('/workflow/processdefinition' + api.qs({ resourceName: file.name }), file);
    $('#deploy-form').reset();
    await loadDefinitions();
    // The server answers the existing version for a file identical to it: nothing new was deployed.
    status($('#definitions-status'), before.has(d._id) ? `Not deployed: the file is identical to ${d.key} version ${d.version} (${d._id}), which is deployed already.`
      : `Deployed ${d.key} version ${d.version} (${d._id}).`, before.has(d._id) ? 'warn' : 'ok');
  }, '#definitions-status'));
}

async function remove(button, d) {
  if (!(await confirmAction(`Delete ${d.key} version ${d.version} (${d._id})? No instance uses it.`, { ok: 'Delete version' }))) return;
  await busy(button, () => guard(async () => {
    await api.del(`/workflow/processdefinition/${encodeURIComponent(d._id)}`);
    await loadDefinitions();
    status($('#definitions-status'), `Deleted ${d.key} version ${d.version}.`, 'ok');
    $('#definitions-refresh').focus();
  }, '#definitions-status'));
}
