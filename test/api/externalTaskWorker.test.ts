// External service tasks against an unmodified camunda-external-task-client-js worker (a separate
// node process, test/fixtures/external/h-external-worker.mjs) over real HTTP: its completion's
// variables reach a gateway, its BPMN error is caught by the error boundary, its failures count
// retries down to an incident, its extendLock holds the task, and two workers racing handle each
// task exactly once. Runs on the backend DATABASE_URL selects.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';

const BPMN = fs.readFileSync('test/fixtures/bpmn/h-external-payment.bpmn', 'utf8');
const WORKER = path.resolve('test/fixtures/external/h-external-worker.mjs');

interface WorkerEvent {
  worker: string;
  event: string;
  id?: string;
  businessKey?: string;
  scenario?: string;
  retries?: number | null;
  priority?: number;
  amount?: number;
  activityId?: string;
  message?: string;
}

interface RunningWorker {
  events: WorkerEvent[];
  stop(): Promise<void>;
}

function startWorker(base: string, workerId: string, env: Record<string, string> = {}): RunningWorker {
  const events: WorkerEvent[] = [];
  const child: ChildProcess = spawn(process.execPath, [WORKER], {
    env: { ...process.env, BASE_URL: base, WORKER_ID: workerId, USERNAME: 'openidm-admin', PASSWORD: 'openidm-admin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim()) events.push(JSON.parse(line) as WorkerEvent);
    }
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    events,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      if (stderr.trim()) throw new Error(`worker ${workerId} wrote to stderr: ${stderr.slice(0, 2000)}`);
    },
  };
}

