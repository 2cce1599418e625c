// The job handler of topic workflow.continue: continues an instance past its asynchronous
// continuation boundary (asyncBoundaries.ts) inside the job's transaction.
import type { JobHandler } from '../jobs';
import * as instances from '../repo/processInstances';
import { continueAsync } from './engine';
import { storeRun } from './runOutcome';
import type { RuntimeContext } from './runtimeContext';

/**
 * Continues an instance from its asynchronous continuation boundary to the next wait state. A
 * failing run throws, so the job queue retries it (and finally marks it dead); the instance keeps
 * waiting at the boundary.
 */
export function continueJob(rt: RuntimeContext): JobHandler {
  return async (trx, payload) => {
    const id = Number(payload.processInstanceId);
    const inst = Number.isSafeInteger(id) ? await instances.readInstance(trx, id) : null;
    if (!inst || inst.status !== 'active' || !inst.state) return { skipped: `process instance ${String(payload.processInstanceId)} is not active` };
    const def = await rt.definitions.get(inst.definitionId, trx);
    const result = await continueAsync(def.parsed, inst.state, { ...rt.runOptions, variables: inst.variables, instance: { id: String(inst.id), businessKey: inst.businessKey } });
    if (!result) return { skipped: `process instance ${id} waits at no continuation boundary` };
    if (result.status === 'failed') {
      throw new Error(`continuing process instance ${id} after ${String(payload.activityId)} failed at ${result.error?.activityId ?? '?'}: ${result.error?.message ?? 'failed'}`);
    }
    const next = await storeRun(rt, trx, inst, def, result, {});
    return { continued: String(payload.activityId), status: next.status };
  };
}
