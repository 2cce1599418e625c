// Sign-in and sessions: the attempt limit counted in the repository before the password check
// (races, two nodes), unknown users at the cost of known ones, sessions in the repository
// (restart, two nodes, cap, expiry, revocation), cookie flags, password policy, re-authentication
// for one's own password, and scrypt at OWASP's cost with the upgrade of older hashes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Request, Response } from 'express';
import { fingerprintOf, Sessions } from '../../src/auth/sessions';
import { validateAuthentication } from '../../src/config/conf';
import { accountLookup } from '../../src/auth/accounts';
import { startSession } from '../../src/api/sessionCookie';
import { createTestDb, TestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import { request } from '../reliability/harness';

/** One request on its own connection, from a chosen local address (the rate limit counts per address). */
const send = (base: string, method: string, p: string, o: { headers?: Record<string, string>; body?: unknown; from?: string } = {}) =>
  request(base, method, p, { headers: o.headers, body: o.body, localAddress: o.from });

const creds = (u: string, p: string) => ({ 'X-OpenIDM-Username': u, 'X-OpenIDM-Password': p });
const tally = (xs: number[]) => xs.reduce<Record<number, number>>((a, s) => ({ ...a, [s]: (a[s] ?? 0) + 1 }), {});
const MAX_FAILURES = 5; // conf/authentication.json

async function createUser(t: TestServer, id: string, password: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: id, userName: id, sn: id, password, ...extra } });
  expect(r.status).toBe(201);
}

async function login(base: string, username: string, password: string, from?: string): Promise<{ status: number; cookie: string; setCookie: string; csrf: string; body: any }> {
  const r = await send(base, 'POST', '/authentication?_action=login', { body: { username, password }, from });
  const setCookie = String(r.headers['set-cookie'] ?? '');
  return { status: r.status, cookie: setCookie.split(';')[0], setCookie, csrf: r.body?.csrfToken, body: r.body };
}

const session = (base: string, cookie: string) => send(base, 'GET', '/authentication', { headers: { Cookie: cookie } });

