// Issue 19: an unpaged CREST query (no _pageSize) streams from a database cursor to the socket
// (src/api/queryStream.ts, src/repo/cursor.ts). What a client gets must not change: on every
// queryable resource the unpaged body is byte for byte the body of the same query paged in one
// page (the paged path is the code that answered before), with its ETag and 304 while small; a
// large answer streams (no ETag), parses, and holds the order and the filter of the paged pages.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { makeProject, TestProject } from '../helpers/project';
import { makeTemplates, seedScale, TEMPLATE_ROWS } from '../helpers/seedScale';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

jest.setTimeout(300_000);

const H = { ...ADMIN, 'Accept-API-Version': 'resource=1.0' };

async function get(t: TestServer, p: string, headers: Record<string, string> = {}) {
  const init = { headers: { ...H, ...headers } };
  // Sent again once when a kept-alive socket the server closed while idle (its 5 s keep-alive,
  // e.g. during the seed) fails the request before any answer (bench/uiScale.ts fetchAgain).
  const res = await fetch(t.base + p, init).catch((e) => {
    if ((e as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET' && (e as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw e;
    return fetch(t.base + p, init);
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** The same query paged in one page (the code path that answered unpaged queries before). */
const paged = (p: string) => `${p}&_pageSize=10000`;

/** Every page of `p` at `size` a page, by cookie: the results in order. */
async function allPages(t: TestServer, p: string, size: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let cookie = '';
  for (;;) {
    const r = await get(t, `${p}&_pageSize=${size}${cookie ? `&_pagedResultsCookie=${cookie}` : ''}`);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    out.push(...body.result);
    if (!body.pagedResultsCookie) return out;
    cookie = body.pagedResultsCookie;
  }
}

describe('unpaged queries', () => {
  let project: TestProject;
  let t: TestServer;

  beforeAll(async () => {
    project = makeProject();
    project.writeCsv(TEMPLATE_ROWS);
    // A low ceiling for the resources that answer from memory (conf/repo.json query.maxUnpagedResults).
    fs.writeFileSync(path.join(project.dir, 'conf', 'repo.json'), JSON.stringify({ query: { maxUnpagedResults: 1 } }));
    t = await startTestServer({ projectDir: project.dir });
    await makeTemplates((method, p, body) => t.call(method, p, { headers: ADMIN, body }));
    await seedScale(t.db.knex, { tasks: 40, ended: 25 });
    for (let i = 0; i < 5; i++) {
      const u = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { userName: `u${i}`, givenName: `g${i}`, sn: `s${i}`, mail: `u${i}@example.com` } });
      expect(u.status).toBe(201);
      await t.db.knex('link').insert({ link_type: 'systemCsvfileAccounts_managedUser', first_id: `src${i}`, second_id: u.body._id });
    }
  });

  afterAll(async () => {
    await t?.close();
    project?.remove();
  });

  // One query per resource and per feature (filter, sort, _fields, query ids, offset, totals, pretty print).
  const SMALL = [
    '/workflow/taskinstance?_queryFilter=true',
    '/workflow/taskinstance?_queryFilter=true&_sortKeys=-createTime&_fields=_id,name,createTime,approvalTarget',
    `/workflow/taskinstance?_queryFilter=${encodeURIComponent('processVariables/sourceId sw "scale1"')}&_sortKeys=priority`,
    '/workflow/taskinstance?_queryId=query-all-ids',
    '/workflow/taskinstance?_queryFilter=true&_pagedResultsOffset=7&_totalPagedResultsPolicy=EXACT',
    '/workflow/taskinstance?_queryFilter=true&_pagedResultsOffset=100000&_totalPagedResultsPolicy=EXACT',
    '/workflow/taskinstance/history?_queryFilter=true&_sortKeys=-endTime',
    '/workflow/processinstance?_queryFilter=true&_totalPagedResultsPolicy=EXACT',
    '/workflow/processinstance/history?_queryFilter=true&_sortKeys=-startTime&_fields=processInstanceId,status,startTime',
    '/workflow/processinstance/history?_queryId=query-all-ids&_prettyPrint=true',
    '/managed/user?_queryFilter=true',
    '/managed/user?_queryId=query-all-ids&_totalPagedResultsPolicy=EXACT',
    '/repo/link?_queryFilter=true&_sortKeys=-firstId',
    '/jobs?_queryFilter=true&_fields=_id,type,state',
    '/recon?_queryFilter=true',
    '/audit/recon?_queryFilter=true&_sortKeys=sourceObjectId',
    '/system/csvfile/account?_queryFilter=true',
    '/system/csvfile/account?_queryId=query-all-ids&_prettyPrint=true',
  ];

  it.each(SMALL)('%s answers as the same query paged, byte for byte, ETag and 304 included', async (p) => {
    const before = await get(t, paged(p));
    const now = await get(t, p);
    expect(before.status).toBe(200);
    expect(now.status).toBe(200);
    expect(now.text).toBe(before.text);
    // (Finished jobs are deleted: the job list may be empty.)
    expect(JSON.parse(now.text).resultCount).toBeGreaterThanOrEqual(p.includes('100000') || p.startsWith('/jobs') ? 0 : 1);
    expect(now.headers.get('content-type')).toBe(before.headers.get('content-type'));
    const etag = now.headers.get('etag');
    expect(etag).toBe(before.headers.get('etag'));
    expect(etag).toMatch(/^W\/"/);
    expect((await get(t, p, { 'If-None-Match': etag! })).status).toBe(304);
  });

  it('keeps the envelope CREST clients get: its keys in order, no cookie, no total unless asked', async () => {
    const body = JSON.parse((await get(t, '/workflow/taskinstance?_queryFilter=true')).text);
    expect(Object.keys(body)).toEqual(['result', 'resultCount', 'pagedResultsCookie', 'totalPagedResultsPolicy', 'totalPagedResults', 'remainingPagedResults']);
    expect(body).toMatchObject({ resultCount: 41, pagedResultsCookie: null, totalPagedResultsPolicy: 'NONE', totalPagedResults: -1, remainingPagedResults: -1 });
    const counted = JSON.parse((await get(t, '/workflow/taskinstance?_queryFilter=true&_pagedResultsOffset=100000&_totalPagedResultsPolicy=EXACT')).text);
    expect(counted).toMatchObject({ result: [], resultCount: 0, totalPagedResultsPolicy: 'EXACT', totalPagedResults: 41, remainingPagedResults: 0 });
  });

  it('refuses an unpaged answer above query.maxUnpagedResults where it cannot stream (sorted source objects), naming _pageSize', async () => {
    const sorted = await t.call('GET', '/system/csvfile/account?_queryFilter=true&_sortKeys=-_id', { headers: ADMIN });
    expect(sorted.status).toBe(400);
    expect(sorted.body.message).toMatch(/_pageSize/);
    expect(sorted.body.message).toMatch(/maxUnpagedResults/);
    expect(sorted.body.detail).toEqual({ matched: 2, maxUnpagedResults: 1 });
    // Paged, or unsorted (streamed as the connector reads), it answers.
    expect((await t.call('GET', '/system/csvfile/account?_queryFilter=true&_sortKeys=-_id&_pageSize=5', { headers: ADMIN })).body.resultCount).toBe(2);
    expect((await t.call('GET', '/system/csvfile/account?_queryFilter=true', { headers: ADMIN })).body.resultCount).toBe(2);
  });

});

describe('unpaged queries over 20,000 open tasks', () => {
  let project: TestProject;
  let t: TestServer;

  beforeAll(async () => {
    project = makeProject();
    project.writeCsv(TEMPLATE_ROWS);
    t = await startTestServer({ projectDir: project.dir });
    await makeTemplates((method, p, body) => t.call(method, p, { headers: ADMIN, body }));
    await seedScale(t.db.knex, { tasks: 20_000, ended: 0, stepMs: 10 });
  });

  afterAll(async () => {
    await t?.close();
    project?.remove();
  });

  it('streams the answer (chunked, no ETag) and it parses, in the order and with the results of the pages', async () => {
    const p = '/workflow/taskinstance?_queryFilter=true';
    const r = await get(t, p, { 'If-None-Match': '*' });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBeNull();
    expect(r.headers.get('transfer-encoding')).toBe('chunked');
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    // As JSON.stringify (res.json) writes it.
    const body = JSON.parse(r.text);
    expect(r.text).toBe(JSON.stringify(body));
    expect(body.resultCount).toBe(body.result.length);
    expect(body.resultCount).toBeGreaterThanOrEqual(20_000);
    const pages = await allPages(t, p, 5000);
    expect(body.result).toEqual(pages);
  });

  it('holds _sortKeys, the filter, _fields and _prettyPrint', async () => {
    const p = `/workflow/taskinstance?_queryFilter=${encodeURIComponent('processVariables/sourceId sw "scale" and priority ge 0')}&_sortKeys=-createTime&_fields=_id,createTime&_prettyPrint=true`;
    const r = await get(t, p);
    expect(r.headers.get('etag')).toBeNull();
    const body = JSON.parse(r.text);
    expect(r.text).toBe(JSON.stringify(body, null, 2));
    expect(body.result.every((x: Record<string, unknown>) => Object.keys(x).join() === '_id,createTime')).toBe(true);
    const times = body.result.map((x: { createTime: string }) => x.createTime);
    expect([...times].sort().reverse()).toEqual(times);
    expect(body.result).toEqual(await allPages(t, p, 10_000));
    expect(body.resultCount).toBeGreaterThan(5000);
  });

  it('counts EXACT totals past the offset', async () => {
    const body = JSON.parse((await get(t, '/workflow/taskinstance?_queryId=query-all-ids&_pagedResultsOffset=3&_totalPagedResultsPolicy=EXACT')).text);
    expect(body.totalPagedResults).toBe(body.resultCount + 3);
    expect(body.remainingPagedResults).toBe(0);
    expect(Object.keys(body.result[0])).toEqual(['_id', '_rev']);
  });

  it('frees the cursor when the client goes away mid-answer, and answers the next request', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${t.base}/workflow/taskinstance?_queryFilter=true`, { headers: H }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    });
    const r = await get(t, '/workflow/taskinstance?_queryFilter=true&_pageSize=1');
    expect(r.status).toBe(200);
    if (t.db.dialect === 'pg') {
      // No transaction left open by the stream (its connection went back to the pool).
      const until = Date.now() + 5000;
      for (;;) {
        const { rows } = await t.db.knex.raw("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND query LIKE '%reconflow_unpaged%'");
        if (rows[0].n === 0) break;
        if (Date.now() > until) throw new Error('the stream left its transaction open');
        await new Promise((res) => setTimeout(res, 50));
      }
    }
  });

  (process.env.DATABASE_URL?.startsWith('postgres') ? it : it.skip)('a database failure after the header went out ends the response truncated, never as well-formed JSON', async () => {
    const outcome = await new Promise<{ ended: boolean; text: string }>((resolve) => {
      const chunks: Buffer[] = [];
      const req = http.get(`${t.base}/workflow/taskinstance?_queryFilter=true`, { headers: H }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', async (c: Buffer) => {
          chunks.push(c);
          res.pause();
          // The server waits for the client to drain; its cursor's connection is killed meanwhile.
          const { rows } = await t.db.knex.raw("SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE query LIKE 'FETCH % FROM reconflow_unpaged'");
          expect(rows.length).toBe(1);
          res.on('data', (d: Buffer) => chunks.push(d));
          res.resume();
        });
        res.on('end', () => resolve({ ended: res.complete, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('aborted', () => resolve({ ended: false, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', () => resolve({ ended: false, text: Buffer.concat(chunks).toString('utf8') }));
    });
    expect(outcome.ended).toBe(false);
    expect(() => JSON.parse(outcome.text)).toThrow();
    // The server still answers.
    expect((await get(t, '/workflow/taskinstance?_queryFilter=true&_pageSize=1')).status).toBe(200);
  });
});
