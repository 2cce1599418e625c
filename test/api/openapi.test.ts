// The OpenAPI description: a valid OpenAPI 3.1 document (by @seriousme/openapi-schema-validator,
// which checks it against the OpenAPI Initiative's 3.1 schema and resolves its $refs), every schema
// in it compiles under ajv's strict mode, and ?_api serves it as IDM does. That every response of
// the API tests matches it is checked by test/helpers/openapi.ts on each of them.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { apiDescription } from '../../src/api/openapi';
import { ResponseValidator } from '../helpers/openapi';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

const run = promisify(execFile);

describe('the OpenAPI description', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    // The validator is an ES module; its own command line runs it outside jest's CommonJS.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(apiDescription()));
    const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    try {
      const { stdout } = await run(process.execPath, [cli, file]);
      expect(JSON.parse(stdout)).toMatchObject({ valid: true });
    } catch (e) {
      throw new Error(`the description is not valid OpenAPI 3.1: ${(e as { stdout?: string }).stdout ?? String(e)}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has schemas that compile under ajv strict mode, and every operation lists its statuses', () => {
    const doc = apiDescription();
    const v = new ResponseValidator(doc);
    let operations = 0;
    for (const [key, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
        operations++;
        const responses = (op as { responses: Record<string, unknown> }).responses;
        expect(Object.keys(responses).length).toBeGreaterThan(0);
        expect(responses).not.toHaveProperty('default');
        // Compiles each response schema (a typo, or OpenAPI 3.0's nullable, fails strict mode).
        for (const status of Object.keys(responses)) {
          const url = ((item as { servers?: unknown }).servers ? '' : '/openidm') + key.replace(/\{[^}]+\}/g, 'x');
          const problem = v.check({ method: method.toUpperCase(), url: key === '/openidm/' ? '/openidm/?_api' : url, status: Number(status), contentType: 'application/json', body: '{}' });
          if (problem) expect(problem).not.toMatch(/schema is invalid|unknown keyword|strict mode|can't resolve/i);
        }
      }
    }
    expect(operations).toBeGreaterThan(50);
  });

  it('answers every error in CREST shape', () => {
    const v = new ResponseValidator();
    const bad = { method: 'GET', url: '/openidm/managed/user/x', status: 404, contentType: 'application/json; charset=utf-8' };
    expect(v.check({ ...bad, body: JSON.stringify({ code: 404, reason: 'Not Found', message: 'Object managed/user/x not found' }) })).toBeNull();
    expect(v.check({ ...bad, body: JSON.stringify({ error: 'not found' }) })).toMatch(/does not match/);
    expect(v.check({ ...bad, status: 418, body: '{}' })).toMatch(/status 418 is not described for GET \/managed\/user\/\{id\}/);
    expect(v.check({ method: 'POST', url: '/openidm/info/ping', status: 200, contentType: 'application/json', body: '{}' })).toMatch(/no POST operation/);
  });
});

describe('?_api', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ workers: false });
  });
  afterAll(() => s.close());

  it('serves the whole description at /openidm/?_api to a signed-in user', async () => {
    const res = await s.call('GET', '/?_api', { headers: ADMIN });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(apiDescription())));
    // Any signed-in user: it describes the API, not data.
    const created = await s.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { userName: 'reader', givenName: 'R', sn: 'R', mail: 'r@example.com', password: 'Passw0rd-reader' } });
    expect(created.status).toBe(201);
    expect((await s.call('GET', '/?_api', { headers: { 'X-OpenIDM-Username': 'reader', 'X-OpenIDM-Password': 'Passw0rd-reader' } })).status).toBe(200);
  });

  it("serves one resource's paths at /openidm/<resource>?_api", async () => {
    const res = await s.call('GET', '/managed/user?_api', { headers: ADMIN });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths).sort()).toEqual(['/managed/user', '/managed/user/{id}']);
    expect(res.body.components.schemas.ManagedUser).toBeDefined();
    const wf = await s.call('GET', '/workflow/taskinstance/12?_api', { headers: ADMIN });
    expect(Object.keys(wf.body.paths)).toEqual(['/workflow/taskinstance/{id}']);
    const none = await s.call('GET', '/nothing/here?_api', { headers: ADMIN });
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ code: 404, reason: 'Not Found' });
  });

  it('needs a sign-in', async () => {
    const res = await s.call('GET', '/?_api');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 401 });
  });
});