describe('sign-in attempts are counted before the password check', () => {
  let db: TestDb;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    db = await createTestDb();
    a = await startTestServer({ db, keepDb: true, workers: false });
    b = await startTestServer({ db, keepDb: true, workers: false });
    await createUser(a, 'racer', 'R4cer-secret');
    await createUser(a, 'racer2', 'R4cer-secret');
    await createUser(a, 'cached', 'C4ched-secret');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.destroy();
  });

  it('100 parallel sign-ins, 99 wrong and then the right one: at most N checked, the rest 429', async () => {
    const checkedBefore = a.server.ctx.authenticator.stats.checked;
    const wrong = Array.from({ length: 99 }, (_, i) => send(a.base, 'GET', '/info/login', { headers: creds('racer', `wrong-${i}`), from: '127.0.0.21' }));
    const right = send(a.base, 'GET', '/info/login', { headers: creds('racer', 'R4cer-secret'), from: '127.0.0.21' });
    const all = await Promise.all([...wrong, right]);
    const statuses = all.map((r) => r.status);
    const counts = tally(statuses);
    const checked = a.server.ctx.authenticator.stats.checked - checkedBefore;
    expect(checked).toBeLessThanOrEqual(MAX_FAILURES);
    expect((counts[401] ?? 0) + (counts[200] ?? 0)).toBeLessThanOrEqual(MAX_FAILURES);
    expect(counts[429]).toBeGreaterThanOrEqual(100 - MAX_FAILURES);
    // The right password passes only if its attempt was one of the first N counted.
    if (statuses[99] === 200) expect(counts[401] ?? 0).toBeLessThan(MAX_FAILURES);
    for (const r of all.filter((x) => x.status === 429)) expect(r.body).toMatchObject({ code: 429, reason: 'Too Many Requests' });
    console.log(`100 parallel guesses: ${JSON.stringify(counts)}, password checks ${checked}`);
  });

  it('the right password arriving while wrong ones are still being checked is refused (429), on either node', async () => {
    const inFlight = Array.from({ length: 40 }, (_, i) => send(i % 2 ? a.base : b.base, 'GET', '/info/login', { headers: creds('racer2', `wrong-${i}`), from: '127.0.0.22' }));
    // As soon as any attempt is refused, the limit is reached: the right one must be refused too.
    await Promise.race(inFlight.map(async (p) => ((await p).status === 429 ? true : new Promise(() => undefined))));
    const rightA = await send(a.base, 'GET', '/info/login', { headers: creds('racer2', 'R4cer-secret'), from: '127.0.0.23' });
    const rightB = await send(b.base, 'GET', '/info/login', { headers: creds('racer2', 'R4cer-secret'), from: '127.0.0.24' });
    const statuses = (await Promise.all(inFlight)).map((r) => r.status);
    expect([rightA.status, rightB.status]).toEqual([429, 429]);
    const checked = statuses.filter((s) => s === 401).length;
    expect(checked).toBeLessThanOrEqual(MAX_FAILURES);
    console.log(`40 parallel guesses over two nodes: ${JSON.stringify(tally(statuses))}; the right password after the first 429: ${rightA.status}, ${rightB.status}`);
  });

  it('a cached right password costs no write, and is no oracle while the user is blocked', async () => {
    expect((await send(a.base, 'GET', '/info/login', { headers: creds('cached', 'C4ched-secret'), from: '127.0.0.25' })).status).toBe(200);
    const snapshot = async () => JSON.stringify(await db.knex('login_attempt').select('*').orderBy('key'));
    const before = await snapshot();
    const checked = a.server.ctx.authenticator.stats.checked;
    for (let i = 0; i < 20; i++) expect((await send(a.base, 'GET', '/info/login', { headers: creds('cached', 'C4ched-secret'), from: '127.0.0.25' })).status).toBe(200);
    expect(a.server.ctx.authenticator.stats.checked).toBe(checked);
    expect(await snapshot()).toBe(before);
    // An attacker guesses from elsewhere; past the limit even the (cached) right password is refused.
    for (let i = 0; i < MAX_FAILURES; i++) expect((await send(a.base, 'GET', '/info/login', { headers: creds('cached', `guess-${i}`), from: '127.0.0.26' })).status).toBe(401);
    expect((await send(a.base, 'GET', '/info/login', { headers: creds('cached', 'guess-x'), from: '127.0.0.26' })).status).toBe(429);
    expect((await send(a.base, 'GET', '/info/login', { headers: creds('cached', 'C4ched-secret'), from: '127.0.0.26' })).status).toBe(429);
    expect((await send(a.base, 'GET', '/info/login', { headers: creds('cached', 'C4ched-secret'), from: '127.0.0.25' })).status).toBe(429);
  });

  it('a client\'s parallel calls with the right password, cache cold, share one check (no 429)', async () => {
    await createUser(a, 'burst', 'Bur5t-secret');
    const checked = a.server.ctx.authenticator.stats.checked;
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => send(a.base, 'GET', '/info/login', { headers: creds('burst', 'Bur5t-secret'), from: '127.0.0.28' })))).map((r) => r.status);
    expect(statuses).toEqual(Array(20).fill(200));
    expect(a.server.ctx.authenticator.stats.checked - checked).toBe(1);
    // The account changes (new rev): the next burst is one check again, not twenty attempts.
    expect((await a.call('PATCH', '/managed/user/burst', { headers: ADMIN, body: [{ operation: 'replace', field: '/sn', value: 'B' }] })).status).toBe(200);
    const again = (await Promise.all(Array.from({ length: 20 }, () => send(a.base, 'GET', '/info/login', { headers: creds('burst', 'Bur5t-secret'), from: '127.0.0.28' })))).map((r) => r.status);
    expect(again).toEqual(Array(20).fill(200));
    expect(a.server.ctx.authenticator.stats.checked - checked).toBe(2);
  });

  it('a right password forgives: the user starts over and the address is not charged', async () => {
    await createUser(a, 'forgiven', 'F0rgiven-secret');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < MAX_FAILURES - 1; i++) expect((await send(a.base, 'GET', '/info/login', { headers: creds('forgiven', `no-${i}`), from: '127.0.0.27' })).status).toBe(401);
      // Round 0 checks the password; later rounds are answered from the cache, and reset the count all the same.
      expect((await send(a.base, 'GET', '/info/login', { headers: creds('forgiven', 'F0rgiven-secret'), from: `127.0.0.${30 + round}` })).status).toBe(200);
      await db.knex('login_attempt').where({ key: 'a:127.0.0.27' }).update({ attempts: 0 });
    }
    const rows = await db.knex('login_attempt').whereIn('key', ['u:forgiven', 'a:127.0.0.30']).select('key', 'attempts');
    expect(Object.fromEntries(rows.map((r: any) => [r.key, Number(r.attempts)]))).toEqual({ 'u:forgiven': 0, 'a:127.0.0.30': 0 });
  });

  it('unknown user names cost a password check like known ones', async () => {
    await createUser(a, 'timed', 'T1med-secret');
    const checked = a.server.ctx.authenticator.stats.checked;
    const time = async (user: string, from: string) => (await send(a.base, 'GET', '/info/login', { headers: creds(user, 'wrong-password'), from })).ms;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await time('timed', `127.0.1.${i}`));
      unknown.push(await time(`nobody-${i}`, `127.0.2.${i}`));
    }
    expect(a.server.ctx.authenticator.stats.checked - checked).toBe(6);
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[1];
    console.log(`wrong password, ms: known user ${JSON.stringify(known)}, unknown user ${JSON.stringify(unknown)}`);
    // Both run scrypt at the same cost; under a shared CPU, only a gross difference counts.
    expect(median(unknown)).toBeGreaterThan(median(known) / 3);
    expect(median(unknown)).toBeGreaterThan(50);
  });
});

