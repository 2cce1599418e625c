// test/helpers/seedScale.ts makes approvals the product cannot tell from its own: a seeded task
// reads over REST like the real one it was cloned from (form, snapshot), is counted and paged with
// the real ones, and approving it creates its user exactly once.
import { makeProject, TestProject } from '../helpers/project';
import { instanceTables, makeTemplates, seedScale, SeedResult, SOURCE_PREFIX, TEMPLATE_OPEN, TEMPLATE_ROWS } from '../helpers/seedScale';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';

jest.setTimeout(120_000);

const APPROVER = { 'X-OpenIDM-Username': 'async.admin', 'X-OpenIDM-Password': 'Passw0rd' };
const TASKS = 300;
const ENDED = 700;

describe('seeded approvals are real to the product', () => {
  let project: TestProject;
  let t: TestServer;
  let seeded: SeedResult;

  beforeAll(async () => {
    project = makeProject();
    project.writeCsv(TEMPLATE_ROWS);
    t = await startTestServer({ projectDir: project.dir });
    // A non-administrator approver: the sample's tasks are assigned to async.admin.
    const approver = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: { _id: 'asyncadmin', userName: 'async.admin', givenName: 'async', sn: 'admin', mail: 'async.admin@example.com', password: 'Passw0rd', authzRoles: [{ _ref: 'internal/role/openidm-authorized' }] },
    });
    expect(approver.status).toBe(201);
    const source = await makeTemplates((method, path, body) => t.call(method, path, { headers: ADMIN, body }));
    seeded = await seedScale(t.db.knex, { tasks: TASKS, ended: ENDED, csv: { file: `${project.dir}/data/csvConnectorData.csv`, source } });
  });

  afterAll(async () => {
    await t?.close();
    project?.remove();
  });

  it('clones every row of every table that belongs to an instance', async () => {
    const k = t.db.knex;
    const template = Number((await k('approval_request').where({ source_id: TEMPLATE_OPEN }).first()).process_instance_id);
    for (const table of await instanceTables(k)) {
      const column = table === 'process_instance' ? 'id' : 'process_instance_id';
      const want = Number((await k(table).where(column, template).count({ n: '*' }))[0].n);
      const got = Number((await k(table).where(column, seeded.open.last).count({ n: '*' }))[0].n);
      expect([table, got]).toEqual([table, want]);
    }
    expect(seeded.rows.process_instance).toBe(TASKS + ENDED);
    expect(seeded.rows.task).toBe(TASKS);
  });

  it('reads a seeded task like the real one: same fields, its own source id, its form and snapshot', async () => {
    const [real] = (await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processVariables/sourceId eq "${TEMPLATE_OPEN}"`)}`, { headers: APPROVER })).body.result;
    const realRead = await t.call('GET', `/workflow/taskinstance/${real._id}`, { headers: APPROVER });
    const read = await t.call('GET', `/workflow/taskinstance/${seeded.open.lastTask}`, { headers: APPROVER });
    expect(read.status).toBe(200);
    const source = read.body.processVariables.sourceId as string;
    expect(source).toMatch(new RegExp(`^${SOURCE_PREFIX}\\d+$`));
    expect(read.body.approval.target.userName).toBe(source);
    expect(read.body.processInstanceId).toBe(String(seeded.open.last));
    // The same document once the ids, the times and the source id are set aside.
    const normal = (body: unknown, src: string) => JSON.parse(JSON.stringify(body).split(src).join('SRC')
      .replace(/"(_id|processInstanceId|requestedAt|createTime|_rev|sourceHash)":"[^"]*"/g, '"$1":"X"')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'T'));
    expect(normal(read.body, source)).toEqual(normal(realRead.body, TEMPLATE_OPEN));
    expect(read.body.formProperties?.length ?? read.body.form?.length ?? 0).toBeGreaterThan(0);
  });

  it('counts and pages seeded tasks with the real ones, newest first', async () => {
    const page = await t.call('GET', '/workflow/taskinstance?_queryFilter=true&_sortKeys=-createTime&_pageSize=50&_totalPagedResultsPolicy=EXACT', { headers: APPROVER });
    expect(page.body.totalPagedResults).toBe(TASKS + 1);
    // Ids grow with time: the last clone is the newest, by either key; the real one the oldest.
    expect(page.body.result[0]._id).toBe(String(seeded.open.lastTask));
    const byId = await t.call('GET', '/workflow/taskinstance?_queryFilter=true&_sortKeys=-_id&_pageSize=1', { headers: APPROVER });
    expect(byId.body.result[0]._id).toBe(String(seeded.open.lastTask));
    const oldest = await t.call('GET', '/workflow/taskinstance?_queryFilter=true&_sortKeys=createTime&_pageSize=1', { headers: APPROVER });
    expect(oldest.body.result[0].processVariables.sourceId).toBe(TEMPLATE_OPEN);
    const history = await t.call('GET', '/workflow/processinstance/history?_queryFilter=true&_pageSize=1&_totalPagedResultsPolicy=EXACT', { headers: ADMIN });
    expect(history.body.totalPagedResults).toBe(TASKS + ENDED + 2);
    const endedOne = await t.call('GET', `/workflow/processinstance/history/${seeded.ended.last}`, { headers: ADMIN });
    expect(endedOne.body).toMatchObject({ status: 'ended', processVariables: { requestApproved: 'false' } });
  });

  it('approving a seeded task creates its user exactly once', async () => {
    const id = seeded.open.firstTask;
    const read = await t.call('GET', `/workflow/taskinstance/${id}`, { headers: APPROVER });
    const source = read.body.processVariables.sourceId as string;
    const done = await t.call('POST', `/workflow/taskinstance/${id}?_action=complete`, { headers: APPROVER, body: { requestApproved: 'true' } });
    expect(done.status).toBe(200);
    const again = await t.call('POST', `/workflow/taskinstance/${id}?_action=complete`, { headers: APPROVER, body: { requestApproved: 'true' } });
    expect(again.status).toBeGreaterThanOrEqual(400);
    const users = await eventually(async () => {
      const r = await t.call('GET', `/managed/user?_queryFilter=${encodeURIComponent(`userName eq "${source}"`)}`, { headers: ADMIN });
      return r.body.result?.length ? r.body.result : undefined;
    }, 30_000, `the user ${source}`);
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ userName: source, mail: `${source}@example.com`, givenName: source, sn: 'Scale' });
    const jobs = await t.db.knex('job').where({ key: `createUser:${read.body.processInstanceId}` });
    expect(jobs.map((j: { state: string }) => j.state)).toEqual(['done']);
    const inst = await t.call('GET', `/workflow/processinstance/history/${read.body.processInstanceId}`, { headers: ADMIN });
    expect(inst.body.status).toBe('ended');
    // No other seeded row was touched.
    const page = await t.call('GET', '/workflow/taskinstance?_queryFilter=true&_pageSize=1&_totalPagedResultsPolicy=EXACT', { headers: ADMIN });
    expect(page.body.totalPagedResults).toBe(TASKS);
  });
});
