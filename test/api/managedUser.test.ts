// Step 3 of the sample and the CREST operations on managed/user, over real HTTP.
import { ADMIN, ASYNC_ADMIN, startTestServer, TestServer } from '../helpers/server';

const ASYNC_ADMIN_BODY = {
  userName: 'async.admin', givenName: 'async', sn: 'admin', password: 'Passw0rd', displayName: 'async admin',
  mail: 'async.admin@example.com',
  authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }],
  _id: 'asyncadmin',
};

describe('managed/user over REST', () => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer({ workers: false }); });
  afterAll(async () => { await t.close(); });

  it('answers info/ping without credentials', async () => {
    const r = await t.call('GET', '/info/ping');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ _id: '', state: 'ACTIVE_READY', shortDesc: 'OpenIDM ready' });
  });

  it('refuses anonymous and wrong credentials with 401 in the error shape', async () => {
    const anon = await t.call('GET', '/managed/user?_queryFilter=true');
    expect(anon.status).toBe(401);
    expect(anon.body).toEqual({ code: 401, reason: 'Unauthorized', message: expect.any(String) });
    const wrong = await t.call('GET', '/managed/user?_queryFilter=true', { headers: { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'nope' } });
    expect(wrong.status).toBe(401);
  });

  it('creates async.admin exactly as step 3 of the sample shows', async () => {
    const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: ASYNC_ADMIN_BODY });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual(['_id', '_rev', 'userName', 'givenName', 'sn', 'displayName', 'mail', 'accountStatus', 'effectiveRoles', 'effectiveAssignments']);
    expect(r.body).toEqual({
      _id: 'asyncadmin', _rev: expect.stringMatching(/^[0-9a-f]{16}$/), userName: 'async.admin', givenName: 'async', sn: 'admin',
      displayName: 'async admin', mail: 'async.admin@example.com', accountStatus: 'active', effectiveRoles: [], effectiveAssignments: [],
    });
    expect(r.headers.get('etag')).toBe(`"${r.body._rev}"`);
    const stored = await t.db.knex('managed_user').where({ id: 'asyncadmin' }).first();
    expect(stored.password_hash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(stored.obj)).not.toContain('Passw0rd');
  });

  it('lets the new user sign in with its password and its roles', async () => {
    const r = await t.call('GET', '/info/login', { headers: ASYNC_ADMIN });
    expect(r.status).toBe(200);
    expect(r.body.authorization.roles).toEqual(expect.arrayContaining(['internal/role/openidm-admin', 'internal/role/openidm-authorized']));
  });

  it('returns authzRoles only when asked for', async () => {
    const r = await t.call('GET', '/managed/user/asyncadmin?_fields=authzRoles', { headers: ADMIN });
    expect(r.body.authzRoles).toEqual(ASYNC_ADMIN_BODY.authzRoles);
    expect(r.body.password).toBeUndefined();
  });

  it('refuses a second create of the same id with 412', async () => {
    const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { ...ASYNC_ADMIN_BODY, userName: 'other' } });
    expect(r.status).toBe(412);
  });

  it('PUT with If-None-Match: * creates, and 412 when it exists', async () => {
    const body = { userName: 'jdoe', givenName: 'John', sn: 'Doe', mail: 'jdoe@example.com' };
    const a = await t.call('PUT', '/managed/user/jdoe', { headers: { ...ADMIN, 'If-None-Match': '*' }, body });
    expect(a.status).toBe(201);
    const b = await t.call('PUT', '/managed/user/jdoe', { headers: { ...ADMIN, 'If-None-Match': '*' }, body });
    expect(b.status).toBe(412);
  });

  it('PUT with If-Match replaces, and a stale rev gets 412', async () => {
    const cur = await t.call('GET', '/managed/user/jdoe', { headers: ADMIN });
    const ok = await t.call('PUT', '/managed/user/jdoe', { headers: { ...ADMIN, 'If-Match': `"${cur.body._rev}"` }, body: { userName: 'jdoe', givenName: 'Johnny', sn: 'Doe' } });
    expect(ok.status).toBe(200);
    expect(ok.body.givenName).toBe('Johnny');
    expect(ok.body.mail).toBeUndefined();
    expect(ok.body._rev).not.toBe(cur.body._rev);
    const stale = await t.call('PUT', '/managed/user/jdoe', { headers: { ...ADMIN, 'If-Match': `"${cur.body._rev}"` }, body: { userName: 'jdoe', sn: 'X' } });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe(412);
  });

  it('PATCH adds, replaces, increments, appends and removes', async () => {
    const r = await t.call('PATCH', '/managed/user/jdoe', {
      headers: ADMIN,
      body: [
        { operation: 'replace', field: '/givenName', value: 'Jon' },
        { operation: 'add', field: '/tags', value: ['a'] },
        { operation: 'add', field: '/tags/-', value: 'b' },
        { operation: 'add', field: '/logins', value: 1 },
        { operation: 'increment', field: '/logins', value: 2 },
        { operation: 'add', field: '/address/city', value: 'Oslo' },
        { operation: 'remove', field: '/sn' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ givenName: 'Jon', tags: ['a', 'b'], logins: 3, address: { city: 'Oslo' } });
    expect(r.body.sn).toBeUndefined();
  });

  it('queries with _queryFilter, _fields, _sortKeys and paging', async () => {
    for (const n of ['u1', 'u2', 'u3']) {
      await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: n, userName: n, sn: `S${n}`, mail: `${n}@x.org` } });
    }
    const all = await t.call('GET', '/managed/user?_queryFilter=true&_fields=_id', { headers: ADMIN });
    expect(all.status).toBe(200);
    expect(all.body.result.map((u: any) => u._id).sort()).toEqual(['asyncadmin', 'jdoe', 'u1', 'u2', 'u3']);
    expect(Object.keys(all.body.result[0]).sort()).toEqual(['_id', '_rev']);
    expect(all.body).toMatchObject({ resultCount: 5, pagedResultsCookie: null, totalPagedResultsPolicy: 'NONE', totalPagedResults: -1, remainingPagedResults: -1 });

    const f = await t.call('GET', `/managed/user?_queryFilter=${encodeURIComponent('userName sw "u" and !(userName eq "u2")')}&_sortKeys=-userName`, { headers: ADMIN });
    expect(f.body.result.map((u: any) => u._id)).toEqual(['u3', 'u1']);

    const p1 = await t.call('GET', '/managed/user?_queryFilter=true&_pageSize=2&_sortKeys=_id&_totalPagedResultsPolicy=EXACT', { headers: ADMIN });
    expect(p1.body.result.map((u: any) => u._id)).toEqual(['asyncadmin', 'jdoe']);
    expect(p1.body).toMatchObject({ totalPagedResultsPolicy: 'EXACT', totalPagedResults: 5, remainingPagedResults: 3 });
    const p2 = await t.call('GET', `/managed/user?_queryFilter=true&_pageSize=2&_sortKeys=_id&_pagedResultsCookie=${p1.body.pagedResultsCookie}`, { headers: ADMIN });
    expect(p2.body.result.map((u: any) => u._id)).toEqual(['u1', 'u2']);
    const off = await t.call('GET', '/managed/user?_queryFilter=true&_pageSize=2&_sortKeys=_id&_pagedResultsOffset=4', { headers: ADMIN });
    expect(off.body.result.map((u: any) => u._id)).toEqual(['u3']);
    expect(off.body.pagedResultsCookie).toBeNull();
  });

  it.each([
    ['userName eq "x\' OR \'1\'=\'1"', 200],
    ['userName eq "a\\"; DROP TABLE managed_user; --"', 200],
    ['/obj eq "x"', 200],
    ['/password eq "Passw0rd"', 400],
    ['/a;drop eq 1', 400],
    ['userName eq', 400],
    ['(userName eq "x"', 400],
    ['userName xx "x"', 400],
  ])('treats %s safely (%i)', async (filter, status) => {
    const r = await t.call('GET', `/managed/user?_queryFilter=${encodeURIComponent(filter)}`, { headers: ADMIN });
    expect(r.status).toBe(status);
    if (status === 200) expect(r.body.result).toEqual([]);
    else expect(r.body).toEqual({ code: 400, reason: 'Bad Request', message: expect.any(String) });
    const still = await t.call('GET', '/managed/user/asyncadmin', { headers: ADMIN });
    expect(still.status).toBe(200);
  });

  it('names the position of a bad filter', async () => {
    const r = await t.call('GET', `/managed/user?_queryFilter=${encodeURIComponent('userName eq')}`, { headers: ADMIN });
    expect(r.body.message).toMatch(/position \d+/);
  });

  it('refuses _sortKeys and _fields that are not fields', async () => {
    expect((await t.call('GET', '/managed/user?_queryFilter=true&_sortKeys=password', { headers: ADMIN })).status).toBe(400);
    expect((await t.call('GET', `/managed/user?_queryFilter=true&_sortKeys=${encodeURIComponent('id;drop table x')}`, { headers: ADMIN })).status).toBe(400);
  });

  it('answers bad bodies with 400, 413 and 415', async () => {
    const bad = await t.call('POST', '/managed/user?_action=create', { headers: { ...ADMIN, 'Content-Type': 'application/json' }, raw: '{"userName": ' });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBe('Bad Request');
    const big = await t.call('POST', '/managed/user?_action=create', { headers: { ...ADMIN, 'Content-Type': 'application/json' }, raw: JSON.stringify({ userName: 'x', pad: 'a'.repeat(2 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
    const type = await t.call('POST', '/managed/user?_action=create', { headers: { ...ADMIN, 'Content-Type': 'text/plain' }, raw: '{}' });
    expect(type.status).toBe(415);
  });

  it('answers unknown ids, resources and actions with 404/400', async () => {
    expect((await t.call('GET', '/managed/user/nobody', { headers: ADMIN })).status).toBe(404);
    expect((await t.call('GET', '/managed/thing', { headers: ADMIN })).status).toBe(404);
    expect((await t.call('POST', '/managed/user?_action=explode', { headers: ADMIN, body: {} })).status).toBe(400);
    expect((await t.call('GET', `/managed/user/${'x'.repeat(5000)}`, { headers: ADMIN })).status).toBe(404);
  });

  it('lets an openidm-authorized user read and update itself only', async () => {
    await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'plain', userName: 'plain', password: 'Secret123', sn: 'P' } });
    const me = { 'X-OpenIDM-Username': 'plain', 'X-OpenIDM-Password': 'Secret123' };
    expect((await t.call('GET', '/managed/user/plain', { headers: me })).status).toBe(200);
    expect((await t.call('GET', '/managed/user/asyncadmin', { headers: me })).status).toBe(403);
    expect((await t.call('GET', '/managed/user?_queryFilter=true', { headers: me })).status).toBe(403);
    expect((await t.call('PATCH', '/managed/user/plain', { headers: me, body: [{ operation: 'replace', field: '/sn', value: 'Q' }] })).status).toBe(200);
    const escalate = await t.call('PATCH', '/managed/user/plain', { headers: me, body: [{ operation: 'add', field: '/authzRoles', value: [{ _ref: 'internal/role/openidm-admin' }] }] });
    expect(escalate.status).toBe(403);
  });

  it('DELETE returns the deleted object', async () => {
    const r = await t.call('DELETE', '/managed/user/u3', { headers: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body._id).toBe('u3');
    expect((await t.call('GET', '/managed/user/u3', { headers: ADMIN })).status).toBe(404);
  });
});

describe('internal/user', () => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer({ workers: false }); });
  afterAll(async () => { await t.close(); });

  it('changes the bootstrapped admin password; the old one stops working and the hash is never shown', async () => {
    const me = await t.call('GET', '/internal/user/openidm-admin', { headers: ADMIN });
    expect(me.status).toBe(200);
    expect(JSON.stringify(me.body)).not.toMatch(/password|scrypt/);
    const r = await t.call('PATCH', '/internal/user/openidm-admin', { headers: { ...ADMIN, 'X-OpenIDM-Reauth-Password': 'openidm-admin' }, body: [{ operation: 'replace', field: '/password', value: 'n3w-Secret!' }] });
    expect(r.status).toBe(200);
    expect((await t.call('GET', '/info/login', { headers: ADMIN })).status).toBe(401);
    expect((await t.call('GET', '/info/login', { headers: { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'n3w-Secret!' } })).status).toBe(200);
    const roles = await t.call('GET', '/internal/role?_queryFilter=true', { headers: { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'n3w-Secret!' } });
    expect(roles.body.result.map((x: any) => x._id)).toEqual(['openidm-admin', 'openidm-authorized', 'openidm-prometheus']);
  });
});
