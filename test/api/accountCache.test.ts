// Internal accounts are kept for INTERNAL_ACCOUNT_TTL_MS, so that a REST call with credentials does
// not read internal_user each time (issue 19); a change on this node is seen at once, one on
// another node (here: the row written directly, as another node's process would) within the TTL.
import { INTERNAL_ACCOUNT_TTL_MS } from '../../src/auth/accounts';
import { hashPassword } from '../../src/auth/passwords';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

jest.setTimeout(60_000);

const creds = (userName: string, password: string) => ({ 'X-OpenIDM-Username': userName, 'X-OpenIDM-Password': password });

describe('the internal account cache', () => {
  let t: TestServer;
  let internalReads = 0;
  beforeAll(async () => {
    t = await startTestServer({ workers: false });
    t.server.ctx.db.knex.on('query', (q: { sql: string }) => {
      if (/from [`"]internal_user[`"]/i.test(q.sql) && /^select/i.test(q.sql)) internalReads++;
    });
  });
  afterAll(async () => { await t.close(); });

  it('answers repeated calls of an administrator without reading internal_user each time', async () => {
    expect((await t.call('GET', '/info/login', { headers: ADMIN })).status).toBe(200);
    internalReads = 0;
    for (let i = 0; i < 10; i++) expect((await t.call('GET', '/info/login', { headers: ADMIN })).status).toBe(200);
    // At most one read per TTL (a slow machine may cross one boundary), not one per call.
    expect(internalReads).toBeLessThanOrEqual(1);
  });

  it('a password changed on this node: the old one is refused at once, the new one accepted', async () => {
    const change = await t.call('PATCH', '/internal/user/openidm-admin', {
      headers: { ...ADMIN, 'X-OpenIDM-Reauth-Password': 'openidm-admin' },
      body: [{ operation: 'replace', field: '/password', value: 'Ch4nged-admin-pw' }],
    });
    expect(change.status).toBe(200);
    expect((await t.call('GET', '/info/login', { headers: ADMIN })).status).toBe(401);
    expect((await t.call('GET', '/info/login', { headers: creds('openidm-admin', 'Ch4nged-admin-pw') })).status).toBe(200);
  });

  it('a password changed on another node is refused here once the TTL has passed', async () => {
    const now = creds('openidm-admin', 'Ch4nged-admin-pw');
    expect((await t.call('GET', '/info/login', { headers: now })).status).toBe(200);
    // Another node's change: the row is replaced under this server, which wrote nothing.
    const hash = await hashPassword('Other-n0de-pw');
    await t.db.knex('internal_user').where({ id: 'openidm-admin' }).update({ rev: 'other-node', password_hash: hash });
    await new Promise((r) => setTimeout(r, INTERNAL_ACCOUNT_TTL_MS + 50));
    expect((await t.call('GET', '/info/login', { headers: now })).status).toBe(401);
    expect((await t.call('GET', '/info/login', { headers: creds('openidm-admin', 'Other-n0de-pw') })).status).toBe(200);
  });

  it('a deleted managed user is refused at once (managed accounts are read on every call)', async () => {
    const admin = creds('openidm-admin', 'Other-n0de-pw');
    const made = await t.call('POST', '/managed/user?_action=create', {
      headers: admin,
      body: { _id: 'cached1', userName: 'cached.one', givenName: 'C', sn: 'One', mail: 'c1@example.com', password: 'Cached-Pass-1' },
    });
    expect(made.status).toBe(201);
    const user = creds('cached.one', 'Cached-Pass-1');
    expect((await t.call('GET', '/info/login', { headers: user })).status).toBe(200);
    expect((await t.call('DELETE', '/managed/user/cached1', { headers: admin })).status).toBe(200);
    expect((await t.call('GET', '/info/login', { headers: user })).status).toBe(401);
  });
});
