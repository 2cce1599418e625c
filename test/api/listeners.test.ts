// Listener scripts, initiator and file encodings through the real server, across a restart, on the
// configured backend (SQLite, or PostgreSQL with DATABASE_URL).
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb, TestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'bpmn', name), 'utf8');

// The Activiti listener fixture as a modeler's tool might save it: ISO-8859-1, with non-ASCII text.
const LATIN1 = fixture('h-listeners-activiti.bpmn20.xml')
  .replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
  .replace('name="Activiti listeners"', 'name="Genehmigung für Konten"');

describe('listeners, initiator and encodings over REST, across a restart', () => {
  let db: TestDb;
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    db = await createTestDb();
    project = makeProject();
    fs.writeFileSync(path.join(project.dir, 'processes', 'latin.bpmn20.xml'), Buffer.from(LATIN1, 'latin1'));
    t = await startTestServer({ db, keepDb: true, workers: false, projectDir: project.dir });
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
    project.remove();
  });

  const instance = async (id: string) => (await t.call('GET', `/workflow/processinstance/history/${id}`, { headers: ADMIN })).body;
  const taskOf = async (id: string) => {
    const r = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${id}`)}`, { headers: ADMIN });
    expect(r.body.result).toHaveLength(1);
    return r.body.result[0];
  };

  it('deploys an ISO-8859-1 file from the process folder, decoded by its declaration', async () => {
    const defs = await t.call('GET', '/workflow/processdefinition?_queryFilter=true', { headers: ADMIN });
    expect(defs.body.result.find((d: any) => d.key === 'activitiListeners')).toMatchObject({ name: 'Genehmigung für Konten' });
  });

  it('sets the initiator to the authenticated user; a listener-set variable and the initiator survive a restart', async () => {
    const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'activitiListeners', _businessKey: 'sourceId: bjensen' } });
    expect(started.status).toBe(201);
    const id = started.body._id;
    expect((await instance(id)).processVariables).toEqual({ initiator: 'openidm-admin', created: true });
    expect((await taskOf(id)).assignee).toBe('admin.reviewer');

    await t.close();
    t = await startTestServer({ db, keepDb: true, workers: false, projectDir: project.dir });

    const task = await taskOf(id);
    expect(task.assignee).toBe('admin.reviewer');
    const done = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { decision: 'approve' } });
    expect([done.status, done.body.message]).toEqual([200, undefined]);
    const ended = await instance(id);
    expect(ended.endActivityId).toBe('end');
    expect(ended.processVariables).toEqual({ initiator: 'openidm-admin', created: true, decision: 'approve', outcome: 'approved', closedFor: `sourceId: bjensen#${id}` });
  });

  it('accepts a UTF-16 upload (bytes decoded by the BOM), and refuses a python listener naming the element', async () => {
    const text = fixture('h-listeners-flowable.bpmn20.xml').replace('encoding="UTF-8"', 'encoding="UTF-16"').replace('id="approve" name="Approve"', 'id="approve" name="Genehmigen ✓"');
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const up = await fetch(`${t.base}/workflow/processdefinition?resourceName=flowable.bpmn20.xml`, {
      method: 'POST', headers: { ...ADMIN, 'Accept-API-Version': 'resource=1.0', 'Content-Type': 'application/xml' }, body: bytes,
    });
    expect(up.status).toBe(201);
    const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'flowableListeners' } });
    const task = await taskOf(started.body._id);
    expect(task).toMatchObject({ name: 'Genehmigen ✓', assignee: 'openidm-admin' });

    const python = fixture('h-listeners-flowable.bpmn20.xml').replace('<flowable:string>javascript</flowable:string>', '<flowable:string>python</flowable:string>');
    const refused = await t.call('POST', '/workflow/processdefinition', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: python });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe(
      'Cannot deploy upload.bpmn: flowable:taskListener (event "create") on userTask "approve" is written in "python": python is not supported; reconflow runs JavaScript and Groovy listeners (scriptFormat/language "javascript" or "groovy")',
    );
    expect(refused.body.detail).toEqual({ elementId: 'approve' });
  });
});