describe('sessions live in the repository', () => {
  let db: TestDb;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    db = await createTestDb();
    a = await startTestServer({ db, keepDb: true, workers: false });
    b = await startTestServer({ db, keepDb: true, workers: false });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.destroy();
  });

  it('a session is HttpOnly, SameSite=Strict, not Secure over plain HTTP, and valid on every node', async () => {
    await createUser(a, 'sam', 'S4m-secret');
    const s = await login(a.base, 'sam', 'S4m-secret');
    expect(s.status).toBe(200);
    expect(s.setCookie).toMatch(/HttpOnly/);
    expect(s.setCookie).toMatch(/SameSite=Strict/);
    expect(s.setCookie).not.toMatch(/Secure/);
    expect((await session(a.base, s.cookie)).status).toBe(200);
    const other = await session(b.base, s.cookie);
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ authenticationId: 'sam', id: 'sam', csrfToken: s.csrf });
    // The table holds the token's hash, not the token.
    const token = s.cookie.split('=')[1];
    expect(await db.knex('session').where({ id: token }).first()).toBeUndefined();
    // A state-changing call on the other node needs the CSRF token, and takes it.
    const patch = (headers: Record<string, string>) => send(b.base, 'PATCH', '/managed/user/sam', { headers: { Cookie: s.cookie, ...headers }, body: [{ operation: 'replace', field: '/sn', value: 'S' }] });
    expect((await patch({})).status).toBe(403);
    expect((await patch({ 'X-CSRF-Token': s.csrf })).status).toBe(200);
    // Sign-out ends it on every node.
    expect((await send(b.base, 'POST', '/authentication?_action=logout', { headers: { Cookie: s.cookie } })).status).toBe(200);
    expect((await session(a.base, s.cookie)).status).toBe(401);
  });

  it('marks the cookie Secure when the request came over TLS ("auto"), or always when conf says true', async () => {
    const account = (await accountLookup(db.knex).findById('internal/user', 'openidm-admin'))!;
    const cookieFor = async (secure: boolean, secureCookie: boolean | 'auto') => {
      const sessions = new Sessions(db.knex, accountLookup(db.knex), { maxAgeMinutes: 480, idleMinutes: 30, maxPerUser: 10, secureCookie });
      let header = '';
      const req = { secure, get: () => undefined } as unknown as Request;
      const res = { setHeader: (_: string, v: string) => (header = v) } as unknown as Response;
      await startSession(sessions, req, res, account);
      return header;
    };
    expect(await cookieFor(true, 'auto')).toMatch(/; Secure$/);
    expect(await cookieFor(false, 'auto')).not.toMatch(/Secure/);
    expect(await cookieFor(false, true)).toMatch(/; Secure$/);
    expect(await cookieFor(true, false)).not.toMatch(/Secure/);
  });

  it('is revoked at the next request when the account is disabled, re-roled, re-passworded or deleted', async () => {
    const latency: Record<string, number> = {};
    const cases: [string, (id: string) => Promise<unknown>][] = [
      ['disabled', (id) => a.call('PATCH', `/managed/user/${id}`, { headers: ADMIN, body: [{ operation: 'replace', field: '/accountStatus', value: 'inactive' }] })],
      ['roles changed', (id) => a.call('PATCH', `/managed/user/${id}`, { headers: ADMIN, body: [{ operation: 'replace', field: '/authzRoles', value: [{ _ref: 'internal/role/openidm-admin' }] }] })],
      ['password changed', (id) => a.call('PATCH', `/managed/user/${id}`, { headers: ADMIN, body: [{ operation: 'replace', field: '/password', value: 'N3w-secret!' }] })],
      ['deleted', (id) => a.call('DELETE', `/managed/user/${id}`, { headers: ADMIN })],
    ];
    for (const [what, change] of cases) {
      const id = `rev-${what.replace(/ /g, '-')}`;
      await createUser(a, id, 'R3voke-secret', { accountStatus: 'active' });
      const s = await login(a.base, id, 'R3voke-secret');
      expect((await session(b.base, s.cookie)).status).toBe(200);
      const changed = (await change(id)) as { status: number };
      expect(changed.status).toBe(200);
      const started = Date.now();
      const next = await send(b.base, 'GET', `/managed/user/${id}`, { headers: { Cookie: s.cookie } });
      latency[what] = Date.now() - started;
      expect([what, next.status]).toEqual([what, 401]);
      // Gone for good, even if the account is put back.
      expect(Number(((await db.knex('session').where({ principal_id: id }).count({ n: '*' }).first()) as any).n)).toBe(0);
    }
    console.log(`revocation latency (change answered -> next request refused), ms: ${JSON.stringify(latency)}`);
  });

  it('survives a restart of the server', async () => {
    await createUser(a, 'restart', 'R3start-secret');
    const s = await login(a.base, 'restart', 'R3start-secret');
    await a.close();
    a = await startTestServer({ db, keepDb: true, workers: false });
    expect((await session(a.base, s.cookie)).status).toBe(200);
  });

  it('keeps at most maxPerUser sessions per user: signing in again drops the oldest', async () => {
    await createUser(a, 'many', 'M4ny-secret');
    const cookies: string[] = [];
    for (let i = 0; i < 12; i++) cookies.push((await login(i % 2 ? a.base : b.base, 'many', 'M4ny-secret')).cookie);
    expect(await a.server.ctx.sessions.count({ component: 'managed/user', id: 'many' })).toBe(10);
    expect((await session(a.base, cookies[0])).status).toBe(401);
    expect((await session(a.base, cookies[1])).status).toBe(401);
    expect((await session(a.base, cookies[2])).status).toBe(200);
    expect((await session(a.base, cookies[11])).status).toBe(200);
  });

  // AUTH_SIGNINS=30000 node --expose-gc node_modules/.bin/jest test/api/auth.test.ts -t 'sign-ins of one user' for RELIABILITY.md.
  const signIns = Number(process.env.AUTH_SIGNINS) || 2000;
  it(`${signIns} sign-ins of one user keep memory and the table flat`, async () => {
    await createUser(a, 'loop', 'L00p-secret');
    await login(a.base, 'loop', 'L00p-secret');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const one = () =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ username: 'loop', password: 'L00p-secret' });
        const url = new URL(`${a.base}/authentication?_action=login`);
        const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    const run = async (n: number) => {
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next++ < n) expect(await one()).toBe(200);
      }));
    };
    await run(500);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    await run(signIns);
    const ms = Date.now() - started;
    global.gc?.();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    console.log(`${signIns} sign-ins in ${ms} ms: heap ${(grown / 1048576).toFixed(1)} MB${global.gc ? '' : ' (no --expose-gc)'}, rss ${((process.memoryUsage().rss - rssBefore) / 1048576).toFixed(1)} MB`);
    agent.destroy();
    expect(await a.server.ctx.sessions.count({ component: 'managed/user', id: 'loop' })).toBe(10);
    expect(Number(((await db.knex('session').count({ n: '*' }).first()) as any).n)).toBeLessThan(60);
    // The old in-memory store kept ~6 KB per sign-in (+12 MB here); now nothing is kept per sign-in.
    // Heap figures mean something only after a full collection (node --expose-gc).
    if (global.gc) expect(grown).toBeLessThan(8 * 1024 * 1024);
  });

  it('ends a session after the idle time and after its absolute lifetime', async () => {
    await createUser(a, 'idle', 'Idl3-secret');
    const idle = await login(a.base, 'idle', 'Idl3-secret');
    const old = await login(a.base, 'idle', 'Idl3-secret');
    const idOf = (cookie: string) => crypto.createHash('sha256').update(cookie.split('=')[1]).digest('base64url');
    // conf: idleMinutes 30, maxAgeMinutes 480 (defaults); move the clock of the rows instead of waiting.
    await db.knex('session').where({ id: idOf(idle.cookie) }).update({ last_seen: Date.now() - 31 * 60_000 });
    await db.knex('session').where({ id: idOf(old.cookie) }).update({ expires_at: Date.now() - 1 });
    expect((await session(a.base, idle.cookie)).status).toBe(401);
    expect((await session(b.base, old.cookie)).status).toBe(401);
  });
});

