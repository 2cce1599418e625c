// What IDM's `openidm` calls in a BPMN script task become here. OpenIDM's and IDM 7's approval
// processes end in a Groovy script task that calls `openidm.action('sync', 'performAction', …,
// {reconId, mapping, situation, action: 'CREATE', sourceId})` when the request is approved
// (sample9 / sync-asynchronous). reconflow's answer to that call is the approval's createUser job:
// enqueued with the run's commit (key createUser:<instance>, so once), it creates exactly the
// snapshot the approver saw (src/approval/createUser.ts). A call that asks for something else,
// or for another row than the one this instance approves, fails the script naming it: a script
// cannot point an approval at another row.
import type { RunResult } from './interfaces';

export interface ScriptCall {
  resource: string;
  action: string;
  params: Record<string, unknown>;
}

export const CREATE_USER_TOPIC = 'createUser';

function text(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

/** The jobs a script task's recorded calls ask for; throws naming the first call that cannot be honoured. */
export function jobsOfScriptCalls(calls: unknown, activityId: string, variables: Record<string, unknown>): RunResult['jobs'] {
  if (!Array.isArray(calls)) return [];
  const jobs: RunResult['jobs'] = [];
  for (const c of calls as ScriptCall[]) {
    const what = `openidm.action('${c?.resource}', '${c?.action}')`;
    if (c?.resource !== 'sync' || c?.action !== 'performAction') {
      throw new Error(`${what} is not available in reconflow's BPMN scripts: a script task may call openidm.action('sync', 'performAction', …) to create the approved account`);
    }
    const p = c.params ?? {};
    const action = text(p.action)?.toUpperCase();
    if (action !== 'CREATE') throw new Error(`${what} with action "${text(p.action) ?? ''}": an approval here can create the approved account (action CREATE) and nothing else`);
    const approved = text(variables.sourceId);
    if (approved === undefined) throw new Error(`${what}: this instance approves no source row (it has no sourceId variable); only an approval started by reconciliation can create an account`);
    if (text(p.sourceId) !== approved) throw new Error(`${what} for sourceId "${text(p.sourceId) ?? ''}", but this instance approves "${approved}"`);
    if (p.mapping !== undefined && variables.mapping !== undefined && text(p.mapping) !== text(variables.mapping)) {
      throw new Error(`${what} for mapping "${text(p.mapping)}", but this instance approves a row of "${text(variables.mapping)}"`);
    }
    if (!jobs.length) jobs.push({ topic: CREATE_USER_TOPIC, activityId });
  }
  return jobs;
}
