// Users tab: managed users paged and searched by the server, a user's detail, and a create form.
import * as api from '/api.js';
import { $, busy, h, replace, show, status } from '/dom.js';
import { cell, guard, hooks, linkButton, none, PagedTable } from './core.js';

const USER_FIELDS = 'userName,givenName,sn,displayName,mail,telephoneNumber,description,accountStatus,authzRoles,effectiveRoles';
let table = null;

/** userName starts with, or mail contains, the search text. */
function userFilter() {
  const t = $('#user-search').value.trim();
  if (!t) return 'true';
  const s = api.filterString(t);
  return `userName sw ${s} or mail co ${s}`;
}

function usersTable() {
  // By user name: managed users have no creation time to sort on (ids are not in creation order).
  table ??= new PagedTable({
    name: 'users', label: 'Users', path: '/managed/user', sortKeys: 'userName', filter: userFilter,
    fields: 'userName,givenName,sn,mail,accountStatus',
    columns: [{ label: 'User name', sort: 'userName' }, { label: 'Name', sort: 'sn' }, { label: 'Mail', sort: 'mail' }, { label: 'Status', sort: 'accountStatus' }],
    row: (u) => h('tr', { dataset: { testid: 'user-row', key: u._id, userId: u._id, userName: u.userName || '' } },
      cell('User name', linkButton(u.userName || u._id, (e) => guard(() => showUser(u._id, e.currentTarget), '#users-status'), { 'data-testid': 'user-open', 'data-focus': 'open' })),
      cell('Name', [u.givenName, u.sn].filter(Boolean).join(' ') || none()),
      cell('Mail', u.mail || none()),
      cell('Status', u.accountStatus || none())),
    empty: 'No users match.',
  });
  return table;
}

export function wireUsers() {
  $('#user-search-form').addEventListener('submit', (e) => { e.preventDefault(); guard(() => usersTable().search(), '#users-status'); });
  $('#users-refresh').addEventListener('click', () => guard(() => usersTable().load(), '#users-status'));
  $('#user-create-form').addEventListener('submit', onCreateUser);
}

export const loadUsers = () => usersTable().load();

/** A user's detail (deep link #/user/<id>); focus moves to it. */
export async function showUser(id) {
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
  if (location.hash !== `#/user/${u._id}`) history.replaceState(null, '', `#/user/${encodeURIComponent(u._id)}`);
  box.focus();
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
      await guard(() => usersTable().load(), '#users-status');
    } catch (err) {
      if (err instanceof api.ApiError && err.status === 401) return hooks.signedOut('Your session has ended. Please sign in again.');
      status(msg, api.errorMessage(err), 'error');
      $('#new-userName').focus();
    } finally {
      form.elements.password.value = '';
    }
  });
}
