// Process instances tab: running or all (history), newest first, paged by the server.
import * as api from '/api.js';
import { $, fmtDate, h } from '/dom.js';
import { cell, guard, linkButton, none, PagedTable, shortKey } from './core.js';
import { openInstance } from './instance.js';

const tables = {};

function filter() {
  const text = $('#instances-search').value.trim();
  if (!text) return 'true';
  const s = api.filterString(text);
  return `businessKey co ${s} or processDefinitionId co ${s} or processVariables/sourceId co ${s}`;
}

/** One table per scope, as each has its own path, page and sort. */
function table() {
  const scope = $('#instances-scope').value === 'history' ? 'history' : 'active';
  tables[scope] ??= new PagedTable({
    name: 'instances',
    label: scope === 'history' ? 'All instances' : 'Running instances',
    path: scope === 'history' ? '/workflow/processinstance/history' : '/workflow/processinstance',
    sortKeys: '-processInstanceId',
    filter,
    columns: [
      { label: 'Instance', sort: 'processInstanceId', desc: true }, { label: 'Definition', sort: 'processDefinitionId' },
      { label: 'Business key', sort: 'processInstanceBusinessKey' }, { label: 'Status' },
      { label: 'Started', sort: 'startTime', desc: true }, { label: 'Ended', sort: 'endTime', desc: true }, { label: 'End' },
    ],
    row: instanceRow,
    empty: scope === 'history' ? 'No process instances match.' : 'No running process instances match.',
  });
  return tables[scope];
}

export function wireInstances() {
  $('#instances-scope').addEventListener('change', () => guard(async () => { const t = table(); t.renderHead(); await t.search(); }, '#instances-status'));
  $('#instances-filters').addEventListener('submit', (e) => { e.preventDefault(); guard(() => table().search(), '#instances-status'); });
  $('#instances-refresh').addEventListener('click', () => guard(() => table().load(), '#instances-status'));
}

export async function loadInstances() {
  const t = table();
  t.renderHead();
  await t.load();
}

export const pollInstances = () => table().poll();

function instanceRow(i) {
  const a = i.approval;
  return h('tr', { dataset: { testid: 'instance-row', key: i._id, instanceId: i._id, status: i.status || '' } },
    cell('Instance', linkButton(`#${i._id}`, (e) => guard(() => openInstance(i._id, e.currentTarget), '#instances-status'),
      { 'data-testid': 'instance-open', 'data-focus': 'open', 'aria-label': `Process instance ${i._id}` })),
    cell('Definition', i.processDefinitionId),
    cell('Business key', shortKey(i.businessKey)),
    cell('Status', h('span', { class: `badge state-${i.status}` }, i.status || ''),
      i.status === 'failed' && i.error ? h('div', { class: 'error-text', 'data-testid': 'instance-error' }, i.error) : null,
      a && a.decision ? h('div', { class: 'small' }, a.decision) : null),
    cell('Started', fmtDate(i.startTime)),
    cell('Ended', i.endTime ? fmtDate(i.endTime) : none()),
    cell('End', i.endActivityId || none()),
  );
}
