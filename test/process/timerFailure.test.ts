// A timer whose run fails in the background (the scheduler, no caller to answer) loses nothing: the
// instance stays active in the state it was in, its task stays open, `error` says where and why, and
// the timer is tried again after a backoff that doubles from one minute (issue 13, all or nothing).
import { processTestKit, ProcessTestKit } from '../../src/testing';

const MINUTE = 60_000;

describe('a failing timer run', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: '2030-01-01T09:00:00Z' });
  });
  afterEach(() => kit.close());

  it('keeps the instance active at its previous state, records the failure and retries with backoff', async () => {
    await kit.deploy('test/fixtures/bpmn/timer-fails.bpmn');
    const p = await kit.start('timerFails', { sourceId: 'bjensen' });
    const due = (await p.expectTimer('timer')).expireAt;
    const before = await p.instance();

    await kit.clock.set(new Date(due));
    expect(await kit.fireTimers()).toBe(1);
    let inst = await p.instance();
    expect(inst).toMatchObject({ status: 'active', variables: before.variables, wakeAt: due + MINUTE });
    expect(inst.state?.equals(before.state!)).toBe(true);
    expect(inst.error).toMatch(/failingScript.*escalation broke/);
    await p.expectWaitingAt('task');
    // The unchanged state still holds the timer at its due time (wake_at is now the retry time).
    expect((await p.expectTimer('timer')).expireAt).toBe(due);
    expect(kit.logs.some((l) => l.level === 'warn' && /escalation broke/.test(l.message))).toBe(true);

    // Not before the retry time; then again, with a doubled delay each time it keeps failing.
    await kit.clock.set(new Date(due + MINUTE - 1));
    expect(await kit.fireTimers()).toBe(0);
    await kit.clock.set(new Date(due + MINUTE));
    await kit.fireTimers();
    expect((await p.instance()).wakeAt).toBe(due + 2 * MINUTE);
    await kit.clock.set(new Date(due + 2 * MINUTE));
    await kit.fireTimers();
    expect((await p.instance()).wakeAt).toBe(due + 4 * MINUTE);

    // The decision is still possible, and a successful step clears the failure.
    await p.complete('task', {});
    await p.expectEndedAt('end');
    inst = await p.instance();
    expect(inst.error).toBeNull();
  });
});
