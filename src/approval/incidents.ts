// Incidents (workflow/incident): every dead job, every failed instance step and every external task
// a worker failed with no retries left, listed for
// operators with the activity, the cause, the time and a retry. Retrying a dead job queues it with
// fresh attempts (a createUser job's outcome goes back to pending); a failed instance step cannot
// be re-run by this runtime (its engine state is from before the step), which the retry says; a
// failed timer run (the instance kept its state) is made due now, and the scheduler runs it again.
import type { Knex } from 'knex';
import { Conflict, DomainError, InvalidInput, NotFound } from '../errors';
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

/** At most this many incidents are retried by one query (synchronously, each in its own step). */
export const MAX_RETRY_BY_QUERY = 1000;

export interface RetryOutcome {
  _id: string;
  status: 'retried' | 'failed';
  message?: string;
}

export interface RetryByQuery {
  matched: number;
  retried: number;
  failed: number;
  results: RetryOutcome[];
}

/**
 * Retries every incident the filter matches now, one at a time, and says what happened to each. More
 * than MAX_RETRY_BY_QUERY, or none, is refused with nothing done; when every retry was refused
 * (none happened) that is a Conflict carrying the per-incident results, never a success.
 */
export async function retryIncidentsMatching(q: Knex, filter: Filter): Promise<RetryByQuery> {
  const matching = await queryIncidents(q, filter);
  if (!matching.length) throw new InvalidInput('No incident matches the query filter: nothing was retried');
  if (matching.length > MAX_RETRY_BY_QUERY) {
    throw new InvalidInput(`${matching.length} incidents match the query filter; at most ${MAX_RETRY_BY_QUERY} are retried at once: narrow the filter (nothing was retried)`, { matched: matching.length, max: MAX_RETRY_BY_QUERY });
  }
  const results: RetryOutcome[] = [];
  for (const incident of matching) {
    try {
      await retryIncident(q, incident._id);
      results.push({ _id: incident._id, status: 'retried' });
    } catch (e) {
      // A refusal (gone meanwhile, a step that cannot be re-run) is this incident's result; anything
      // else (the database) stops the run and is the request's error.
      if (!(e instanceof DomainError)) throw e;
      results.push({ _id: incident._id, status: 'failed', message: e.message });
    }
  }
  const retried = results.filter((r) => r.status === 'retried').length;
  const out = { matched: matching.length, retried, failed: results.length - retried, results };
  if (!retried) throw new Conflict(`None of the ${matching.length} matching incidents could be retried`, out);
  return out;
}
