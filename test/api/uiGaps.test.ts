// The console's remaining gaps of issue 17 on the REST side: exact totals for jobs and the recon
// audit, recon runs as a CREST query (IDM's {reconciliations} answer kept without query parameters),
// incident retry by query, and a task's escalationDeadline (its activity's boundary timer).
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import { runRecon } from '../helpers/recon';
import { enqueue } from '../../src/jobs';

const enc = encodeURIComponent;
const MAPPING = 'systemCsvfileAccounts_managedUser';

describe('issue 17 gaps: totals, paged recon runs, retry by query, escalation deadline', () => {
  let t: TestServer;
  const runIds: string[] = [];

  beforeAll(async () => {
    t = await startTestServer({ workers: false });
    // Three runs: each writes audit entries and (approvals) enqueues jobs.
    for (let i = 0; i < 3; i++) runIds.push((await runRecon(t, MAPPING))._id);
  });
  afterAll(async () => {
    await t.close();
  });

  it('jobs answer an EXACT total counted with the same filter, and none without the policy', async () => {
    const all = await t.call('GET', '/jobs?_queryFilter=true', { headers: ADMIN });
    expect(all.status).toBe(200);
    expect(all.body.totalPagedResults).toBe(-1);
    const n = all.body.resultCount;
    const page = await t.call('GET', '/jobs?_queryFilter=true&_pageSize=1&_totalPagedResultsPolicy=EXACT', { headers: ADMIN });
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ resultCount: Math.min(1, n), totalPagedResultsPolicy: 'EXACT', totalPagedResults: n, remainingPagedResults: Math.max(0, n - 1) });
    const filtered = await t.call('GET', `/jobs?_queryFilter=${enc('state eq "nosuchstate"')}&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN });
    expect(filtered.body).toMatchObject({ resultCount: 0, totalPagedResults: 0 });
  });

  it('audit/recon answers an EXACT total over the filter', async () => {
    const all = await t.call('GET', '/audit/recon?_queryFilter=true', { headers: ADMIN });
    const n = all.body.resultCount;
    expect(n).toBeGreaterThan(2);
    const page = await t.call('GET', '/audit/recon?_queryFilter=true&_pageSize=2&_totalPagedResultsPolicy=EXACT', { headers: ADMIN });
    expect(page.body).toMatchObject({ resultCount: 2, totalPagedResults: n, remainingPagedResults: n - 2 });
    expect(page.body.pagedResultsCookie).toEqual(expect.any(String));
    const one = all.body.result.filter((e: any) => e.reconId === runIds[1]).length;
    const byRun = await t.call('GET', `/audit/recon?_queryFilter=${enc(`reconId eq "${runIds[1]}"`)}&_pageSize=1&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN });
    expect(byRun.body).toMatchObject({ resultCount: 1, totalPagedResults: one });
  });

  it('recon without query parameters keeps IDM\'s {reconciliations} answer', async () => {
    const r = await t.call('GET', '/recon', { headers: ADMIN });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['reconciliations']);
    expect(r.body.reconciliations.map((x: any) => x._id)).toEqual([...runIds].reverse());
  });

  it('recon with _queryFilter is a CREST query: newest first, paged by cookie, EXACT total, sortable', async () => {
    const first = await t.call('GET', '/recon?_queryFilter=true&_pageSize=2&_totalPagedResultsPolicy=EXACT', { headers: ADMIN });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ resultCount: 2, totalPagedResults: 3, remainingPagedResults: 1 });
    expect(first.body.result.map((x: any) => x._id)).toEqual([runIds[2], runIds[1]]);
    const second = await t.call('GET', `/recon?_queryFilter=true&_pageSize=2&_pagedResultsCookie=${enc(first.body.pagedResultsCookie)}&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN });
    expect(second.body).toMatchObject({ resultCount: 1, pagedResultsCookie: null, totalPagedResults: 3, remainingPagedResults: 0 });
    expect(second.body.result[0]._id).toBe(runIds[0]);
    const oldest = await t.call('GET', '/recon?_queryFilter=true&_sortKeys=started', { headers: ADMIN });
    expect(oldest.body.result.map((x: any) => x._id)).toEqual(runIds);
    const byId = await t.call('GET', `/recon?_queryFilter=${enc(`_id eq "${runIds[1]}" and mapping eq "${MAPPING}"`)}&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN });
    expect(byId.body).toMatchObject({ resultCount: 1, totalPagedResults: 1 });
    expect(byId.body.result[0]).toMatchObject({ _id: runIds[1], mapping: MAPPING, state: 'SUCCESS' });
    const none = await t.call('GET', `/recon?_queryFilter=${enc('state eq "ACTIVE"')}&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN });
    expect(none.body).toMatchObject({ resultCount: 0, totalPagedResults: 0 });
    const bad = await t.call('GET', '/recon?_queryFilter=true&_sortKeys=progress', { headers: ADMIN });
    expect([bad.status, bad.body.message]).toEqual([400, 'Sort key: progress is not valid']);
    const badField = await t.call('GET', `/recon?_queryFilter=${enc('progress/total gt 1')}`, { headers: ADMIN });
    expect(badField.status).toBe(400);
  });

  describe('incident retry by query', () => {
    const deadJobs = async (type: string, n: number) => {
      for (let i = 0; i < n; i++) await enqueue(t.db.knex, { key: `${type}:${i}`, type, payload: {} });
      await t.db.knex('job').where({ type }).update({ state: 'dead', last_error: `${type} failed` });
    };

    it('retries every matching incident and says what happened to each', async () => {
      await deadJobs('gapsRetry', 3);
      const r = await t.call('POST', `/workflow/incident?_action=retry&_queryFilter=${enc('jobType eq "gapsRetry"')}`, { headers: ADMIN });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ matched: 3, retried: 3, failed: 0 });
      expect(r.body.results.map((x: any) => x.status)).toEqual(['retried', 'retried', 'retried']);
      expect((await t.db.knex('job').where({ type: 'gapsRetry' }).pluck('state')).sort()).toEqual(['queued', 'queued', 'queued']);
      // Nothing matches any more: 400, nothing was retried (never a 2xx for a retry that did not happen).
      const again = await t.call('POST', `/workflow/incident?_action=retry&_queryFilter=${enc('jobType eq "gapsRetry"')}`, { headers: ADMIN });
      expect([again.status, again.body.message]).toEqual([400, 'No incident matches the query filter: nothing was retried']);
    });

    it('answers 409 with each refusal when none could be retried, and lists a mixed outcome', async () => {
      const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId: 'gaps.failed', mapping: 'm', reconId: 'r' } });
      const pid = started.body._id;
      await t.db.knex('process_instance').where({ id: Number(pid) }).update({ status: 'failed', error: 'gaps: broke' });
      const only = await t.call('POST', `/workflow/incident?_action=retry&_queryFilter=${enc(`processInstanceId eq "${pid}"`)}`, { headers: ADMIN });
      expect(only.status).toBe(409);
      expect(only.body.detail).toMatchObject({ matched: 1, retried: 0, failed: 1, results: [{ _id: `instance-${pid}`, status: 'failed', message: expect.stringContaining('cannot be re-run') }] });
      await deadJobs('gapsMixed', 1);
      const mixed = await t.call('POST', `/workflow/incident?_action=retry&_queryFilter=${enc(`processInstanceId eq "${pid}" or jobType eq "gapsMixed"`)}`, { headers: ADMIN });
      expect(mixed.status).toBe(200);
      expect(mixed.body).toMatchObject({ matched: 2, retried: 1, failed: 1 });
      expect(mixed.body.results.find((x: any) => x._id === `instance-${pid}`).status).toBe('failed');
    });

    it('is for administrators only: another user gets 403 and nothing is retried', async () => {
      await deadJobs('gapsForbidden', 1);
      const user = await t.call('POST', '/managed/user?_action=create', {
        headers: ADMIN,
        body: { _id: 'gapsuser', userName: 'gaps.user', givenName: 'Gaps', sn: 'User', mail: 'gaps.user@example.com', password: 'Passw0rd', authzRoles: [{ _ref: 'internal/role/openidm-authorized' }] },
      });
      expect(user.status).toBe(201);
      const r = await t.call('POST', `/workflow/incident?_action=retry&_queryFilter=${enc('jobType eq "gapsForbidden"')}`, { headers: { 'X-OpenIDM-Username': 'gaps.user', 'X-OpenIDM-Password': 'Passw0rd' } });
      expect(r.status).toBe(403);
      expect(await t.db.knex('job').where({ type: 'gapsForbidden' }).pluck('state')).toEqual(['dead']);
    });

    it('refuses more than 1,000 matching, no filter, and another action, with nothing retried', async () => {
      const ts = new Date().toISOString();
      const rows = Array.from({ length: 1001 }, (_, i) => ({ key: `gapsMany:${i}`, type: 'gapsMany', payload: '{}', state: 'dead', attempts: 8, max_attempts: 8, run_at: 0, created_at: ts, updated_at: ts, last_error: 'many' }));
      for (let i = 0; i < rows.length; i += 100) await t.db.knex('job').insert(rows.slice(i, i + 100));
      const many = await t.call('POST', `/workflow/incident?_action=retry&_queryFilter=${enc('jobType eq "gapsMany"')}`, { headers: ADMIN });
      expect(many.status).toBe(400);
      expect(many.body.message).toContain('1001 incidents match the query filter; at most 1000');
      expect(Number((await t.db.knex('job').where({ type: 'gapsMany', state: 'dead' }).count({ n: '*' }))[0].n)).toBe(1001);
      expect((await t.call('POST', '/workflow/incident?_action=retry', { headers: ADMIN })).status).toBe(400);
      expect((await t.call('POST', `/workflow/incident?_action=delete&_queryFilter=true`, { headers: ADMIN })).status).toBe(400);
      await t.db.knex('job').where({ type: 'gapsMany' }).delete();
    });
  });

  describe('escalationDeadline on a task', () => {
    const TIMER_BPMN = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:gaps">
  <bpmn:process id="gapsEscalation" name="Escalation" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review" />
    <bpmn:userTask id="review" name="Review" camunda:assignee="openidm-admin"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="late" attachedToRef="review"><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalated" />
    <bpmn:userTask id="escalated" name="Escalated" camunda:assignee="openidm-admin"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="escalated" targetRef="e2" />
    <bpmn:endEvent id="e2"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>`;
    const taskOf = async (pid: string) => (await t.call('GET', `/workflow/taskinstance?_queryFilter=${enc(`processInstanceId eq "${pid}"`)}`, { headers: ADMIN })).body.result[0];
    const near = (iso: string, expected: number) => Math.abs(Date.parse(iso) - expected) < 60_000;

    it('is the due time of the PT1H timer boundary event attached to the task', async () => {
      const dep = await fetch(`${t.base}/workflow/processdefinition?resourceName=gapsEscalation.bpmn`, { method: 'POST', headers: { ...ADMIN, 'Content-Type': 'application/xml' }, body: TIMER_BPMN });
      expect(dep.status).toBe(201);
      const before = Date.now();
      const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'gapsEscalation' } });
      expect(started.status).toBe(201);
      const task = await taskOf(started.body._id);
      const read = await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN });
      expect(read.status).toBe(200);
      expect(read.body.escalationDeadline).toEqual(expect.any(String));
      expect(near(read.body.escalationDeadline, before + 3600_000)).toBe(true);
      expect(near(read.body.escalationDeadline, Date.parse(read.body.createTime) + 3600_000)).toBe(true);
    });

    it('is the shipped approval\'s escalationTimer (escalationDuration), and null on a process without one', async () => {
      const before = Date.now();
      const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId: 'gaps.esc', mapping: 'm', reconId: 'r', escalationDuration: 'PT2H' } });
      expect(started.status).toBe(201);
      const task = await taskOf(started.body._id);
      const read = await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN });
      expect(read.body.taskDefinitionKey).toBe('evaluateRequest');
      expect(near(read.body.escalationDeadline, before + 2 * 3600_000)).toBe(true);
      const dep = await fetch(`${t.base}/workflow/processdefinition?resourceName=gapsPlain.bpmn`, {
        method: 'POST', headers: { ...ADMIN, 'Content-Type': 'application/xml' },
        body: TIMER_BPMN.replace('id="gapsEscalation"', 'id="gapsPlain"').replace(/<bpmn:boundaryEvent[\s\S]*?<\/bpmn:boundaryEvent>/, '').replace(/<bpmn:sequenceFlow id="f3"[\s\S]*?<bpmn:endEvent id="e2">[\s\S]*?<\/bpmn:endEvent>/, ''),
      });
      expect(dep.status).toBe(201);
      const plain = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'gapsPlain' } });
      const plainTask = await taskOf(plain.body._id);
      expect((await t.call('GET', `/workflow/taskinstance/${plainTask._id}`, { headers: ADMIN })).body.escalationDeadline).toBeNull();
    });
  });
});
