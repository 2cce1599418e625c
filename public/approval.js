// The inbox's "this is the user that will be created" panel: the snapshot an approval is bound to
// (task.approval), rendered as text only; an approval of another action (delete, unlink, update…)
// says what approving does to which target. Roles stand out, administrator roles most of all,
// because they are what an approver most needs to see before saying yes.
import { approvalRoles, isAdminRole } from '/api.js';
import { fmtDate, h } from '/dom.js';

const LABELS = {
  _id: 'Id', userName: 'User name', givenName: 'Given name', sn: 'Surname', displayName: 'Display name',
  mail: 'Mail', telephoneNumber: 'Telephone', description: 'Description', accountStatus: 'Status',
  authzRoles: 'Authorization roles', roles: 'Roles',
};
/** Shown first, in this order; any other mapped attribute follows in the snapshot's order. */
const ORDER = ['_id', 'userName', 'givenName', 'sn', 'displayName', 'mail', 'telephoneNumber', 'description', 'accountStatus'];
const ROLE_KEYS = new Set(['authzRoles', 'roles']);

const shortRole = (ref) => String(ref).replace(/^internal\/role\//, '');

export function roleBadge(ref) {
  const admin = isAdminRole(ref);
  return h('li', { class: admin ? 'role-badge role-admin' : 'role-badge', title: ref, dataset: { testid: 'approval-role', role: ref, admin: admin ? 'true' : 'false' } },
    admin ? h('span', { class: 'role-flag', 'data-testid': 'admin-flag' }, 'Administrator') : null,
    h('span', { class: 'role-name' }, shortRole(ref)));
}

function valueText(v) {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function attributeRows(target) {
  const keys = [...ORDER.filter((k) => k in target), ...Object.keys(target).filter((k) => !ORDER.includes(k) && !ROLE_KEYS.has(k))];
  return keys.flatMap((k) => {
    const text = valueText(target[k]);
    return [
      h('dt', {}, LABELS[k] || k),
      h('dd', { dataset: { testid: 'approval-attr', attr: k } }, text === null ? h('span', { class: 'muted' }, '(empty)') : text),
    ];
  });
}

/** "mail: a@example.com → b@example.com" for each attribute that differs between an earlier request's target and this one. */
export function targetChanges(before, now) {
  if (!before || typeof before !== 'object' || !now || typeof now !== 'object') return [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])];
  return keys.flatMap((k) => {
    const a = valueText(before[k]);
    const b = valueText(now[k]);
    return a === b ? [] : [{ key: k, before: a, after: b }];
  });
}

function decisionLine(d, target) {
  const who = d.decidedBy ? ` by ${d.decidedBy}` : '';
  const when = d.decidedAt ? ` on ${fmtDate(d.decidedAt)}` : '';
  const outcome = d.outcome ? ` — ${d.outcome}${d.outcomeMessage ? `: ${d.outcomeMessage}` : ''}` : '';
  // Only the newer shape (approval.earlier) carries the earlier request's target; without it, no changes can be named.
  const changes = d.target && typeof d.target === 'object' ? targetChanges(d.target, target) : null;
  return h('li', { dataset: { testid: 'earlier-decision', decision: d.decision || '', instanceId: d.processInstanceId || '' } },
    `${d.decision || 'undecided'}${who}${when}${outcome}`,
    d.comment ? h('q', { class: 'comment', 'data-testid': 'earlier-comment' }, d.comment) : null,
    changes === null ? null
      : changes.length
        ? h('ul', { class: 'changes', 'data-testid': 'earlier-changes', 'aria-label': 'Changes since that request' },
          changes.map((c) => h('li', { dataset: { attr: c.key } }, `${LABELS[c.key] || c.key}: ${c.before ?? '(empty)'} → ${c.after ?? '(empty)'}`)))
        : h('p', { class: 'muted small', 'data-testid': 'earlier-changes' }, 'Nothing changed since that request.'));
}

