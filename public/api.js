// Fetch wrapper for the OpenIDM REST API: same-origin cookie session, CSRF header on unsafe
// requests, CREST errors ({code, reason, message}) turned into ApiError with a readable message.
// The CSRF token lives in this module only (never in storage); a reload fetches it again.

const BASE = '/openidm';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, body) {
    super(messageFor(status, body));
    this.name = 'ApiError';
    this.status = status;
    this.reason = body && typeof body === 'object' ? body.reason : undefined;
    this.detail = body && typeof body === 'object' ? body.detail : undefined;
  }
}

function messageFor(status, body) {
  // IDM's policy refusal says only "Failed policy validation"; the properties are in detail.
  const failed = body && typeof body === 'object' && body.detail && Array.isArray(body.detail.failedPolicyRequirements) ? body.detail.failedPolicyRequirements : null;
  if (failed && failed.length && typeof body.message === 'string') {
    return `${body.message}: ${failed.map((f) => `${f.property} ${(f.policyRequirements || []).map((r) => (r && r.policyRequirement) || String(r)).join(', ')}`).join('; ')}`;
  }
  if (body && typeof body === 'object' && typeof body.message === 'string' && body.message) return body.message;
  if (status === 0) return 'The server cannot be reached';
  return `Request failed (${status}${body && body.reason ? ' ' + body.reason : ''})`;
}

/** Builds a query string from an object, skipping undefined and empty values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** A string literal for _queryFilter: double-quoted, with quotes and backslashes escaped. */
export function filterString(s) {
  return `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** One REST call; `path` is relative to /openidm. Resolves to the parsed JSON body. */
export async function request(method, path, body) {
  // X-Requested-With marks a script's request: the server then leaves out WWW-Authenticate on
  // 401, which would otherwise make the browser pop up its own Basic sign-in dialog.
  const headers = { Accept: 'application/json', 'Accept-API-Version': 'resource=1.0', 'X-Requested-With': 'XMLHttpRequest' };
  if (!SAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, null);
  }
  return (await bodyOf(res)).parsed;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body ?? {});
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);

/** The current session, or null when signed out. */
export async function currentSession() {
  try {
    const s = await get('/authentication');
    csrfToken = s.csrfToken;
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function signIn(username, password) {
  csrfToken = null;
  const s = await post('/authentication?_action=login', { username, password });
  csrfToken = s.csrfToken;
  return s;
}

export async function signOut() {
  try {
    await post('/authentication?_action=logout');
  } finally {
    csrfToken = null;
  }
}

export const isAdmin = (session) => !!session && Array.isArray(session.roles) && session.roles.includes('openidm-admin');

/** A message for any thrown value, for display. */
export function errorMessage(e) {
  if (e instanceof ApiError) return e.message;
  return e && e.message ? e.message : String(e);
}

/** What a sign-in form shows for a failed attempt. */
export function signInError(err) {
  return err instanceof ApiError && err.status === 401 ? 'Wrong user name or password.' : errorMessage(err);
}

// ---------- approvals (the snapshot an approver decides on, and what came of it) ----------

/** A role reference as text: "internal/role/openidm-admin" from a string or a {_ref} object. */
export const roleRef = (r) => (typeof r === 'string' ? r : r && typeof r._ref === 'string' ? r._ref : '');

/** Administrator roles: whoever holds one controls configuration, users and workflows. */
export const isAdminRole = (ref) => /(^|\/)openidm-admin$/.test(String(ref));

/** Every role an approval grants: approval.roles plus any _ref in target.authzRoles/roles, deduplicated. */
export function approvalRoles(approval) {
  const t = (approval && approval.target) || {};
  const refs = [...(approval.roles || []), ...[t.authzRoles, t.roles].flatMap((x) => (Array.isArray(x) ? x.map(roleRef) : []))];
  return [...new Set(refs.filter(Boolean))];
}

/**
 * What a decision came to, for the inbox and the console: { text, kind, final }.
 * `approved` is what the approver chose; `history` is GET …/processinstance/history/{id} (or null
 * when it could not be read). Only a created outcome is reported as a success: pending, superseded
 * and failed say so, and a missing record never reads as "created".
 */
export function decisionOutcome(approved, history) {
  if (!approved) return { text: 'denied', kind: 'ok', final: true };
  const a = history && history.approval;
  if (!history) return { text: 'approved — the outcome could not be read yet', kind: 'warn', final: false };
  // A server without approval records (no "approval" key) cannot say whether an account was made.
  if (a === undefined) return { text: 'approved — whether an account was created is not reported', kind: 'warn', final: true };
  if (!a) return { text: 'approved', kind: 'ok', final: true }; // null: not an account approval, nothing else to follow
  // Another action than CREATE (issue 16): performed, failed (an incident) or still running.
  if (a.action && a.action !== 'CREATE') {
    if (a.outcome === 'performed') return { text: `approved — ${a.outcomeMessage || `${a.action} performed`}`, kind: 'ok', final: true };
    if (a.outcome === 'failed') return { text: `approved — ${a.action} not performed: ${a.outcomeMessage || 'no reason was recorded'}`, kind: 'error', final: true };
    return { text: `approved — performing ${a.action}…`, kind: 'info', final: false };
  }
  switch (a.outcome) {
    case 'created':
      return { text: 'approved — account created', kind: 'ok', final: true };
    case 'superseded':
      return { text: 'approved — not created: the source row changed since the request (superseded)', kind: 'warn', final: true };
    case 'failed':
      return { text: `approved — the account could not be created: ${a.outcomeMessage || 'no reason was recorded'}`, kind: 'error', final: true };
    default:
      // "pending", or null right after the decision: the createUser step has not finished.
      return { text: 'approved — creating the account…', kind: 'info', final: false };
  }
}

/** Backoff between outcome polls (ms): bounded, about 16 s in all. */
export const OUTCOME_POLL_DELAYS = [250, 500, 1000, 2000, 4000, 8000];

/**
 * Follows an approved instance until its outcome is final or the polls run out; calls
 * onUpdate(outcome) after each read. Resolves to the last outcome. A 401 is rethrown.
 */
export async function followOutcome(processInstanceId, approved, onUpdate, delays = OUTCOME_POLL_DELAYS) {
  const read = async () => {
    try {
      return await get(`/workflow/processinstance/history/${encodeURIComponent(processInstanceId)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) throw e;
      return null;
    }
  };
  let out = decisionOutcome(approved, approved ? await read() : null);
  onUpdate(out);
  for (const ms of delays) {
    if (out.final) break;
    await new Promise((r) => setTimeout(r, ms));
    out = decisionOutcome(approved, await read());
    onUpdate(out);
  }
  return out;
}

