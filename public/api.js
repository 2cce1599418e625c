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
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
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
