// The kit's path and variable assertions (issue 15, deliverable 9): RunResult.passed recorded by
// the engine layer, stored per run in activity_history, identical whether a start template /
// completion plan or bpmn-engine answered, and readable after the instance ended.
import path from 'node:path';
import { completionPlanState } from '../../src/workflow/engine';
import { processTestKit, ProcessTestKit } from '../../src/testing';

const ROOT = path.resolve(__dirname, '..', '..');
const APPROVAL = 'processes/managedUserApproval.bpmn';
const vars = (sourceId: string) => ({ sourceId, mapping: 'm', reconId: 'r1' });

describe.each([true, false])('the path taken (templates %s)', (templates) => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ baseDir: ROOT, now: '2030-01-01T09:00:00Z', templates });
  });
  afterEach(() => kit.close());

  it('the shipped approval: start, decision, end; the same path from the plan as from the engine', async () => {
    await kit.deploy(APPROVAL);
    // Several completions: the first teaches the completion plan, the later ones are answered by it.
    for (const who of ['a', 'b', 'c']) {
      const p = await kit.start('managedUserApproval', vars(who));
      await p.expectPath(['start']);
      await p.expectNotPassed('evaluateRequest');
      await p.complete('evaluateRequest', { requestApproved: 'true' });
      await p.expectPath(['start', 'evaluateRequest', 'decisionMerge', 'approvalGateway', 'approved']);
      await p.expectPassed('approved', 'evaluateRequest');
      await p.expectNotPassed('rejected', 'escalatedReview', 'escalationTimer');
      await p.expectPassedInOrder('start', 'approvalGateway', 'approved');
      await p.expectVariables({ sourceId: who, requestApproved: 'true', nothing: undefined });
    }
    // The plan agreed with the engine on the path too (a different path would have switched it off).
    if (templates) expect(await completionPlanState((await kit.definitions.latest('managedUserApproval')).parsed)).toBe('active');
  });

  it('an escalation: the timer is on the path', async () => {
    await kit.deploy(APPROVAL);
    const p = await kit.start('managedUserApproval', vars('late'));
    await kit.advance('P3D');
    await p.expectWaitingAt('escalatedReview');
    await p.expectPath(['start', 'escalationTimer']);
    await p.complete('escalatedReview', { requestApproved: 'false' });
    await p.expectPassedInOrder('start', 'escalationTimer', 'escalatedReview', 'rejected');
    await p.expectNotPassed('evaluateRequest', 'approved');
  });

  it('a parallel fork into a task and a sub-process, joined, then a review', async () => {
    await kit.deploy('test/fixtures/bpmn/h-deploy-path.bpmn');
    const p = await kit.start('pathProcess', {});
    await p.expectWaitingAt('review');
    await p.expectPassed('start', 'fork', 'note', 'prepareStart', 'score', 'prepareEnd', 'prepare', 'join');
    await p.expectPassedInOrder('start', 'fork', 'prepareStart', 'score', 'prepareEnd', 'prepare', 'join');
    await p.expectPassedInOrder('fork', 'note', 'join');
    await p.expectNotPassed('review', 'decide');
    await p.complete('review', { ok: 'false' });
    await p.expectEndedAt('declined');
    await p.expectPassedInOrder('join', 'review', 'decide', 'declined');
    await p.expectNotPassed('accepted');
    await p.expectVariables({ ok: false });
  });

  it('fails with the expected and the found path', async () => {
    await kit.deploy(APPROVAL);
    const p = await kit.start('managedUserApproval', vars('x'));
    await expect(p.expectPassed('approved')).rejects.toThrow(/expected process instance \d+ to have passed "approved", but its path is start; it waits at evaluateRequest/);
    await expect(p.expectNotPassed('start')).rejects.toThrow(/not to have passed "start", but its path is start$/);
    await expect(p.expectPath(['start', 'evaluateRequest'])).rejects.toThrow(/to have taken the path start → evaluateRequest, but it took start$/);
    await expect(p.expectPassedInOrder('evaluateRequest', 'start')).rejects.toThrow(/"evaluateRequest" does not follow/);
    await expect(p.expectVariables({ sourceId: 'y', absent: 1 })).rejects.toThrow('variables of process instance');
    await expect(p.expectVariables({ sourceId: 'y' })).rejects.toThrow('sourceId: expected "y", found "x"');
    await expect(p.expectVariables({ absent: 1 })).rejects.toThrow('absent: expected 1, found absent');
  });
});