describe('cookie and authentication conf', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    const file = path.join(project.dir, 'conf', 'authentication.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    json.sessions = { secureCookie: true };
    fs.writeFileSync(file, JSON.stringify(json));
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t?.close();
    project?.remove();
  });

  it('sets Secure when conf says so (a TLS proxy in front)', async () => {
    const s = await login(t.base, 'openidm-admin', 'openidm-admin');
    expect(s.setCookie).toMatch(/; Secure/);
  });

  it('validates the authentication conf, naming the key', () => {
    const bad: [unknown, RegExp][] = [
      [{ sessions: { secureCookie: 'yes' } }, /sessions\.secureCookie must be true, false or "auto"/],
      [{ sessions: { maxPerUser: 0 } }, /sessions\.maxPerUser must be an integer of at least 1/],
      [{ sessions: { idle: 5 } }, /sessions\.idle is not a known key/],
      [{ passwordPolicy: { minLength: 'eight' } }, /passwordPolicy\.minLength must be an integer/],
      [{ passwordPolicy: { notUserName: 1 } }, /passwordPolicy\.notUserName must be true or false/],
      [{ passwordHashing: { scrypt: { N: 1000 } } }, /passwordHashing\.scrypt\.N must be a power of two/],
    ];
    for (const [json, message] of bad) expect(() => validateAuthentication({ internalUsers: [], ...(json as object) })).toThrow(message);
    const cfg = validateAuthentication({ internalUsers: [] });
    expect(cfg.passwordPolicy).toEqual({ minLength: 8, notUserName: true });
    expect(cfg.passwordHashing.scrypt).toEqual({ N: 131072, r: 8, p: 1 });
    expect(cfg.sessions).toEqual({ maxAgeMinutes: 480, idleMinutes: 30, maxPerUser: 10, secureCookie: 'auto' });
  });
});

