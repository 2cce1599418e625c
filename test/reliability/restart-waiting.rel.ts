// Issue 3's proof: instances waiting at evaluateRequest survive a SIGKILL of the server. After a
// restart the tasks are listed over REST and completing them ends each instance at the right end.
import fs from 'node:fs';
import { ADMIN, makeProject, record, reproduce, request, ServerProc, startServer, testDb } from './harness';

describe('waiting instances across SIGKILL', () => {
  const servers: ServerProc[] = [];
  afterAll(() => servers.forEach((s) => s.alive() && s.kill('SIGKILL')));

  it('lists the tasks after a restart and ends each instance at the end its decision leads to', async () => {
    const db = await testDb('restart-waiting');
    const project = makeProject('restart-waiting', null);
    try {
      const first = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-restart-waiting', workers: false });
      servers.push(first);
      const started: Record<string, string> = {};
      for (const sourceId of ['approve-me', 'reject-me']) {
        const r = await request(first.base, 'POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId, mapping: 'm', reconId: 'r' } });
        expect(r.status).toBe(201);
        started[sourceId] = (r.body as { _id: string })._id;
      }
      first.kill('SIGKILL');
      await first.exited;

      const second = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-restart-waiting', workers: false });
      servers.push(second);
      const list = await request(second.base, 'GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
      const tasks = (list.body as { result: { _id: string; processInstanceId: string; taskDefinitionKey: string }[] }).result;
      expect(tasks.map((t) => t.processInstanceId).sort()).toEqual(Object.values(started).sort());
      expect(tasks.every((t) => t.taskDefinitionKey === 'evaluateRequest')).toBe(true);
      const ends: Record<string, string> = {};
      for (const [sourceId, id] of Object.entries(started)) {
        const task = tasks.find((t) => t.processInstanceId === id)!;
        const done = await request(second.base, 'POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: sourceId === 'approve-me' ? 'true' : 'false' } });
        expect(done.status).toBe(200);
        const hist = await request(second.base, 'GET', `/workflow/processinstance/history/${id}`, { headers: ADMIN });
        ends[sourceId] = (hist.body as { endActivityId: string }).endActivityId;
      }
      expect(ends).toEqual({ 'approve-me': 'approved', 'reject-me': 'rejected' });
      record({
        id: '0-restart-waiting',
        scenario: 'Waiting instances across a crash',
        backend: db.backend,
        injected: 'SIGKILL while two instances wait at evaluateRequest; restart',
        tried: '2 instances',
        lost: 0,
        doubled: 0,
        measured: { listedAfterRestart: tasks.length, ends },
        command: reproduce('test/reliability/restart-waiting.rel.ts'),
      });
      await second.stop();
    } finally {
      await db.drop();
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});
