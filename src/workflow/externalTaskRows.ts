// The external_task rows of an instance mirror exactly the external service tasks that wait now:
// written in the transaction that stores the run that reached them, removed in the one that moves
// them on (storeRun). A waiting row keeps its lock and retries across unrelated runs of its instance.
import type { Knex } from 'knex';
import { InvalidInput } from '../errors';
import * as rows from '../repo/externalTasks';
import type { InstanceRow } from '../repo/processInstances';
import type { LoadedDefinition } from './definitions';
import type { RunResult } from './interfaces';
import { compiledOf } from './parse';

/** The lock a worker's completion was computed under (checked in the transaction that stores it). */
export interface HeldExternalTask {
  id: number;
  workerId: string;
  rev: number;
}

export async function syncExternalTasks(trx: Knex.Transaction, inst: InstanceRow, def: LoadedDefinition, result: RunResult, now: string, held?: HeldExternalTask): Promise<void> {
  // After the instance's row is updated (storeRun): every writer locks instance, then its tasks.
  if (held && !(await rows.deleteHeldExternalTask(trx, held.id, held.workerId, held.rev))) {
    throw new InvalidInput(`External task ${held.id} is no longer locked by worker ${held.workerId}`);
  }
  // Definitions without external tasks (the shipped approval) pay nothing here.
  if (!compiledOf(def.parsed).externalTasks.size) return;
  if (result.status !== 'waiting') {
    await rows.deleteExternalTasksOfInstance(trx, inst.id);
    return;
  }
  const waits = (result.waits ?? []).filter((w) => w.kind === 'external');
  const existing = await rows.externalTasksOfInstance(trx, inst.id);
  const waiting = new Set(waits.map((w) => w.executionId));
  const known = new Set(existing.map((e) => e.executionId));
  await rows.deleteExternalTasks(trx, existing.filter((e) => !waiting.has(e.executionId)).map((e) => e.id));
  await rows.insertExternalTasks(
    trx,
    waits
      .filter((w) => !known.has(w.executionId))
      .map((w) => ({
        processInstanceId: inst.id,
        definitionId: def.row.id,
        definitionKey: def.row.key,
        businessKey: inst.businessKey,
        activityId: w.activityId,
        executionId: w.executionId,
        topicName: w.name ?? '',
        priority: Number(w.detail?.priority ?? 0),
        createTime: now,
      })),
  );
}
