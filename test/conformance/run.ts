// Runs one conformance case through a driver: the drive, a restart (recover from storage) after
// every step, and each step's expectations. Returns why it failed, or nothing when it conforms.
import { DefinitionError } from '../../src/workflow/interfaces';
import { isRefusal, type ConformanceCase, type Expectation, type RunCase, type Step } from './cases/types';
import { ConformanceDriver, NotAvailable } from './driver';

export interface CaseResult {
  id: string;
  passed: boolean;
  /** what went wrong, e.g. "step 2 (complete miTasks): tasks: expected [...], found [...]" */
  failure?: string;
  /** set when the failure is a driver capability that does not exist yet */
  missing?: string;
}

const sorted = (xs: (string | null)[]) => [...xs].map((x) => (x === null ? '(null)' : x)).sort();
const show = (v: unknown) => JSON.stringify(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function describe(step: Step): string {
  const [verb, arg] = Object.entries(step.do)[0];
  return `${verb} ${String(arg)}`;
}

async function check(d: ConformanceDriver, instanceId: number | undefined, e: Expectation): Promise<string[]> {
  const out: string[] = [];
  const tasks = await d.openTasks();
  if (e.tasks) {
    const found = sorted(tasks.map((t) => t.activityId));
    if (!same(sorted(e.tasks), found)) out.push(`open tasks: expected ${show(sorted(e.tasks))}, found ${show(found)}`);
  }
  for (const [id, shape] of Object.entries(e.taskShapes ?? {})) {
    const matching = tasks.filter((t) => t.activityId === id);
    if (!matching.length) out.push(`task ${id}: expected open, found none`);
    for (const t of matching) {
      for (const [k, v] of Object.entries(shape)) {
        const found = t[k as keyof typeof t];
        if (!same(v, found)) out.push(`task ${id} ${k}: expected ${show(v)}, found ${show(found)}`);
      }
    }
  }
  for (const [field, byId] of [['name', e.names], ['assignee', e.assignees]] as const) {
    for (const [id, expected] of Object.entries(byId ?? {})) {
      const found = sorted(tasks.filter((t) => t.activityId === id).map((t) => t[field]));
      if (!same(sorted(expected), found)) out.push(`task ${id} ${field}s: expected ${show(sorted(expected))}, found ${show(found)}`);
    }
  }
  const about = e.endedAt !== undefined || e.ended || e.running || e.businessKey !== undefined || e.variables !== undefined;
  if (about || e.passedInOrder || e.notPassed) {
    if (instanceId === undefined) return [...out, 'no instance was started'];
  }
  if (about && instanceId !== undefined) {
    const inst = await d.instance(instanceId);
    const where = inst.status === 'failed' ? `failed: ${inst.error}` : `${inst.status}${inst.endActivityId ? ` at ${inst.endActivityId}` : ''}`;
    if (e.endedAt !== undefined && (inst.status !== 'ended' || inst.endActivityId !== e.endedAt)) out.push(`instance: expected ended at ${e.endedAt}, found ${where}`);
    if (e.ended && inst.status !== 'ended') out.push(`instance: expected ended, found ${where}`);
    if (e.running && inst.status !== 'active') out.push(`instance: expected running, found ${where}`);
    if (e.businessKey !== undefined && inst.businessKey !== e.businessKey) out.push(`business key: expected ${show(e.businessKey)}, found ${show(inst.businessKey)}`);
    for (const [k, v] of Object.entries(e.variables ?? {})) {
      if (!same(v, inst.variables[k])) out.push(`variable ${k}: expected ${show(v)}, found ${show(inst.variables[k])}`);
    }
  }
  // The capabilities the kit lacks today come last, so that a case reports a wrong outcome first.
  if (e.waits) {
    const found = sorted(await d.waits());
    if (!same(sorted(e.waits), found)) out.push(`open waits: expected ${show(sorted(e.waits))}, found ${show(found)}`);
  }
  if ((e.passedInOrder || e.notPassed) && instanceId !== undefined) {
    const passed = await d.passed(instanceId);
    let at = 0;
    for (const id of e.passedInOrder ?? []) {
      const next = passed.indexOf(id, at);
      if (next < 0) {
        out.push(`passed: expected ${show(e.passedInOrder)} in this order, found ${show(passed)}`);
        break;
      }
      at = next + 1;
    }
    for (const id of e.notPassed ?? []) if (passed.includes(id)) out.push(`passed: expected not to pass ${id}, found ${show(passed)}`);
  }
  return out;
}

async function act(d: ConformanceDriver, step: Step, current: number | undefined): Promise<number | undefined> {
  const a = step.do;
  const vars = ('variables' in a && a.variables) || {};
  if ('start' in a) return d.start(a.start, vars, { businessKey: a.businessKey, initiator: a.initiator });
  if ('startByMessage' in a) return d.startByMessage(a.startByMessage, vars, a.businessKey);
  if ('startBySignal' in a) return d.startBySignal(a.startBySignal, vars);
  if ('complete' in a) await d.completeTask(a.complete, vars);
  else if ('trigger' in a) await d.trigger(a.trigger, vars);
  else if ('correlate' in a) await d.correlate(a.correlate, vars, a.businessKey);
  else if ('signal' in a) await d.signal(a.signal, vars);
  else if ('completeExternal' in a) await d.completeExternal(a.completeExternal, vars);
  else if ('advance' in a) await d.advanceClock(a.advance);
  else if ('advanceTo' in a) await d.advanceClockTo(a.advanceTo);
  return current;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function runSteps(d: ConformanceDriver, c: RunCase): Promise<CaseResult> {
  let instanceId: number | undefined;
  for (const [i, step] of c.steps.entries()) {
    const label = `step ${i + 1} (${describe(step)})`;
    try {
      if (step.fails) {
        const failure = await act(d, step, instanceId).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (failure instanceof NotAvailable) throw failure;
        if (failure === undefined) return { id: c.id, passed: false, failure: `${label}: expected to fail with ${String(step.fails)}, but it succeeded` };
        if (!step.fails.test(message(failure))) return { id: c.id, passed: false, failure: `${label}: expected to fail with ${String(step.fails)}, failed with: ${message(failure)}` };
      } else {
        instanceId = await act(d, step, instanceId);
      }
      // What a step leaves behind must be in storage: check it on a runtime that recovered from there.
      await d.restart();
      const wrong = await check(d, instanceId, step.then);
      if (wrong.length) {
        // Say where the instance is, so that "no open task" reads as stuck, failed or ended.
        const inst = instanceId === undefined ? undefined : await d.instance(instanceId);
        const where = inst && ` [instance ${inst.status}${inst.endActivityId ? ` at ${inst.endActivityId}` : ''}${inst.error ? `: ${inst.error}` : ''}]`;
        return { id: c.id, passed: false, failure: `${label}: ${wrong.join('; ')}${where ?? ''}` };
      }
    } catch (e) {
      const missing = e instanceof NotAvailable ? e.capability : undefined;
      return { id: c.id, passed: false, failure: `${label}: ${message(e)}`, ...(missing && { missing }) };
    }
  }
  return { id: c.id, passed: true };
}

export async function runCase(d: ConformanceDriver, c: ConformanceCase): Promise<CaseResult> {
  for (const file of c.alsoDeploy ?? []) await d.deploy(file);
  if (isRefusal(c)) {
    try {
      await d.deploy(c.file);
    } catch (e) {
      const elementId = e instanceof DefinitionError ? e.elementId : (e as { detail?: { elementId?: string } }).detail?.elementId;
      if (!(e instanceof DefinitionError)) return { id: c.id, passed: false, failure: `deploy failed, but not as a refusal: ${message(e)}` };
      if (!elementId || !c.refused.elementIds.includes(elementId)) {
        return { id: c.id, passed: false, failure: `refused naming ${show(elementId)}, expected one of ${show(c.refused.elementIds)}: ${e.message}` };
      }
      if (!c.refused.reason.test(e.message)) return { id: c.id, passed: false, failure: `refused, but the message does not match ${String(c.refused.reason)}: ${e.message}` };
      return { id: c.id, passed: true };
    }
    return { id: c.id, passed: false, failure: `deployed, but must be refused naming one of ${show(c.refused.elementIds)}` };
  }
  try {
    await d.deploy(c.file);
  } catch (e) {
    return { id: c.id, passed: false, failure: `deploy refused: ${message(e)}` };
  }
  return runSteps(d, c);
}
