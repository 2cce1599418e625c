// The kit drives call activities as the server does: it deploys them, and each step runs the
// workflow.callReturn jobs it leaves (runCallReturns), so the caller continues once its called
// instance finished, without the test running jobs itself.
import path from 'node:path';
import { processTestKit, ProcessTestKit } from '../../src/testing';

describe('kit: call activities', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ baseDir: path.resolve(__dirname, '../fixtures/bpmn') });
    await kit.deploy('h-call-child.bpmn');
    await kit.deploy('h-call-parent.bpmn');
  });
  afterEach(() => kit.close());

  it("the called instance's task is a task of the kit; completing it returns the out variables to the caller", async () => {
    const parent = await kit.start('hCallParent', {}, { businessKey: 'order-1' });
    await parent.complete('prepare', { amount: '150' });
    const [decide] = await kit.tasks({ taskDefinitionKey: 'decide' });
    expect(decide.processInstanceId).not.toBe(parent.id);
    const child = kit.instance(decide.processInstanceId);
    expect(await child.instance()).toMatchObject({ superInstanceId: parent.id, businessKey: 'order-1' });

    await child.complete('decide', { decision: 'approve' });
    await child.expectEndedAt('done');
    await parent.expectEndedAt('approvedEnd');
    await parent.expectVariables({ reviewDecision: 'approve', large: true });
    expect(await kit.jobs('workflow.callReturn')).toMatchObject([{ key: `callReturn:${child.id}`, state: 'done' }]);
  });

  it('an uncaught error end of the called instance fails the caller, naming it', async () => {
    const parent = await kit.start('hCallParent');
    await parent.complete('prepare', { amount: '5' });
    const [decide] = await kit.tasks({ taskDefinitionKey: 'decide' });
    await kit.instance(decide.processInstanceId).complete('decide', { decision: 'refuse' });
    await parent.expectFailed(/ended at error end event "refused"/);
  });
});
