// The process-testing kit on the shipped process and on Activiti/Flowable-style files: what a
// modeler's own tests look like.
import { processTestKit, ProcessTestKit } from '../../src/testing';

const START = Date.UTC(2030, 0, 1);
const vars = (sourceId: string) => ({ sourceId, mapping: 'systemCsvfileAccounts_managedUser', reconId: 'r1' });

describe('kit: processes/managedUserApproval.bpmn', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: START });
    await kit.deploy('processes/managedUserApproval.bpmn');
  });
  afterEach(() => kit.close());

  it('approve: ends at approved and enqueues the createUser job', async () => {
    const p = await kit.start('managedUserApproval', vars('bjensen'));
    const task = await p.expectWaitingAt('evaluateRequest', {
      assignee: 'async.admin',
      name: 'Evaluate request',
      formFields: ['requesterName', 'requestApproved'],
      formValues: { requesterName: 'bjensen', requestApproved: undefined },
      description: 'Decide whether a managed user should be created for the source account bjensen.',
    });
    expect(task.createTime).toBe(new Date(START).toISOString());
    await p.expectTimer('escalationTimer', { at: START + 3 * 24 * 3600_000 });
    await p.complete('evaluateRequest', { requestApproved: 'true' });
    await p.expectEndedAt('approved');
    const job = await p.expectJob('createUser');
    expect(job.payload).toMatchObject({ processInstanceId: p.id, activityId: 'approved', variables: { sourceId: 'bjensen', requestApproved: 'true' } });
    expect(await p.variables()).toEqual({ ...vars('bjensen'), requestApproved: 'true' });
    expect(await kit.tasks()).toEqual([]);
    expect(await p.timers()).toEqual([]);
  });

  it("close() stops the runtime's engine threads (idempotently) and the database", async () => {
    const other = await processTestKit({ now: START });
    await other.deploy('processes/managedUserApproval.bpmn');
    const closeRuntime = jest.spyOn(other.runtime, 'close');
    await other.close();
    expect(closeRuntime).toHaveBeenCalledTimes(1);
    await expect(other.runtime.close()).resolves.toBeUndefined();
    await expect(other.start('managedUserApproval', vars('bjensen'))).rejects.toThrow();
  });

  it('reject: ends at rejected with no job', async () => {
    const p = await kit.start('managedUserApproval', vars('scarter'));
    await p.complete('evaluateRequest', { requestApproved: false });
    await p.expectEndedAt('rejected');
    await p.expectNoJob();
    expect(await kit.jobs()).toEqual([]);
  });

  it('validates the form like the REST API, and only the assignee (or an admin) may complete', async () => {
    const p = await kit.start('managedUserApproval', vars('bob'));
    await expect(p.complete('evaluateRequest', {})).rejects.toMatchObject({ code: 400, message: expect.stringContaining('requestApproved') });
    await expect(p.complete('evaluateRequest', { requestApproved: 'maybe' })).rejects.toMatchObject({ code: 400 });
    await expect(p.complete('evaluateRequest', { requestApproved: 'true' }, { as: 'mallory' })).rejects.toMatchObject({ code: 403 });
    await p.complete('evaluateRequest', { requestApproved: 'true' }, { as: { userName: 'openidm-admin', roles: ['openidm-admin'] } });
    await p.expectEndedAt('approved');
  });

  it('escalates to openidm-admin once the clock passes P3D, and not before', async () => {
    const p = await kit.start('managedUserApproval', vars('jdoe'));
    await kit.clock.advance('P2DT23H59M59S');
    expect(await kit.fireTimers()).toBe(0);
    await p.expectWaitingAt('evaluateRequest');
    await kit.clock.advance('PT1S');
    expect(await kit.fireTimers()).toBe(1);
    await p.expectNotWaitingAt('evaluateRequest');
    const escalated = await p.expectWaitingAt('escalatedReview', {
      assignee: 'openidm-admin',
      name: 'Review escalated request',
      formValues: { requesterName: 'jdoe' },
    });
    expect(escalated.createTime).toBe(new Date(START + 3 * 24 * 3600_000).toISOString());
    expect(await kit.tasks({ assignee: 'async.admin' })).toEqual([]);
    expect(await p.timers()).toEqual([]);
    await p.complete('escalatedReview', { requestApproved: 'true' });
    await p.expectEndedAt('approved');
    await p.expectJob('createUser');
  });

  it('takes escalationDuration from the start variables', async () => {
    const p = await kit.start('managedUserApproval', { ...vars('fast'), escalationDuration: 'PT2H' });
    await p.expectTimer('escalationTimer', { at: START + 2 * 3600_000 });
    expect(await kit.advance('PT2H')).toBe(1);
    await p.expectWaitingAt('escalatedReview', { assignee: 'openidm-admin' });
  });

  it('expectations explain what they found', async () => {
    const p = await kit.start('managedUserApproval', vars('ann'));
    await expect(p.expectEndedAt('approved')).rejects.toThrow(/expected process instance \d+ to have ended at "approved", but it waits at evaluateRequest \(task \d+, assignee async\.admin\)/);
    await expect(p.expectWaitingAt('evaluateRequest', { assignee: 'someone' })).rejects.toThrow(/assignee: expected "someone", found "async\.admin"/);
    await expect(p.expectWaitingAt('escalatedReview')).rejects.toThrow(/to wait at "escalatedReview", but it waits at evaluateRequest/);
    await expect(p.expectJob('createUser')).rejects.toThrow(/"createUser" job, but found no job/);
    await expect(p.complete('escalatedReview', { requestApproved: 'true' })).rejects.toThrow(/has no open task "escalatedReview": it waits at evaluateRequest/);
    await p.complete('evaluateRequest', { requestApproved: 'false' });
    await expect(p.expectWaitingAt('evaluateRequest')).rejects.toThrow(/but it ended at rejected/);
    await expect(p.expectTimer('escalationTimer')).rejects.toThrow(/but found no timer/);
  });

  it('a completion that runs into a broken expression is refused with 500 naming it; the task stays open (all or nothing)', async () => {
    const fs = await import('node:fs');
    const xml = fs.readFileSync('processes/managedUserApproval.bpmn', 'utf8').replace("${requestApproved == 'true'}", '${requestApproved == }');
    const def = await kit.deployXml(xml, 'broken.bpmn');
    expect(def.version).toBe(2);
    const p = await kit.start(def, vars('eve'));
    await expect(p.complete('evaluateRequest', { requestApproved: 'true' })).rejects.toMatchObject({ code: 500, detail: { activityId: 'approvalGateway', cause: expect.stringMatching(/requestApproved ==/) } });
    await p.expectWaitingAt('evaluateRequest', { assignee: 'async.admin' });
    expect(await p.variables()).not.toHaveProperty('requestApproved');
    expect(kit.logs.some((l) => l.level === 'warn' && /failed at approvalGateway.*Nothing was stored/.test(l.message))).toBe(true);
  });
});

