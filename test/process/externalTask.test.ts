// The process-testing kit drives external service tasks as a worker would: completing one with
// variables that a gateway reads, and throwing a BPMN error its boundary catches.
import { processTestKit, ProcessTestKit } from '../../src/testing';

const FILE = 'test/fixtures/bpmn/h-external-payment.bpmn';

describe('external service tasks in the process-testing kit', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: '2030-01-01T09:00:00Z' });
    await kit.deploy(FILE);
  });
  afterEach(() => kit.close());

  it('completes the external task; the variables choose the branch', async () => {
    const p = await kit.start('payment', { priority: 3 });
    expect(await p.expectExternalTask('charge-card')).toMatchObject({ activityId: 'charge', priority: 3, workerId: null });
    await p.completeExternal('charge', { charged: true });
    await p.expectWaitingAt('review');
    expect(await p.externalTasks()).toEqual([]);
  });

  it('a long poll whose worker went away locks nothing that arrives after it left', async () => {
    const gone = new AbortController();
    const poll = kit.runtime.externalTasks.fetchAndLock(
      { workerId: 'gone', maxTasks: 1, usePriority: false, newestFirst: false, asyncResponseTimeout: 5_000, topics: [{ topicName: 'charge-card', lockMs: 60_000 }] },
      gone.signal,
    );
    await new Promise((r) => setTimeout(r, 20));
    // The task arrives while the poll sleeps between looks; then the worker's request closes.
    const p = await kit.start('payment', { priority: 0 });
    gone.abort();
    expect(await poll).toEqual([]);
    expect(await p.expectExternalTask('charge-card')).toMatchObject({ workerId: null });
  });

  it('throws a BPMN error the boundary catches; an unknown activity is named', async () => {
    const p = await kit.start('payment', { priority: 0 });
    await expect(p.completeExternal('nope')).rejects.toThrow(/does not wait at external task "nope"/);
    await p.throwExternalBpmnError('charge', 'CARD_DECLINED', { variables: { declineReason: 'x' } });
    await p.expectWaitingAt('handleDecline');
    expect(await p.variables()).toMatchObject({ declineReason: 'x' });
  });
});
