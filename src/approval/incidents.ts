// Incidents (workflow/incident): every dead job and every failed instance step, listed for
// operators with the activity, the cause, the time and a retry. Retrying a dead job queues it with
// fresh attempts (a createUser job's outcome goes back to pending); a failed instance step cannot
// be re-run by this runtime (its engine state is from before the step), which the retry says.
import { Knex } from 'knex';
import { conflict, notFound } from '../crest/errors';
import { matchesFilter, Filter } from '../crest/queryFilter';
import { retryJob } from '../jobs/sql/retryJob';
import { Q } from '../repo/dialect';
import { setOutcome } from '../repo/decisions';
import { IncidentRow, listIncidents, readIncident } from '../repo/incidents';

export type Incident = IncidentRow;

export async function queryIncidents(q: Q, filter: Filter): Promise<Incident[]> {
  const all = await listIncidents(q);
  // Newest first; _id breaks ties so pages are stable.
  return all.filter((i) => matchesFilter(filter, i as unknown as Record<string, unknown>)).sort((a, b) => b.time.localeCompare(a.time) || a._id.localeCompare(b._id));
}

export async function getIncident(q: Q, id: string): Promise<Incident> {
  const found = await readIncident(q, id);
  if (!found) throw notFound(`Incident ${id.slice(0, 64)} not found`);
  return found;
}

export async function retryIncident(q: Knex, id: string): Promise<{ _id: string; status: 'retried' }> {
  const incident = await getIncident(q, id);
  if (incident.type === 'failedInstance') {
    throw conflict(`Process instance ${incident.processInstanceId} failed at ${incident.activityId ?? 'a step'} (${incident.cause}); a failed step cannot be re-run: correct the process, then start the request again (a reconciliation asks again for rows whose approval failed)`);
  }
  await q.transaction(async (trx) => {
    if (!(await retryJob(trx, Number(incident.jobId)))) throw conflict(`Job ${incident.jobId} is no longer dead`);
    if (incident.jobType === 'createUser' && incident.processInstanceId) await setOutcome(trx, Number(incident.processInstanceId), null, null, null);
  });
  return { _id: incident._id, status: 'retried' };
}