// ---------- polling and uploads ----------

/** Parses a response's JSON body (null when empty or not JSON); throws ApiError when not ok. */
async function bodyOf(res) {
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return { parsed, text };
}

/**
 * A conditional GET for polling: sends If-None-Match when an ETag is known. Resolves to
 * { changed: false } on 304, else { changed: true, body, etag, text } (etag null when the server
 * sends none; callers then compare `text`).
 */
export async function getIfChanged(path, etag) {
  const headers = { Accept: 'application/json', 'Accept-API-Version': 'resource=1.0', 'X-Requested-With': 'XMLHttpRequest' };
  if (etag) headers['If-None-Match'] = etag;
  let res;
  try {
    res = await fetch(BASE + path, { method: 'GET', headers, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, null);
  }
  if (res.status === 304) return { changed: false };
  const { parsed, text } = await bodyOf(res);
  return { changed: true, body: parsed, etag: res.headers.get('ETag'), text };
}

/** Uploads a file as the raw request body (a BPMN deployment): POST with the file's own type. */
export async function upload(path, file, type = 'application/xml') {
  const headers = { Accept: 'application/json', 'Accept-API-Version': 'resource=1.0', 'X-Requested-With': 'XMLHttpRequest', 'Content-Type': type };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(BASE + path, { method: 'POST', headers, body: file, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, null);
  }
  return (await bodyOf(res)).parsed;
}

// ---------- bulk completion by query (GET/POST …/workflow/bulk) ----------

/** Completes every task matching `filter` with `values` on the server; resolves to the bulk operation {_id, state, total, processed, succeeded, failed}. */
export const completeMatching = (filter, values) => post(`/workflow/taskinstance${qs({ _action: 'complete', _queryFilter: filter })}`, values);

/** One bulk operation: the same shape plus failures [{taskId, message}] and error. */
export const readBulk = (id) => get(`/workflow/bulk/${encodeURIComponent(id)}`);

export const cancelBulk = (id) => post(`/workflow/bulk/${encodeURIComponent(id)}?_action=cancel`);

/** A display name for an approval's target (the user it creates): displayName, else given name and surname, else the user name. */
export function personName(target) {
  if (!target || typeof target !== 'object') return '';
  const s = (v) => (typeof v === 'string' ? v.trim() : '');
  return s(target.displayName) || [s(target.givenName), s(target.sn)].filter(Boolean).join(' ') || s(target.userName);
}
