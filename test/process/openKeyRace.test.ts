// Exactly one open approval per open key, under concurrent starts (on SQLite, PostgreSQL with
// DATABASE_URL=postgres://…, MariaDB with mysql://…): many batches of startMany race for the same
// keys from two runtimes with pools of their own (two nodes; one on SQLite). Afterwards each key is held by one
// active instance with its task, every answer names that instance, and no instance exists without
// its key or task (an insert that skipped a row for any reason but the key being taken would
// leave a key without an approval, or an answer naming a row that is not there). No batch fails:
// before, PostgreSQL deadlocked on keys inserted in different orders and MariaDB, whose long
// unique key makes every race for a key a deadlock, failed batches with "This transaction was
// rolled back" (4060: INSERT IGNORE had turned the deadlock into a warning).
import fs from 'node:fs';
import path from 'node:path';
import { openDb } from '../../src/repo/db';
import { Definitions } from '../../src/workflow/definitions';
import { WorkflowRuntime, type StartRequest, type StartResult } from '../../src/workflow/runtime';
import { createTestDb, TestDb } from '../helpers/db';

const log = { info() {}, warn() {}, error() {} };
const XML = fs.readFileSync(path.resolve(__dirname, '../../processes/managedUserApproval.bpmn'), 'utf8');

describe('open keys under concurrent starts', () => {
  let db: TestDb;
  let second: ReturnType<typeof openDb> | undefined;
  const runtimes: WorkflowRuntime[] = [];
  beforeAll(async () => {
    db = await createTestDb();
    await new Definitions(db, log).deployXml(XML, 'managedUserApproval.bpmn');
    runtimes.push(new WorkflowRuntime(db, new Definitions(db, log), log));
    // A second node with its own pool over the same data (SQLite is one node's file).
    if (db.dialect !== 'sqlite') {
      second = openDb({ url: db.env.DATABASE_URL, schema: db.env.DATABASE_SCHEMA, projectDir: process.cwd() });
      runtimes.push(new WorkflowRuntime(second, new Definitions(second, log), log));
    }
  });
  afterAll(async () => {
    for (const r of runtimes) await r.close();
    await second?.knex.destroy();
    await db.destroy();
  });

  it('many overlapping batches from two nodes: each key one active instance with one task, every answer names it', async () => {
    const keys = 300;
    const batches = 24;
    const perBatch = 60;
    // Each batch takes a random slice of the keys (overlapping the others'), some twice within the batch.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const plans: StartRequest[][] = [];
    for (let b = 0; b < batches; b++) {
      const reqs: StartRequest[] = [];
      for (let i = 0; i < perBatch; i++) {
        const k = Math.floor(rnd() * keys);
        reqs.push({ key: 'managedUserApproval', openKey: `managedUserApproval|race|src-${k}`, variables: { sourceId: `src-${k}`, batch: b }, businessKey: `b${b}` });
      }
      plans.push(reqs);
    }
    const answers: { req: StartRequest; res: StartResult }[] = [];
    await Promise.all(
      plans.map(async (reqs, b) => {
        const res = await runtimes[b % runtimes.length].startMany(reqs);
        reqs.forEach((req, i) => answers.push({ req, res: res[i] }));
      }),
    );
    const wanted = new Set(plans.flat().map((r) => r.openKey!));
    const active: { id: unknown; open_key: string | null; status: string }[] = await db.knex('process_instance').select('id', 'open_key', 'status');
    const taskRows: { process_instance_id: unknown }[] = await db.knex('task').select('process_instance_id');
    const tasksOf = new Map<number, number>();
    for (const t of taskRows) tasksOf.set(Number(t.process_instance_id), (tasksOf.get(Number(t.process_instance_id)) ?? 0) + 1);
    const holder = new Map<string, number>();
    const problems: string[] = [];
    for (const r of active) {
      if (r.status !== 'active' || !r.open_key) problems.push(`instance ${r.id} is ${r.status} with key ${r.open_key}`);
      else if (holder.has(r.open_key)) problems.push(`key ${r.open_key} held twice`);
      else holder.set(r.open_key, Number(r.id));
      if (tasksOf.get(Number(r.id)) !== 1) problems.push(`instance ${r.id} has ${tasksOf.get(Number(r.id)) ?? 0} tasks`);
    }
    for (const k of wanted) if (!holder.has(k)) problems.push(`key ${k} has no approval`);
    for (const { req, res } of answers) {
      if (holder.get(req.openKey!) !== res.instance.id) problems.push(`a start of ${req.openKey} answered instance ${res.instance.id}, the key's holder is ${holder.get(req.openKey!)}`);
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(answers.filter((a) => a.res.created)).toHaveLength(wanted.size);
    expect(active).toHaveLength(wanted.size);
  });
});
