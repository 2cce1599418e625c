// docs/modeling.md's worked example: a second approval stage added to managedUserApproval by
// editing the BPMN alone (docs/examples/twoStageApproval.bpmn), tested with the process kit.
import { processTestKit, ProcessTestKit } from '../../src/testing';

const START = Date.UTC(2030, 0, 1, 9);
const DAY = 24 * 3600_000;
const vars = (sourceId: string) => ({ sourceId, mapping: 'systemCsvfileAccounts_managedUser', reconId: 'r1' });
const MANAGER = { userName: 'mgr', roles: ['managers'] };

describe('two-stage approval (docs/examples/twoStageApproval.bpmn)', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: START });
    await kit.deploy('processes/managedUserApproval.bpmn');
  });
  afterEach(() => kit.close());

  it('deploys as the next version of managedUserApproval; a waiting version-1 request keeps one stage', async () => {
    const old = await kit.start('managedUserApproval', vars('old'));
    const v2 = await kit.deploy('docs/examples/twoStageApproval.bpmn');
    expect(v2).toMatchObject({ key: 'managedUserApproval', version: 2, created: true });
    expect(v2.tasks.map((t) => t.id)).toEqual(['evaluateRequest', 'escalatedReview', 'managerApproval']);
    expect(v2.endEvents.map((e) => e.id)).toEqual(['approved', 'rejected', 'managerRejected']);

    await old.complete('evaluateRequest', { requestApproved: 'true' });
    await old.expectEndedAt('approved');
    await old.expectJob('createUser');
  });

  describe('on version 2', () => {
    beforeEach(async () => {
      await kit.deploy('docs/examples/twoStageApproval.bpmn');
    });

    it('async.admin approves, then a manager: approved, one createUser job', async () => {
      const p = await kit.start('managedUserApproval', vars('bjensen'));
      await p.complete('evaluateRequest', { requestApproved: 'true' });
      kit.clock.advance('PT1H');
      await p.expectNoJob();
      await p.expectWaitingAt('managerApproval', {
        name: 'Manager approval',
        assignee: null,
        candidateGroups: ['managers'],
        dueDate: START + DAY, // P1D from when the task started waiting, not from now
        priority: 70,
        formFields: ['requesterName', 'managerApproved', 'managerComment'],
        formValues: { requesterName: 'bjensen' },
        description: 'async.admin approved creating a managed user for bjensen. Do you approve as well?',
      });
      // The escalation timer belonged to stage 1: it is gone.
      expect(await p.timers()).toEqual([]);

      await expect(p.complete('managerApproval', { managerApproved: 'true' }, { as: 'async.admin' })).rejects.toMatchObject({ code: 403 });
      await expect(p.complete('managerApproval', { managerComment: 'hm' }, { as: MANAGER })).rejects.toMatchObject({ code: 400 });
      await p.claim('managerApproval', 'mgr', { as: MANAGER });
      await p.expectWaitingAt('managerApproval', { assignee: 'mgr' });
      await p.complete('managerApproval', { managerApproved: 'true', managerComment: 'ok' });
      await p.expectEndedAt('approved');
      const job = await p.expectJob('createUser');
      expect(job.payload).toMatchObject({ variables: { requestApproved: 'true', managerApproved: 'true', managerComment: 'ok' } });
      expect(await kit.jobs('createUser')).toHaveLength(1);
    });

    it('a manager rejects: ends at managerRejected, no job', async () => {
      const p = await kit.start('managedUserApproval', vars('scarter'));
      await p.complete('evaluateRequest', { requestApproved: 'true' });
      await p.complete('managerApproval', { managerApproved: 'false' }, { as: MANAGER });
      await p.expectEndedAt('managerRejected');
      await p.expectNoJob();
    });

    it('async.admin rejects: the manager is never asked', async () => {
      const p = await kit.start('managedUserApproval', vars('jdoe'));
      await p.complete('evaluateRequest', { requestApproved: 'false' });
      await p.expectEndedAt('rejected');
      expect(await kit.tasks({ taskDefinitionKey: 'managerApproval' })).toEqual([]);
    });

    it('stage 1 still escalates after P3D, and the escalated approval goes on to the manager', async () => {
      const p = await kit.start('managedUserApproval', vars('ann'));
      expect(await kit.advance('P3D')).toBe(1);
      await p.expectWaitingAt('escalatedReview', { assignee: 'openidm-admin' });
      await p.complete('escalatedReview', { requestApproved: 'true' });
      await p.expectWaitingAt('managerApproval', { candidateGroups: ['managers'], dueDate: START + 4 * DAY });
      await p.complete('managerApproval', { managerApproved: 'true' }, { as: MANAGER });
      await p.expectEndedAt('approved');
      await p.expectJob('createUser');
    });
  });
});
