// Incidents (workflow/incident): every dead job, every failed instance step and every external task
// a worker failed with no retries left, listed for
// operators with the activity, the cause, the time and a retry. Retrying a dead job queues it with
// fresh attempts (a createUser job's outcome goes back to pending); a failed instance step cannot
// be re-run by this runtime (its engine state is from before the step), which the retry says; a
// failed timer run (the instance kept its state) is made due now, and the scheduler runs it again.
import type { Knex } from 'knex';
import { Conflict, NotFound } from '../errors';
import { matchesFilter, Filter } from '../crest/queryFilter';
import { retry } from '../jobs';
import type { Q } from '../repo/dialect';
import { setOutcome } from '../repo/decisions';
import { wakeFailedTimersNow } from '../repo/processInstances';
import { setExternalTaskRetries } from '../repo/externalTasks';
import { IncidentRow, listIncidents, readIncident } from '../repo/incidents';

export type Incident = IncidentRow;

/** Every incident matching the filter, newest first. */
export async function queryIncidents(q: Q, filter: Filter): Promise<Incident[]> {
  const all = await listIncidents(q);
  // Newest first; _id breaks ties so pages are stable.
  return all.filter((i) => matchesFilter(filter, i as unknown as Record<string, unknown>)).sort((a, b) => b.time.localeCompare(a.time) || a._id.localeCompare(b._id));
}

/** One incident by its id ("job-12", "instance-34"). */
export async function getIncident(q: Q, id: string): Promise<Incident> {
  const found = await readIncident(q, id);
  if (!found) throw new NotFound(`Incident ${id.slice(0, 64)} not found`);
  return found;
}

/** Retries an incident (see the header): a dead job is queued again, a failed timer made due. */
export async function retryIncident(q: Knex, id: string): Promise<{ _id: string; status: 'retried' }> {
  const incident = await getIncident(q, id);
  // An external task out of retries gets one more: workers fetch it again (PUT …/retries sets more).
  if (incident.type === 'failedExternalTask') {
    if (await setExternalTaskRetries(q, Number(incident.externalTaskId), 1)) return { _id: incident._id, status: 'retried' };
    throw new Conflict(`External task ${incident.externalTaskId} no longer exists`);
  }
  if (incident.type === 'failedInstance') {
    if (await wakeFailedTimersNow(q, Number(incident.processInstanceId))) return { _id: incident._id, status: 'retried' };
    throw new Conflict(`Process instance ${incident.processInstanceId} failed at ${incident.activityId ?? 'a step'} (${incident.cause}); a failed step cannot be re-run: correct the process, then start the request again (a reconciliation asks again for rows whose approval failed)`);
  }
  await q.transaction(async (trx) => {
    if (!(await retry(trx, Number(incident.jobId)))) throw new Conflict(`Job ${incident.jobId} is no longer dead`);
    if (incident.jobType === 'createUser' && incident.processInstanceId) await setOutcome(trx, Number(incident.processInstanceId), null, null, null);
  });
  return { _id: incident._id, status: 'retried' };
}
