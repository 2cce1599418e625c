// Event subscriptions as the runtime keeps them: the mirror of a stored run's waits (written by
// storeRun in the run's own transaction) and the start events of a deployed definition version.
import type { Knex } from 'knex';
import * as subs from '../repo/eventSubscriptions';
import type { DefinitionRow } from '../repo/processDefinitions';
import { compiledOf } from './parse';
import type { ParsedDefinition, RunResult } from './interfaces';

/** Whether a definition has any wait a subscription could stand for (the shipped approval has none: no query). */
export function mayWaitBeyondTasks(parsed: ParsedDefinition): boolean {
  const c = compiledOf(parsed);
  return c.eventWaits.byActivity.size > 0 || c.calls.size > 0 || c.externalTasks.size > 0;
}

/** Makes the instance's subscriptions exactly the waits of this run (none once it ended or failed). */
export async function storeWaits(trx: Knex.Transaction, instanceId: number, def: DefinitionRow, result: RunResult, now: string): Promise<void> {
  const waits = result.status === 'waiting' ? (result.waits ?? []) : [];
  const existing = await subs.subscriptionsOfInstance(trx, instanceId);
  if (!existing.length && !waits.length) return;
  const still = new Set(waits.map((w) => w.executionId));
  await subs.deleteSubscriptions(trx, existing.filter((s) => !still.has(s.executionId ?? '')).map((s) => s.id));
  const have = new Set(existing.map((s) => s.executionId));
  await subs.insertSubscriptions(
    trx,
    waits
      .filter((w) => !have.has(w.executionId))
      .map((w) => ({
        processInstanceId: instanceId, definitionId: def.id, definitionKey: def.key, executionId: w.executionId,
        activityId: w.activityId, kind: w.kind, name: w.name ?? null, created: now,
      })),
  );
}

/** Records the message and signal start events of a deployed version (idempotent). */
export async function storeStartSubscriptions(trx: Knex.Transaction, row: DefinitionRow, parsed: ParsedDefinition): Promise<void> {
  const rows: subs.NewSubscription[] = [];
  for (const [activityId, w] of compiledOf(parsed).eventWaits.byActivity) {
    if (!w.start || w.kind === 'trigger') continue;
    rows.push({ processInstanceId: null, definitionId: row.id, definitionKey: row.key, executionId: null, activityId, kind: w.kind, name: w.name ?? null, created: row.deployedAt });
  }
  await subs.insertSubscriptions(trx, rows);
}