/** Earlier decisions on the same row: approval.earlier (newest first, with comments and targets) or the older earlierDecisions. */
function earlierOf(approval) {
  if (Array.isArray(approval.earlier)) return approval.earlier;
  return Array.isArray(approval.earlierDecisions) ? approval.earlierDecisions : [];
}

function earlierList(approval, title) {
  const earlier = earlierOf(approval);
  if (!earlier.length) return null;
  const target = approval.target && typeof approval.target === 'object' ? approval.target : {};
  return [h('h4', {}, title), h('ul', { class: 'decisions', 'data-testid': 'earlier-decisions' }, earlier.map((d) => decisionLine(d, target)))];
}

/** What approving does, for an approval of another action than CREATE (issue 16): heading and explanation. */
const ACTION_TEXT = {
  UPDATE: ['This is what the user will be updated with', 'Approving links the source row to this user and writes these values'],
  LINK: ['This is the user the source row will be linked to', 'Approving links the source row to this user; nothing else changes'],
  DELETE: ['This is the user that will be deleted', 'Approving deletes this user and its link'],
  UNLINK: ['This is the user that will be unlinked', 'Approving removes the link between this user and its source row; the user stays'],
};

function actionPanel(approval) {
  const target = approval.target && typeof approval.target === 'object' ? approval.target : null;
  const [title, what] = ACTION_TEXT[approval.action] || [`Approving performs ${approval.action}`, `Approving performs ${approval.action}`];
  return [
    h('h3', { id: 'approval-title', dataset: { testid: 'approval-action', action: approval.action } }, title),
    h('p', { class: 'muted small' },
      what, approval.targetId ? ` (managed/user/${approval.targetId})` : '',
      approval.situation ? `; situation ${approval.situation}` : '',
      approval.sourceId ? `, source row ${approval.sourceId}` : ', no source row', approval.mapping ? ` (mapping ${approval.mapping}${approval.linkQualifier ? `, link qualifier ${approval.linkQualifier}` : ''})` : '',
      '. If the situation has changed when the approval is carried out, nothing is done and the failure is shown as an incident.'),
    target ? h('dl', { class: 'meta', 'data-testid': 'approval-attrs' }, attributeRows(target)) : h('p', { class: 'muted' }, 'No target.'),
    earlierList(approval, 'Earlier decisions'),
  ];
}

/** The panel's content for a task's approval, or null when the task has none. */
export function approvalPanel(approval) {
  if (!approval || typeof approval !== 'object') return null;
  if (approval.action && approval.action !== 'CREATE') return actionPanel(approval);
  const target = approval.target && typeof approval.target === 'object' ? approval.target : {};
  const roles = approvalRoles(approval);
  const admins = roles.filter(isAdminRole);
  return [
    h('h3', { id: 'approval-title' }, 'This is the user that will be created'),
    h('p', { class: 'muted small' },
      'Approving creates exactly this account, as it was mapped when the request was made',
      approval.sourceId ? ` from source row ${approval.sourceId}` : '', approval.mapping ? ` (mapping ${approval.mapping}${approval.linkQualifier ? `, link qualifier ${approval.linkQualifier}` : ''})` : '',
      '. If the source row changes before the account is created, nothing is created and a new request is made.'),
    admins.length
      ? h('p', { class: 'admin-warning', role: 'note', 'data-testid': 'admin-warning' },
        `Administrator access: this account gets ${admins.map(shortRole).join(', ')}, which controls configuration, users and workflows.`)
      : null,
    h('dl', { class: 'meta', 'data-testid': 'approval-attrs' }, attributeRows(target)),
    h('h4', {}, 'Roles'),
    roles.length
      ? h('ul', { class: 'roles', 'data-testid': 'approval-roles', 'aria-label': 'Roles the account gets' }, roles.map(roleBadge))
      : h('p', { class: 'muted', 'data-testid': 'approval-roles' }, 'No roles.'),
    earlierList(approval, 'Earlier decisions on this row'),
  ];
}
