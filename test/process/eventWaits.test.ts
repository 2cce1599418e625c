// The process-testing kit on wait states other than user tasks: trigger a manual task, correlate a
// message, broadcast a signal, as a modeler's own tests would.
import { processTestKit, ProcessTestKit } from '../../src/testing';

const START = Date.UTC(2030, 0, 1);

describe('kit: triggers, messages and signals', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: START });
  });
  afterEach(() => kit.close());

  it('triggers a manual task, then correlates the receive task by a process variable', async () => {
    await kit.deploy('test/fixtures/bpmn/h-events-manual-receive.bpmn');
    const p = await kit.start('hManualReceive', { orderId: 'o-1' });
    expect((await p.waits()).map((w) => w.activityId)).toEqual(['checkDocuments']);
    await p.trigger('checkDocuments', { checked: true });
    await expect(p.trigger('checkDocuments')).rejects.toThrow(/0 waiting executions at "checkDocuments"; it waits at waitForPayment \(message paymentReceived\)/);
    expect(await kit.message('paymentReceived', { correlationKeys: { orderId: 'o-1' } })).toEqual([{ processInstanceId: p.id, started: false }]);
    await p.trigger('confirm');
    await p.expectEndedAt('done');
    expect(await p.variables()).toEqual({ orderId: 'o-1', checked: true });
  });

  it('a signal ends the event-based gateway on its path; a message nobody waits for is a 400', async () => {
    await kit.deploy('test/fixtures/bpmn/h-events-gateway.bpmn');
    const p = await kit.start('hGateway');
    await p.expectTimer('timedOut', { at: START + 3600_000 });
    expect((await kit.signal('cancelAll')).count).toBe(1);
    await p.expectEndedAt('canceled');
    expect(await p.timers()).toEqual([]);
    await expect(kit.message('answer')).rejects.toMatchObject({ code: 400 });
  });

  it('a message starts an instance at its message start event', async () => {
    await kit.deploy('test/fixtures/bpmn/h-events-start.bpmn');
    const [started] = await kit.message('applicationReceived', { businessKey: 'app-1', processVariables: { applicant: 'bjensen' } });
    expect(started.started).toBe(true);
    const p = kit.instance(started.processInstanceId);
    await p.expectWaitingAt('review');
    expect(await p.waits()).toEqual([]);
    await p.complete('review');
    await p.expectEndedAt('done');
  });
});
