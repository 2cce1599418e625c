// Never an instance that waits for something nothing can send: a run that leaves tokens waiting at
// no task, timer, message, signal, call or external task fails, naming where they wait. Found by the
// conformance suite on Camunda's InclusiveGatewayTest.testJoinAfterEventBasedGateway file (Apache-2.0,
// test/conformance/SOURCES.md), where bpmn-elements' inclusive join leaves a token behind: the
// completion that would have stored such an instance is refused instead (nothing stored, task open).
import { processTestKit, ProcessTestKit } from '../../src/testing';

const FILE = 'test/conformance/files/camunda-bpm-platform/InclusiveGatewayTest.testJoinAfterEventBasedGateway.bpmn20.xml';

describe('an instance that would wait for nothing', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: '2030-01-01T09:00:00Z' });
  });
  afterEach(() => kit.close());

  it('is refused at the step that would leave it so, naming where its tokens wait; the task stays open', async () => {
    await kit.deploy(FILE);
    const p = await kit.start('process');
    await p.complete('theTask');
    await kit.message('foo');
    await p.expectWaitingAt('taskAfterJoin');
    await expect(p.complete('taskAfterJoin')).rejects.toMatchObject({ code: 500, message: expect.stringMatching(/waits at .+ for nothing that can resume it/) });
    await p.expectWaitingAt('taskAfterJoin');
    expect(await p.status()).toBe('active');
  });
});
