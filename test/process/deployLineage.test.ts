// Deployment that never surprises (issue 15, deliverable 7): a file of processes/ is compared with
// what the folder last held for that file, so a restart never supersedes a version deployed over
// REST; an upload naming a folder file continues that file's lineage; two nodes deploying the folder
// at the same moment store one version. Real servers restarted over the same database, both backends.
import fs from 'node:fs';
import path from 'node:path';
import { quietLogger } from '../../src/log';
import { Db, openDb } from '../../src/repo/db';
import { Definitions } from '../../src/workflow/definitions';
import { createTestDb, TestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

// Each test starts up to four real servers one after the other: allow for a loaded machine.
jest.setTimeout(180_000);

const XML = { ...ADMIN, 'Content-Type': 'application/xml' };
const KEY = 'managedUserApproval';

describe('the process folder and REST deployments across restarts', () => {
  let project: TestProject;
  let db: TestDb;
  let file: string;
  let original: string;
  const edited = (who: string) => original.replace('camunda:assignee="async.admin"', `camunda:assignee="${who}"`);

  beforeEach(async () => {
    project = makeProject();
    db = await createTestDb();
    file = path.join(project.dir, 'processes', `${KEY}.bpmn`);
    original = fs.readFileSync(file, 'utf8');
  });
  afterEach(async () => {
    await db.destroy();
    project.remove();
  });

  const server = () => startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
  const versions = async (t: TestServer) =>
    ((await t.call('GET', '/workflow/processdefinition?_queryFilter=true&_fields=version,resourceName,key', { headers: ADMIN })).body.result as { key: string; version: number; resourceName: string }[])
      .filter((d) => d.key === KEY)
      .map((d) => [d.version, d.resourceName]);
  const startOn = async (t: TestServer) => {
    const r = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: KEY, sourceId: 'u', mapping: 'm', reconId: 'r' } });
    expect(r.status).toBe(201);
    return r.body.processDefinitionId as string;
  };
  const upload = async (t: TestServer, xml: string, resourceName?: string) => {
    const r = await t.call('POST', `/workflow/processdefinition${resourceName ? `?resourceName=${resourceName}` : ''}`, { headers: XML, raw: xml });
    expect(r.status).toBe(201);
    return r.body as { _id: string; version: number; resourceName: string };
  };

  it('a restart keeps a REST upload the latest: the unchanged file is not deployed again', async () => {
    let t = await server();
    const v2 = await upload(t, edited('rest.approver'));
    expect(v2).toMatchObject({ version: 2, resourceName: 'upload.bpmn' });
    await t.close();

    // A fresh server over the same database and folder: nothing new, new approvals run the upload.
    t = await server();
    try {
      expect(await versions(t)).toEqual([[1, `${KEY}.bpmn`], [2, 'upload.bpmn']]);
      expect(await startOn(t)).toBe(v2._id);
    } finally {
      await t.close();
    }

    // The file itself edited: it changed since the folder last read it, so it becomes the latest.
    fs.writeFileSync(file, edited('file.approver'));
    t = await server();
    try {
      expect(await versions(t)).toEqual([[1, `${KEY}.bpmn`], [2, 'upload.bpmn'], [3, `${KEY}.bpmn`]]);
      expect(await startOn(t)).toMatch(/^managedUserApproval:3:/);
    } finally {
      await t.close();
    }
  });

  it('an upload naming the folder file continues its lineage: a copy of it in the folder is no new version, and an unchanged file never reverts a later upload', async () => {
    let t = await server();
    const v2 = await upload(t, edited('lineage.one'), `${KEY}.bpmn`);
    expect(v2).toMatchObject({ version: 2, resourceName: `${KEY}.bpmn` });
    await t.close();

    t = await server();
    expect(await versions(t)).toEqual([[1, `${KEY}.bpmn`], [2, `${KEY}.bpmn`]]);
    await t.close();

    // The operator copies the uploaded content into the folder: the same content, no new version.
    fs.writeFileSync(file, edited('lineage.one'));
    t = await server();
    expect(await versions(t)).toEqual([[1, `${KEY}.bpmn`], [2, `${KEY}.bpmn`]]);
    const v3 = await upload(t, edited('lineage.two'), `${KEY}.bpmn`);
    await t.close();

    // The folder still holds what it last read (lineage.one): v3 stays the latest.
    t = await server();
    try {
      expect(await versions(t)).toEqual([[1, `${KEY}.bpmn`], [2, `${KEY}.bpmn`], [3, `${KEY}.bpmn`]]);
      expect(await startOn(t)).toBe(v3._id);
    } finally {
      await t.close();
    }
  });

  it('a version deleted over REST comes back from its file at the next start', async () => {
    let t = await server();
    const v2 = await upload(t, edited('gone.soon'));
    const v1 = (await t.call('GET', '/workflow/processdefinition?_queryFilter=true', { headers: ADMIN })).body.result[0]._id as string;
    expect(v1).toMatch(/^managedUserApproval:1:/);
    expect((await t.call('DELETE', `/workflow/processdefinition/${v1}`, { headers: ADMIN })).status).toBe(200);
    expect((await t.call('DELETE', `/workflow/processdefinition/${v2._id}`, { headers: ADMIN })).status).toBe(200);
    await t.close();
    t = await server();
    try {
      // Numbered after the highest version left (none).
      expect(await versions(t)).toEqual([[1, `${KEY}.bpmn`]]);
      expect(await startOn(t)).toMatch(/^managedUserApproval:1:/);
    } finally {
      await t.close();
    }
  });
});

describe('two nodes deploying the folder at the same moment', () => {
  // On SQLite both nodes share the one connection (a second in this process would busy-wait on the
  // write lock synchronously); their reads and transactions still interleave. PostgreSQL: two pools.
  let db: TestDb;
  let second: Db;
  let project: TestProject;
  beforeEach(async () => {
    db = await createTestDb();
    second = db.dialect !== 'sqlite' ? openDb({ url: db.env.DATABASE_URL, schema: db.env.DATABASE_SCHEMA, projectDir: process.cwd() }) : db;
    project = makeProject();
  });
  afterEach(async () => {
    if (second !== db) await second.knex.destroy();
    await db.destroy();
    project.remove();
  });

  it('store one version, one winner, at first start and after an edit', async () => {
    const dir = path.join(project.dir, 'processes');
    const deployBoth = async () => {
      const [a, b] = await Promise.all([new Definitions(db, quietLogger).deployDirectory(dir), new Definitions(second, quietLogger).deployDirectory(dir)]);
      expect([...a.failed, ...b.failed]).toEqual([]);
      return [a.deployed.length, b.deployed.length].sort();
    };
    expect(await deployBoth()).toEqual([0, 1]);
    const file = path.join(dir, `${KEY}.bpmn`);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('camunda:assignee="async.admin"', 'camunda:assignee="raced"'));
    expect(await deployBoth()).toEqual([0, 1]);
    expect(await deployBoth()).toEqual([0, 0]);
    const rows = await db.knex('process_definition').where({ key: KEY }).orderBy('version').select('version', 'resource_name');
    expect(rows.map((r) => [Number(r.version), r.resource_name])).toEqual([[1, `${KEY}.bpmn`], [2, `${KEY}.bpmn`]]);
  });
});
