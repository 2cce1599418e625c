// What IDM's `openidm` calls in a BPMN script task become here. OpenIDM's and IDM 7's approval
// processes end in a Groovy script task that calls `openidm.action('sync', 'performAction', …,
// {reconId, mapping, situation, action, sourceId, targetId?})` when the request is approved
// (sample9 / sync-asynchronous; triggerWorkflowFromSync.js passes recon.actionParam). reconflow's
// answer to that call is the approval's job: enqueued with the run's commit (key
// createUser:<instance>, so once), it performs the request's own action as the approver saw it
// (CREATE: exactly the snapshot, src/approval/createUser.ts; any other action with performAction's
// re-assessment, src/approval/performApproved.ts). A call that asks for something else, for another
// row or target than the one this instance approves, or for another action than the instance's
// own (its `action` start variable; CREATE for instances started before actions were recorded),
// or under another link qualifier than its own (its `linkQualifier` variable; absent: its own),
// fails the script naming it: a script cannot point an approval at another row or action.
import type { RunResult } from './interfaces';

export interface ScriptCall {
  resource: string;
  action: string;
  params: Record<string, unknown>;
}

/** The approval job's topic (the sample's name; it performs whichever action the request holds). */
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
      throw new Error(`${what} is not available in reconflow's BPMN scripts: a script task may call openidm.action('sync', 'performAction', …) to perform the approved action`);
    }
    const p = c.params ?? {};
    const action = text(p.action)?.toUpperCase();
    const own = (text(variables.action) ?? 'CREATE').toUpperCase();
    if (action !== own) throw new Error(`${what} with action "${text(p.action) ?? ''}", but this instance approves action "${own}": an approval performs its own action and nothing else`);
    const approved = text(variables.sourceId);
    const approvedTarget = text(variables.targetId);
    if (approved !== undefined) {
      if (text(p.sourceId) !== approved) throw new Error(`${what} for sourceId "${text(p.sourceId) ?? ''}", but this instance approves "${approved}"`);
    } else if (approvedTarget !== undefined && text(variables.target) === 'true') {
      // A target-phase approval (TargetSyncOperation): no source row, its target only.
      if (p.sourceId !== undefined && p.sourceId !== null) throw new Error(`${what} for sourceId "${text(p.sourceId)}", but this instance approves the target "${approvedTarget}" and no source row`);
    } else {
      throw new Error(`${what}: this instance approves no source row (it has no sourceId variable); only an approval started by reconciliation can perform an action`);
    }
    if (p.targetId !== undefined && p.targetId !== null && text(p.targetId) !== approvedTarget) {
      throw new Error(`${what} for targetId "${text(p.targetId)}", but this instance approves ${approvedTarget === undefined ? 'no target' : `"${approvedTarget}"`}`);
    }
    if (approved === undefined && text(p.targetId) !== approvedTarget) throw new Error(`${what} without targetId, but this instance approves the target "${approvedTarget}"`);
    if (p.mapping !== undefined && variables.mapping !== undefined && text(p.mapping) !== text(variables.mapping)) {
      throw new Error(`${what} for mapping "${text(p.mapping)}", but this instance approves a row of "${text(variables.mapping)}"`);
    }
    // The instance's link qualifier (recon.actionParam.linkQualifier; "default" for instances started before qualifiers counted).
    const ownQualifier = text(variables.linkQualifier) ?? 'default';
    if (p.linkQualifier !== undefined && p.linkQualifier !== null && text(p.linkQualifier) !== ownQualifier) {
      throw new Error(`${what} for linkQualifier "${text(p.linkQualifier)}", but this instance approves under "${ownQualifier}"`);
    }
    if (!jobs.length) jobs.push({ topic: CREATE_USER_TOPIC, activityId });
  }
  return jobs;
}