describe.each([
  ['Activiti', 'test/fixtures/bpmn/activiti-style.bpmn20.xml'],
  ['Flowable', 'test/fixtures/bpmn/flowable-style.bpmn20.xml'],
])('kit: %s dialect', (_dialect, file) => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: '2030-06-01T08:00:00Z' });
  });
  afterEach(() => kit.close());

  it('deploys and resolves assignee, candidates, form key, due date, priority and form', async () => {
    const def = await kit.deploy(file);
    expect(def).toMatchObject({ key: 'dialectApproval', version: 1, created: true });
    expect(def.tasks[0]).toMatchObject({ assignee: '${approver}', dueDate: 'PT2H', priority: '${urgency}', formKey: 'approvalForm' });
    const p = await kit.start('dialectApproval', { sourceId: 'bjensen', approver: 'async.admin', urgency: 80 });
    const task = await p.expectWaitingAt('evaluateRequest', {
      name: 'Evaluate request',
      assignee: 'async.admin',
      candidateUsers: ['bjensen', 'jdoe'],
      candidateGroups: ['openidm-admin', 'approvers'],
      formKey: 'approvalForm',
      dueDate: '2030-06-01T10:00:00Z',
      priority: 80,
      description: 'Approve bjensen?',
      formFields: ['requesterName', 'requestApproved', 'comment'],
      formValues: { requesterName: 'bjensen' },
    });
    expect(task.form).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'requestApproved', required: true, type: { name: 'enum', values: { true: 'Yes', false: 'No' } } })]),
    );
    await expect(p.complete('evaluateRequest', { comment: 'no decision' })).rejects.toMatchObject({ code: 400 });
    await p.complete('evaluateRequest', { requestApproved: 'true', comment: 'fine by me' });
    await p.expectEndedAt('approved');
    // The formProperty's variable attribute names the process variable.
    expect(await p.variables()).toMatchObject({ requestApproved: 'true', approvalComment: 'fine by me' });
  });

  it('an unassigned task goes to its candidates: the default gateway flow rejects', async () => {
    await kit.deploy(file);
    const p = await kit.start('dialectApproval', { sourceId: 'scarter' });
    await p.expectWaitingAt('evaluateRequest', { assignee: null, candidateUsers: ['scarter', 'jdoe'], priority: 50 });
    await expect(p.complete('evaluateRequest', { requestApproved: 'false' }, { as: 'mallory' })).rejects.toMatchObject({ code: 403 });
    await p.complete('evaluateRequest', { requestApproved: 'false' }, { as: { userName: 'someone', roles: ['approvers'] } });
    await p.expectEndedAt('rejected');
  });
});
