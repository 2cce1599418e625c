// Reserved variable names over real HTTP (issue 15): bpmn-elements owns `fields`, `content` and
// `properties` in the process variables, so a start or a submission naming one is refused with a 400
// that names it — never dropped silently. Runs on SQLite, and on PostgreSQL with DATABASE_URL.
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb, TestDb } from '../helpers/db';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'bpmn');

describe('reserved variable names (REST)', () => {
  let db: TestDb;
  let t: TestServer;
  const start = (body: Record<string, unknown>) => t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body });
  async function taskOf(instanceId: string) {
    const r = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${instanceId}`)}`, { headers: ADMIN });
    return r.body.result[0];
  }
  const complete = (taskId: string, body: unknown) => t.call('POST', `/workflow/taskinstance/${taskId}?_action=complete`, { headers: ADMIN, body });

  beforeAll(async () => {
    db = await createTestDb();
    t = await startTestServer({ db, keepDb: true, workers: false });
    const xml = fs.readFileSync(path.join(FIXTURES, 'completion-rules.bpmn'), 'utf8');
    const r = await t.call('POST', '/workflow/processdefinition?resourceName=completion-rules.bpmn', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: xml });
    expect(r.status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
  });

  it.each(['fields', 'content', 'properties'])('a start variable named %s: 400 naming it, no instance', async (key) => {
    const before = await db.knex('process_instance').count({ n: '*' }).first();
    const r = await start({ _key: 'managedUserApproval', sourceId: 'bjensen', mapping: 'm', reconId: 'r1', [key]: 'x' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 400, detail: { field: key } });
    expect(r.body.message).toContain(`'${key}' is a reserved variable name`);
    expect(await db.knex('process_instance').count({ n: '*' }).first()).toEqual(before);
  });

  it('a free variable named content: 400 naming it; the task stays open and completes without it', async () => {
    const created = await start({ _key: 'completionRules', sourceId: 'bjensen' });
    expect(created.status).toBe(201);
    const review = await taskOf(created.body._id);
    expect((await complete(review._id, { decision: 'yes' })).status).toBe(200);
    const notes = await taskOf(created.body._id);
    expect(notes.taskDefinitionKey).toBe('notes');
    const refused = await complete(notes._id, { comment: 'ok', content: 'kept?' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ detail: { field: 'content' } });
    expect((await taskOf(created.body._id))._id).toBe(notes._id);
    expect((await complete(notes._id, { comment: 'ok', extra: 'kept' })).status).toBe(200);
    const history = (await t.call('GET', `/workflow/processinstance/history/${created.body._id}`, { headers: ADMIN })).body;
    expect(history).toMatchObject({ status: 'ended', processVariables: { comment: 'ok', extra: 'kept' } });
  });
});