describe('passwords', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ workers: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a password shorter than 8 or equal to the user name (403, failed policy), accepts Passw0rd', async () => {
    const short = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { userName: 'shorty', sn: 's', password: 'x' } });
    expect(short.status).toBe(403);
    expect(short.body).toMatchObject({ code: 403, reason: 'Forbidden', detail: { result: false, failedPolicyRequirements: [{ property: 'password', policyRequirements: [{ policyRequirement: 'MIN_LENGTH', params: { minLength: 8 } }] }] } });
    // IDM's message, exactly; the failures are in detail.
    expect(short.body.message).toBe('Failed policy validation');
    const same = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { userName: 'samename1', sn: 's', password: 'SameName1' } });
    expect(same.status).toBe(403);
    expect(same.body.detail.failedPolicyRequirements[0].policyRequirements).toEqual([{ policyRequirement: 'CANNOT_CONTAIN_OTHERS', params: { disallowedFields: 'userName' } }]);
    expect((await t.call('GET', '/managed/user?_queryFilter=true', { headers: ADMIN })).body.result).toEqual([]);
    // The seed walkthrough's step 3.
    await createUser(t, 'asyncadmin', 'Passw0rd', { userName: 'async.admin' });
    const patchShort = await t.call('PATCH', '/managed/user/asyncadmin', { headers: ADMIN, body: [{ operation: 'replace', field: '/password', value: 'abc' }] });
    expect(patchShort.status).toBe(403);
    const internalShort = await t.call('PATCH', '/internal/user/openidm-admin', { headers: { ...ADMIN, 'X-OpenIDM-Reauth-Password': 'openidm-admin' }, body: [{ operation: 'replace', field: '/password', value: 'short' }] });
    expect(internalShort.status).toBe(403);
    expect(internalShort.body).toMatchObject({ message: 'Failed policy validation', detail: { failedPolicyRequirements: [{ property: 'password', policyRequirements: [{ policyRequirement: 'MIN_LENGTH', params: { minLength: 8 } }] }] } });
  });

  it('changing one\'s own password needs the current one in X-OpenIDM-Reauth-Password; an admin changing another\'s does not', async () => {
    await createUser(t, 'selfie', 'S3lfie-secret');
    const me = creds('selfie', 'S3lfie-secret');
    const change = (headers: Record<string, string>, value: string) => t.call('PATCH', '/managed/user/selfie', { headers, body: [{ operation: 'replace', field: '/password', value }] });
    const without = await change(me, 'N3w-selfie-secret');
    expect(without.status).toBe(403);
    expect(without.body.message).toMatch(/X-OpenIDM-Reauth-Password/);
    expect((await change({ ...me, 'X-OpenIDM-Reauth-Password': 'not-it-at-all' }, 'N3w-selfie-secret')).status).toBe(403);
    const put = await t.call('PUT', '/managed/user/selfie', { headers: me, body: { userName: 'selfie', sn: 'selfie', password: 'N3w-selfie-secret' } });
    expect(put.status).toBe(403);
    expect((await t.call('GET', '/info/login', { headers: me })).status).toBe(200);
    expect((await change({ ...me, 'X-OpenIDM-Reauth-Password': 'S3lfie-secret' }, 'N3w-selfie-secret')).status).toBe(200);
    expect((await t.call('GET', '/info/login', { headers: creds('selfie', 'N3w-selfie-secret') })).status).toBe(200);
    // Other fields of oneself need no re-authentication.
    expect((await t.call('PATCH', '/managed/user/selfie', { headers: creds('selfie', 'N3w-selfie-secret'), body: [{ operation: 'replace', field: '/sn', value: 'x' }] })).status).toBe(200);
    // The administrator resets it without knowing it.
    expect((await change(ADMIN, 'Ad-reset-secret')).status).toBe(200);
    expect((await t.call('GET', '/info/login', { headers: creds('selfie', 'Ad-reset-secret') })).status).toBe(200);
  });

  it('hashes with scrypt N=2^17, r=8, p=1 and upgrades an older hash at the next sign-in, keeping its sessions', async () => {
    await createUser(t, 'hashed', 'H4shed-secret');
    const stored = async () => String((await t.db.knex('managed_user').where({ id: 'hashed' }).first()).password_hash);
    expect((await stored()).split('$').slice(0, 4)).toEqual(['scrypt', '131072', '8', '1']);
    // A hash from before (N=2^14), as the previous version stored it.
    const salt = crypto.randomBytes(16);
    const key = crypto.scryptSync('H4shed-secret', salt, 32, { N: 16384, r: 8, p: 1 });
    const old = ['scrypt', 16384, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
    await t.db.knex('managed_user').where({ id: 'hashed' }).update({ password_hash: old });
    // A session made while that hash was current: bound to it.
    const before = await login(t.base, 'hashed', 'H4shed-secret', '127.0.0.40');
    const idOf = (cookie: string) => crypto.createHash('sha256').update(cookie.split('=')[1]).digest('base64url');
    const account = (await accountLookup(t.db.knex).findById('managed/user', 'hashed'))!;
    expect(account.passwordHash).not.toBe(old); // that sign-in already upgraded it
    await t.db.knex('managed_user').where({ id: 'hashed' }).update({ password_hash: old });
    await t.db.knex('session').where({ id: idOf(before.cookie) }).update({ fingerprint: fingerprintOf({ ...account, passwordHash: old }) });
    expect((await session(t.base, before.cookie)).status).toBe(200);
    const oldCost = Date.now();
    const s = await login(t.base, 'hashed', 'H4shed-secret', '127.0.0.41');
    const upgradeMs = Date.now() - oldCost;
    expect(s.status).toBe(200);
    const upgraded = await stored();
    expect(upgraded.split('$').slice(0, 4)).toEqual(['scrypt', '131072', '8', '1']);
    expect(upgraded).not.toBe(old);
    // Sessions bound to the old hash follow the upgrade; the new one is valid too.
    expect((await session(t.base, before.cookie)).status).toBe(200);
    expect((await session(t.base, s.cookie)).status).toBe(200);
    const started = Date.now();
    expect((await login(t.base, 'hashed', 'N0t-the-password', '127.0.0.42')).status).toBe(401);
    const signInMs = Date.now() - started;
    console.log(`sign-in cost: wrong password at N=2^17 ${signInMs} ms; right password with the 2^14 hash + upgrade ${upgradeMs} ms`);
  });

  it('the internal administrator changing its own password needs its current one too (and the policy holds)', async () => {
    const own = (headers: Record<string, string>, value = 'n3w-Admin-secret') => t.call('PATCH', '/internal/user/openidm-admin', { headers, body: [{ operation: 'replace', field: '/password', value }] });
    expect((await own(ADMIN)).status).toBe(403);
    expect((await own({ ...ADMIN, 'X-OpenIDM-Reauth-Password': 'wrong-one' })).status).toBe(403);
    expect((await own({ ...ADMIN, 'X-OpenIDM-Reauth-Password': 'openidm-admin' })).status).toBe(200);
    const newAdmin = creds('openidm-admin', 'n3w-Admin-secret');
    expect((await t.call('GET', '/info/login', { headers: newAdmin })).status).toBe(200);
    // Back to the user name as password: refused by the policy.
    const back = await own({ ...newAdmin, 'X-OpenIDM-Reauth-Password': 'n3w-Admin-secret' }, 'openidm-admin');
    expect(back.status).toBe(403);
    expect(back.body.detail.failedPolicyRequirements[0].policyRequirements).toEqual([{ policyRequirement: 'CANNOT_CONTAIN_OTHERS', params: { disallowedFields: 'userName' } }]);
  });
});