describe('external tasks with camunda-external-task-client-js', () => {
  let s: TestServer;
  let goDir: string;
  beforeAll(async () => {
    s = await startTestServer({ workers: false });
    await s.services.definitions.deployXml(BPMN, 'h-external-payment.bpmn');
    goDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-external-'));
  });
  afterAll(async () => {
    await s.close();
    fs.rmSync(goDir, { recursive: true, force: true });
  });

  const start = async (businessKey: string, variables: Record<string, unknown>) =>
    (await s.services.runtime.start({ key: 'payment', businessKey, variables: { priority: 5, ...variables } })).instance;
  const instance = async (id: number) => (await s.services.runtime.readInstance(id))!;
  const openTaskKeys = async (id: number) => (await s.services.runtime.tasksOfInstance(id)).map((t) => t.taskDefinitionKey);

  it('runs complete, BPMN error, failure to an incident and extendLock, as the process says', async () => {
    const charge = await start('order-1', { scenario: 'charge', amount: 12.5 });
    const refuse = await start('order-2', { scenario: 'refuse' });
    const decline = await start('order-3', { scenario: 'decline' });
    const unknown = await start('order-4', { scenario: 'unknownError' });
    const fail = await start('order-5', { scenario: 'fail' });
    const slow = await start('order-6', { scenario: 'slow' });
    // Each start stored one external task row, visible in Camunda's list shape.
    const listed = await s.call('GET', '/external-task?topicName=charge-card', { headers: ADMIN });
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(6);
    expect((await s.call('GET', '/external-task/count?topicName=charge-card&notLocked=true', { headers: ADMIN })).body).toEqual({ count: 6 });
    expect(listed.body[0]).toMatchObject({ topicName: 'charge-card', activityId: 'charge', processDefinitionKey: 'payment', businessKey: 'order-1', priority: 5, retries: null, workerId: null, lockExpirationTime: null });

    const goFile = path.join(goDir, 'go');
    const worker = startWorker(s.base, 'worker-a', { GO_FILE: goFile });
    try {
      // extendLock: the task is held well past the client's 10 s lock until the worker goes on.
      const extended = await eventually(async () => worker.events.find((e) => e.event === 'extended'), 20_000, 'extendLock');
      const held = await s.call('GET', `/external-task/${extended.id}`, { headers: ADMIN });
      expect(held.body.workerId).toBe('worker-a');
      expect(Date.parse(held.body.lockExpirationTime.replace(/\+0000$/, 'Z'))).toBeGreaterThan(Date.now() + 5 * 60_000);
      fs.writeFileSync(goFile, 'go');

      await eventually(async () => (await instance(slow.id)).state !== slow.state && (await openTaskKeys(slow.id)).includes('review'), 20_000, 'slow completion');
      // The completion's variables reached the gateway condition ${charged}; a Json value came back an object.
      await eventually(async () => (await openTaskKeys(charge.id)).includes('review'), 20_000, 'charge completion');
      expect((await instance(charge.id)).variables).toMatchObject({ charged: true, receipt: { number: 'R-order-1', lines: [1, 2] }, amount: 12.5 });
      await eventually(async () => (await instance(refuse.id)).status === 'ended', 20_000, 'refused completion');
      expect((await instance(refuse.id)).endActivityId).toBe('rejectedEnd');
      // handleBpmnError: the boundary with errorCode CARD_DECLINED caught it; its variables are set.
      await eventually(async () => (await openTaskKeys(decline.id)).includes('handleDecline'), 20_000, 'caught BPMN error');
      expect((await instance(decline.id)).variables).toMatchObject({ declineReason: 'insufficient funds' });
      // A BPMN error nothing catches fails the instance, naming the code: an incident, never a silent end.
      await eventually(async () => (await instance(unknown.id)).status === 'failed', 20_000, 'uncaught BPMN error');
      expect((await instance(unknown.id)).error).toMatch(/BPMN error "NOT_MODELED" \(nobody catches this\) reported by the external task worker at charge was not caught/);
      // handleFailure: retries 1 after the first failure, fetched again after the retry timeout, 0 after the second.
      const failed = await eventually(async () => {
        const r = await s.call('GET', `/external-task?processInstanceId=${fail.id}`, { headers: ADMIN });
        return r.body[0]?.retries === 0 ? r.body[0] : undefined;
      }, 20_000, 'retries exhausted');
      expect(worker.events.filter((e) => e.businessKey === 'order-5' && e.event === 'fetched').map((e) => e.retries)).toEqual([null, 1]);
      expect(failed).toMatchObject({ errorMessage: 'payment gateway down', retries: 0 });
      const details = await fetch(`${s.base}/external-task/${failed.id}/errorDetails`, { headers: ADMIN });
      expect(await details.text()).toBe('ECONNREFUSED 10.0.0.1:443');
      const incidents = await s.call('GET', '/workflow/incident?_queryFilter=true', { headers: ADMIN });
      expect(incidents.body.result).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ _id: `externalTask-${failed.id}`, type: 'failedExternalTask', processInstanceId: String(fail.id), activityId: 'charge', cause: 'payment gateway down' }),
          expect.objectContaining({ _id: `instance-${unknown.id}`, type: 'failedInstance', activityId: 'charge' }),
        ]),
      );
      // With no retries left it is not fetched again; the instance keeps waiting there.
      await new Promise((r) => setTimeout(r, 500));
      expect(worker.events.filter((e) => e.businessKey === 'order-5' && e.event === 'fetched')).toHaveLength(2);
      expect((await instance(fail.id)).status).toBe('active');
      // The incident's retry gives it one more: the worker fetches it a third time.
      const retried = await s.call('POST', `/workflow/incident/externalTask-${failed.id}?_action=retry`, { headers: ADMIN });
      expect(retried.body).toEqual({ _id: `externalTask-${failed.id}`, status: 'retried' });
      await eventually(async () => worker.events.filter((e) => e.businessKey === 'order-5' && e.event === 'fetched').length === 3, 20_000, 'refetch after retry');

      // Every worker saw the instance's variables and the task's priority; no call failed.
      expect(worker.events.find((e) => e.businessKey === 'order-1' && e.event === 'fetched')).toMatchObject({ amount: 12.5, priority: 5, activityId: 'charge' });
      expect(worker.events.filter((e) => e.event.endsWith(':error'))).toEqual([]);
    } finally {
      await worker.stop();
    }
    // Completed and moved-on tasks are gone; only the failing one is left.
    const left = await s.call('GET', '/external-task', { headers: ADMIN });
    expect(left.body.map((t: { processInstanceId: string }) => t.processInstanceId)).toEqual([String(fail.id)]);
  }, 60_000);

  it('two workers racing handle each task exactly once', async () => {
    const started: { id: number }[] = [];
    for (let i = 0; i < 24; i++) started.push(await start(`race-${i}`, { scenario: 'charge' }));
    const a = startWorker(s.base, 'racer-a', { MAX_TASKS: '3' });
    const b = startWorker(s.base, 'racer-b', { MAX_TASKS: '3' });
    try {
      await eventually(async () => {
        for (const inst of started) if (!(await openTaskKeys(inst.id)).includes('review')) return false;
        return true;
      }, 30_000, 'every raced instance completed');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const fetched = [...a.events, ...b.events].filter((e) => e.event === 'fetched' && e.businessKey?.startsWith('race-'));
    const done = [...a.events, ...b.events].filter((e) => e.event === 'done' && e.scenario === 'charge');
    expect(fetched).toHaveLength(24);
    expect(new Set(fetched.map((e) => e.id)).size).toBe(24);
    expect(done.length).toBeGreaterThanOrEqual(24);
    expect([...a.events, ...b.events].filter((e) => e.event.endsWith(':error'))).toEqual([]);
  }, 60_000);

  it('answers a worker without the lock 400 and an unknown task 404 (CREST error shape); refuses bad bodies', async () => {
    const inst = await start('order-lock', { scenario: 'charge' });
    const fetched = await s.call('POST', '/external-task/fetchAndLock', {
      headers: ADMIN,
      body: { workerId: 'manual', maxTasks: 1, topics: [{ topicName: 'charge-card', lockDuration: 60_000, businessKey: 'order-lock', variables: ['scenario'] }] },
    });
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('application/json');
    expect(fetched.body).toEqual([
      expect.objectContaining({ workerId: 'manual', processInstanceId: String(inst.id), businessKey: 'order-lock', variables: { scenario: { type: 'String', value: 'charge', valueInfo: {} } } }),
    ]);
    const id = fetched.body[0].id;
    const other = await s.call('POST', `/external-task/${id}/complete`, { headers: ADMIN, body: { workerId: 'intruder', variables: { charged: { value: true, type: 'Boolean' } } } });
    expect(other.status).toBe(400);
    expect(other.body).toEqual({ code: 400, reason: 'Bad Request', message: `External Task ${id} cannot be completed by worker 'intruder'. It is locked by worker 'manual'.` });
    expect((await s.call('POST', `/external-task/${id}/bpmnError`, { headers: ADMIN, body: { workerId: 'intruder', errorCode: 'X' } })).status).toBe(400);
    expect((await s.call('POST', `/external-task/${id}/extendLock`, { headers: ADMIN, body: { workerId: 'intruder', newDuration: 1000 } })).status).toBe(400);
    expect((await s.call('POST', '/external-task/999999/complete', { headers: ADMIN, body: { workerId: 'manual' } })).status).toBe(404);
    expect((await s.call('POST', `/external-task/${id}/complete`, { headers: ADMIN, body: { workerId: 'manual', variables: { charged: { value: 'yes', type: 'Boolean' } } } })).status).toBe(400);
    expect((await s.call('POST', `/external-task/${id}/complete`, { headers: ADMIN, body: { workerId: 'manual', variables: { f: { value: 'x', type: 'Bytes' } } } })).status).toBe(400);
    expect((await s.call('POST', '/external-task/fetchAndLock', { headers: ADMIN, body: { workerId: 'm', topics: [{ topicName: 'charge-card' }] } })).status).toBe(400);
    expect((await s.call('POST', '/external-task/fetchAndLock', { headers: ADMIN, body: { topics: [] } })).status).toBe(400);
    // Non-administrators may not work on external tasks.
    expect((await s.call('POST', '/external-task/fetchAndLock', { body: { workerId: 'm', topics: [] } })).status).toBe(401);
    // Unlock: anyone may release it; then another worker fetches and completes it.
    expect((await s.call('POST', `/external-task/${id}/unlock`, { headers: ADMIN })).status).toBe(204);
    const again = await s.call('POST', '/external-task/fetchAndLock', { headers: ADMIN, body: { workerId: 'second', maxTasks: 5, topics: [{ topicName: 'charge-card', lockDuration: 60_000, businessKey: 'order-lock' }] } });
    expect(again.body.map((t: { id: string }) => t.id)).toEqual([id]);
    expect((await s.call('POST', `/external-task/${id}/complete`, { headers: ADMIN, body: { workerId: 'second', variables: { charged: { value: true, type: 'Boolean' } } } })).status).toBe(204);
    expect(await openTaskKeys(inst.id)).toEqual(['review']);
    // Completed: the task is gone.
    expect((await s.call('POST', `/external-task/${id}/complete`, { headers: ADMIN, body: { workerId: 'second' } })).status).toBe(404);
    expect((await s.call('GET', `/external-task/${id}`, { headers: ADMIN })).status).toBe(404);
  });

  it('long polling answers as soon as a task appears, and at the timeout with none', async () => {
    const t0 = Date.now();
    const empty = await s.call('POST', '/external-task/fetchAndLock', { headers: ADMIN, body: { workerId: 'lp', maxTasks: 1, asyncResponseTimeout: 600, topics: [{ topicName: 'nothing-here', lockDuration: 1000 }] } });
    expect(empty.body).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    const polling = s.call('POST', '/external-task/fetchAndLock', { headers: ADMIN, body: { workerId: 'lp', maxTasks: 1, asyncResponseTimeout: 10_000, topics: [{ topicName: 'charge-card', lockDuration: 1000, businessKey: 'order-lp' }] } });
    await new Promise((r) => setTimeout(r, 300));
    const inst = await start('order-lp', { scenario: 'charge' });
    const got = await polling;
    expect(got.body).toEqual([expect.objectContaining({ processInstanceId: String(inst.id), workerId: 'lp' })]);
  });

  it('a waiting external task survives a restart: another server completes it from the stored state', async () => {
    const first = await startTestServer({ workers: false, keepDb: true });
    let second: TestServer | undefined;
    try {
      await first.services.definitions.deployXml(BPMN, 'h-external-payment.bpmn');
      const { instance: inst } = await first.services.runtime.start({ key: 'payment', businessKey: 'restart-1', variables: { scenario: 'charge', priority: 1 } });
      const locked = await first.call('POST', '/external-task/fetchAndLock', { headers: ADMIN, body: { workerId: 'w', maxTasks: 1, topics: [{ topicName: 'charge-card', lockDuration: 60_000 }] } });
      expect(locked.body).toHaveLength(1);
      await first.close();
      second = await startTestServer({ workers: false, db: first.db });
      // The lock outlived the restart: the same worker completes; the gateway reads its variable.
      const done = await second.call('POST', `/external-task/${locked.body[0].id}/complete`, { headers: ADMIN, body: { workerId: 'w', variables: { charged: { value: false, type: 'Boolean' } } } });
      expect(done.status).toBe(204);
      expect(await second.services.runtime.readInstance(inst.id)).toMatchObject({ status: 'ended', endActivityId: 'rejectedEnd', variables: { charged: false } });
    } finally {
      if (second) await second.close();
      else await first.close().catch(() => undefined).finally(() => first.db.destroy());
    }
    // Two server starts and a stop (its node id released) on a shared machine.
  }, 90_000);
});
