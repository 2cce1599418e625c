// Asynchronous continuations (camunda:asyncBefore / asyncAfter): the step that reaches the boundary
// commits there and enqueues a workflow.continue job in the same transaction; the job's handler
// (WorkflowRuntime.continueJob) runs the rest in the job's transaction; a failing continuation
// throws (the job queue retries it) and leaves the instance waiting at the boundary, unchanged.
import fs from 'node:fs';
import { Worker, defaultWorkerOptions } from '../../src/jobs/worker';
import * as instances from '../../src/repo/processInstances';
import * as tasks from '../../src/repo/tasks';
import { Definitions } from '../../src/workflow/definitions';
import { WorkflowRuntime } from '../../src/workflow/runtime';
import { createTestDb, TestDb } from '../helpers/db';
import { CONTINUE_TOPIC } from '../../src/workflow/asyncBoundaries';
import { DefinitionError } from '../../src/workflow/interfaces';
import { processTestKit, ProcessTestKit } from '../../src/testing';
import { eventually } from '../helpers/server';

const FILE = 'test/fixtures/bpmn/async-continuation.bpmn';

describe('asynchronous continuations', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: '2030-01-01T09:00:00Z' });
  });
  afterEach(() => kit.close());

  const runJob = async (key: string) => {
    const job = (await kit.jobs(CONTINUE_TOPIC)).find((j) => j.key === key)!;
    return kit.db.knex.transaction((trx) => kit.runtime.continueJob(trx, job.payload, job));
  };

  it('are refused at deploy where no job handler continues them', async () => {
    await expect(kit.deploy(FILE)).rejects.toThrow(DefinitionError);
    await expect(kit.deploy(FILE)).rejects.toThrow(/"work" has camunda:asyncBefore="true", and this server runs no workflow.continue job handler/);
  });

  it('commit before the marked step and after the marked task; a job continues each', async () => {
    kit.definitions.asyncContinuations = true;
    await kit.deploy(FILE);
    const p = await kit.start('asyncContinuation', { sourceId: 'bjensen' });
    await p.complete('review', { requestApproved: 'true' });
    // Committed at the boundary: the decision is stored, the script has not run.
    expect(await p.instance()).toMatchObject({ status: 'active', variables: { requestApproved: 'true' } });
    expect(await p.variables()).not.toHaveProperty('worked');
    expect(await p.tasks()).toEqual([]);
    const [first] = await p.jobs();
    expect(first).toMatchObject({ type: CONTINUE_TOPIC, state: 'queued', payload: { activityId: 'work' } });

    expect(await runJob(first.key)).toMatchObject({ continued: 'work', status: 'active' });
    await p.expectWaitingAt('confirm');
    expect(await p.variables()).toMatchObject({ worked: 1 });
    // Run again (a job that ran twice): nothing happens twice.
    expect(await runJob(first.key)).toMatchObject({ skipped: expect.stringMatching(/waits at no continuation boundary/) });
    expect(await p.variables()).toMatchObject({ worked: 1 });

    await p.complete('confirm', {});
    expect((await p.instance()).status).toBe('active');
    const second = (await p.jobs()).find((j) => j.key !== first.key)!;
    expect(second.payload).toMatchObject({ activityId: 'confirm' });
    await runJob(second.key);
    await p.expectEndedAt('end');
  });

  it('a start that reaches a boundary commits there too', async () => {
    kit.definitions.asyncContinuations = true;
    const xml = fs.readFileSync(FILE, 'utf8').replace('<bpmn:userTask id="review" name="Review"', '<bpmn:userTask id="review" name="Review" camunda:asyncBefore="true"');
    await kit.deployXml(xml, 'async-start.bpmn');
    const p = await kit.start('asyncContinuation', { sourceId: 's' });
    expect(await p.tasks()).toEqual([]);
    const [job] = await p.jobs();
    expect(job.payload).toMatchObject({ activityId: 'review' });
    await runJob(job.key);
    await p.expectWaitingAt('review');
  });

  it('a failing continuation throws for the job queue to retry, and leaves the instance at the boundary', async () => {
    kit.definitions.asyncContinuations = true;
    await kit.deploy(FILE);
    const p = await kit.start('asyncContinuation', { sourceId: 'x', failWork: 'yes' });
    await p.complete('review', { requestApproved: 'true' });
    const before = await p.instance();
    const [job] = await p.jobs();
    await expect(runJob(job.key)).rejects.toThrow(/continuing process instance \d+ after work failed at work: .*work failed/);
    const after = await p.instance();
    expect(after).toMatchObject({ status: 'active', version: before.version, variables: before.variables });
    expect(after.state?.equals(before.state!)).toBe(true);
  });
});

// On the repository the server uses (SQLite, or PostgreSQL with DATABASE_URL), with the real job worker.
describe('asynchronous continuations on the real job queue', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db.destroy());

  it('the job worker continues them to the end', async () => {
    const log = { info() {}, warn() {}, error() {} };
    const definitions = new Definitions(db, log);
    definitions.asyncContinuations = true;
    const runtime = new WorkflowRuntime(db, definitions, log);
    await definitions.deployXml(fs.readFileSync(FILE, 'utf8'), 'async-continuation.bpmn');
    const worker = new Worker(db.knex, { [CONTINUE_TOPIC]: runtime.continueJob }, { ...defaultWorkerOptions('test'), pollMs: 20 }, log);
    const approver = { component: 'managed/user' as const, id: 'a', userName: 'async.admin', roles: ['openidm-authorized'] };
    const openTask = async (id: number) => (await tasks.tasksOfInstance(db.knex, id))[0];
    worker.start();
    try {
      const { instance } = await runtime.start({ key: 'asyncContinuation', variables: { sourceId: 'w' } });
      await runtime.complete((await openTask(instance.id)).id, { requestApproved: 'true' }, approver);
      const confirm = await eventually(() => openTask(instance.id), 10_000, 'the confirm task');
      expect(confirm.taskDefinitionKey).toBe('confirm');
      await runtime.complete(confirm.id, {}, approver);
      const ended = await eventually(async () => {
        const row = await instances.readInstance(db.knex, instance.id);
        return row?.status === 'ended' ? row : undefined;
      }, 10_000, 'the end');
      expect(ended.variables).toMatchObject({ worked: 1, requestApproved: 'true' });
      const jobs = await db.knex('job').where({ type: CONTINUE_TOPIC }).orderBy('id');
      expect(jobs.map((j: { state: string }) => j.state)).toEqual(['done', 'done']);
    } finally {
      await worker.stop();
    }
  });
});
