// sync.json policy actions that are scripts: `"action": {"type": "text/javascript", "source"|"file":
// ..., ...globals}` answers the row's action name (OpenIDM's sync Policy.getAction: bindings `source`,
// `target`, `sourceAction`, `linkQualifier`, `recon` with `recon.actionParam` = {reconId, mapping,
// situation, action (the situation's default), sourceId, linkQualifier, targetId when there is
// one}, plus the script object's own keys such as `workflowName`; "action script returned null
// value" / "returned invalid action" when the answer is not an action).
//
// workflow/triggerWorkflowFromSync.js, reconflow's built-in (defaults/script), is recognized and not
// run: the run starts the approvals itself in batches (requestApprovals), which is what the script
// would do, thousands of times faster. A project's own file of that name, or any other action
// script, runs per row through runScriptAsync with IDM's script API (src/scriptApi/openidmFacade.ts).
// Its `workflow/processinstance` creates for the row are handed to requestApprovals (snapshot,
// ask-again, one open request per source row), whatever process they name; other starts are plain.
// Scripts run after the batch's transaction (their calls use the database), one row at a time.
// Target-phase situations (SOURCE_MISSING, UNASSIGNED, TARGET_IGNORED) run theirs in the target
// phase, after the page's transaction, with TargetSyncOperation's bindings (targetPolicyScript.ts).
import vm from 'node:vm';
import { checkApprovedAction } from '../approval/approvedAction';
import { requestApprovals } from '../approval/trigger';
import { insertAudit, AuditEntry } from '../repo/reconAudit';
import { runScriptAsync } from '../scripts/asyncHost';
import { modulePrelude } from '../scripts/modules';
import type { OpenidmFacade, StartedProcess } from '../scriptApi/openidmFacade';
import { applyInSavepoint } from './applyAction';
import { Assessment } from './assess';
import { countRemoval, removes } from './deletionGuard';
import { Action, ACTIONS, PolicyConfig, PolicyScript, Situation } from './interfaces';
import { DEFAULT_ACTIONS, type ScriptResolver } from './mapping';
import { recordedStatus } from './reconStatus';
import { RunScope } from './runScope';
import type { CompiledScript } from './script';

export const TRIGGER_WORKFLOW_FROM_SYNC = 'workflow/triggerWorkflowFromSync.js';
/** A policy script's own running time per row; the time its calls take is not counted (asyncHost.ts). */
export const POLICY_SCRIPT_TIMEOUT_MS = 1000;
const SCRIPT_KEYS = ['type', 'source', 'file', 'globals'];

type Json = Record<string, unknown>;

/**
 * Checks a policy's object action. The built-in trigger (named by `file`, or reconflow's older form
 * `{"workflowName"}` alone) stays `{workflowName, ...}`; any other script comes back with its text
 * in `source` (a project file read from the script path).
 */
export function validatePolicyAction(action: Json, situation: Situation, at: string, scripts?: ScriptResolver): Exclude<PolicyConfig['action'], string> {
  checkApprovedAction(action.approvedAction, situation, at); // reconflow's key: refused here when it could not be performed
  const builtin = () => {
    if (typeof action.workflowName !== 'string' || action.workflowName.trim() === '') {
      throw new Error(`${at}.workflowName is required: ${TRIGGER_WORKFLOW_FROM_SYNC} starts the process of that key`);
    }
    return { ...action, workflowName: action.workflowName };
  };
  if (action.file === undefined && action.source === undefined) {
    if (action.workflowName !== undefined) return builtin();
    throw new Error(`${at} must be an action name or a script {"type": "text/javascript", "source"|"file": ...}`);
  }
  if (action.type !== 'text/javascript') throw new Error(`${at}.type must be "text/javascript" (action scripts in other languages are not supported)`);
  let source = action.source;
  let name = `${at}.source`;
  if (source === undefined) {
    if (typeof action.file !== 'string') throw new Error(`${at}.file must be a file name`);
    if (!scripts) {
      // Without a project (a bare sync.json check) the built-in is known by name.
      if (action.file === TRIGGER_WORKFLOW_FROM_SYNC) return builtin();
      throw new Error(`${at}.file is not supported here; inline the script as ${at}.source`);
    }
    const found = scripts.resolve(action.file);
    if (!found) throw new Error(`${at}.file "${action.file}" is not found (looked in ${scripts.searched(action.file)})`);
    if (found.kind === 'builtin') return builtin();
    source = found.text;
    name = found.file;
  } else if (action.file !== undefined) throw new Error(`${at} has both source and file; keep one`);
  if (typeof source !== 'string' || source.trim() === '') throw new Error(`${at}.source is required (the script text)`);
  try {
    new vm.Script(source, { filename: name });
  } catch (e) {
    throw new Error(`${at}: script ${name} does not compile: ${(e as Error).message}`);
  }
  return { ...action, source, scriptName: name };
}

/** The compiled form of a validated action script. */
export function compilePolicyScript(action: Json, linkQualifier: string, scriptDirs?: string[]): PolicyScript {
  const name = String(action.scriptName ?? 'policy action');
  const source = String(action.source);
  const globals: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(action)) if (!SCRIPT_KEYS.includes(k) && k !== 'scriptName') globals[k] = v;
  // IDM's script config may also nest its variables under "globals".
  if (action.globals && typeof action.globals === 'object') Object.assign(globals, action.globals);
  const modules = modulePrelude(source, name, scriptDirs);
  return { name, source, globals, linkQualifier, ...(modules && { modules }) };
}

/** What a script answered: one of IDM's actions, or the reason it is not one. */
export function actionOf(value: unknown): Action | Error {
  if (value === null || value === undefined) return new Error('action script returned null value');
  const text = String(value);
  return (ACTIONS as readonly string[]).includes(text) ? (text as Action) : new Error(`action script returned invalid action "${text.slice(0, 100)}"`);
}

/**
 * Runs the batch's action scripts, one row at a time, applies each answer (ASYNC: nothing more) and
 * writes the rows' audit entries.
 */
export async function runPolicyScripts(scope: RunScope, rows: { a: Assessment; script: PolicyScript; postAction?: CompiledScript }[], ts: string): Promise<void> {
  const { db, run, mapping, users } = scope;
  const facade = scope.options.scripts;
  const startedBy = (run.row.parameters.startedBy as string) ?? null;
  for (const { a, script, postAction } of rows) {
    const audit: AuditEntry[] = [];
    const entry = (action: Action | null, status: 'SUCCESS' | 'FAILURE', message: string | null, targetId = a.targetId) => {
      run.progress.count(a.situation, status === 'SUCCESS');
      if (action !== 'NOREPORT') {
        audit.push({
          reconId: run.row.id, mapping: mapping.name, sourceObjectId: a.source._id, targetObjectId: targetId, situation: a.situation, action, status, message,
          linkQualifier: mapping.qualifier, ambiguousTargetObjectIds: a.ambiguousTargetIds?.join(', ') ?? null, timestamp: ts,
        });
      }
    };
    const handed: string[] = [];
    let answer: unknown;
    try {
      if (!facade) throw new Error('the script API is not available to this run');
      answer = await runRow(scope, facade, a, script, startedBy, handed);
    } catch (e) {
      entry('EXCEPTION', 'FAILURE', (e as Error).message);
      await insertAudit(db.knex, audit);
      continue;
    }
    const action = actionOf(answer);
    if (action instanceof Error) entry('EXCEPTION', 'FAILURE', `${script.name}: ${action.message}`);
    else if (action === 'ASYNC') entry('ASYNC', 'SUCCESS', handed.length ? handed.join('; ') : `${script.name} answered ASYNC`);
    else {
      if (run.budget && removes(action, a)) {
        const counts = new Map<string, number>();
        countRemoval(counts, a.situation, action);
        run.budget.check(counts, false);
        run.budget.spend(1);
      }
      // The policy's postAction after the answered action, in the action's savepoint (SyncOperation.performAction, Policy.evaluatePostAction).
      const outcome = await db.knex.transaction((trx) => applyInSavepoint(trx, users, mapping, action, a, { reconId: run.row.id, postAction }));
      if (outcome.created) run.progress.targetCreated++;
      else if (outcome.targetId) run.progress.targetProcessed++;
      if (outcome.linkCreated) run.progress.linksCreated++;
      // EXCEPTION is recorded as IDM's recon records it (reconStatus.ts).
      entry(action, recordedStatus(action, outcome.status), outcome.message, outcome.targetId);
    }
    await insertAudit(db.knex, audit);
  }
}

async function runRow(scope: RunScope, facade: OpenidmFacade, a: Assessment, script: PolicyScript, startedBy: string | null, handed: string[]): Promise<unknown> {
  const { db, run, mapping, users } = scope;
  // The target as openidm.read shows it (with _id, _rev); a linked row whose target did not change
  // was not read by the assessment (inSync).
  const row = a.target ?? (a.targetId ? await users.readRow(db.knex, a.targetId) : null);
  const target = row ? users.present(row) : null;
  const actionParam: Record<string, unknown> = {
    _action: 'performAction', reconId: run.row.id, mapping: mapping.name, situation: a.situation,
    action: DEFAULT_ACTIONS[a.situation], sourceId: a.source._id, linkQualifier: script.linkQualifier,
    ...(a.targetId && { targetId: a.targetId }),
  };
  const startApproval = async (workflowName: string): Promise<StartedProcess> => {
    // `mapping` is this qualifier's view: the approval is per (source row, qualifier) and links under it.
    const [outcome] = await requestApprovals(db.knex, scope.runtime, users, [{
      workflowName, mapping, reconId: run.row.id, situation: a.situation, source: a.source, targetId: a.targetId,
      // reconflow's approvedAction, given to the script as a variable too, names the approval's action.
      action: typeof script.globals.approvedAction === 'string' ? (script.globals.approvedAction as Action) : undefined,
      askAgain: scope.options.askAgain[mapping.name] ?? 'whenSourceChanges', startUserId: startedBy, defaults: scope.options.startVariables,
    }]);
    if (outcome instanceof Error) throw new Error(`Cannot start ${workflowName}: ${outcome.message}`);
    handed.push(outcome.message);
    const id = outcome.processInstanceId === null ? null : String(outcome.processInstanceId);
    return { _id: id, processInstanceId: id, status: 'suspended', started: outcome.started, message: outcome.message };
  };
  return runScriptAsync({
    name: script.name,
    source: script.source,
    modules: script.modules,
    bindings: { ...script.globals, source: a.source, target, sourceAction: true, linkQualifier: script.linkQualifier, recon: { actionParam } },
    limitMs: POLICY_SCRIPT_TIMEOUT_MS,
    onCall: facade.handler({ scriptName: script.name, actor: startedBy, reconRow: { reconId: run.row.id, mapping: mapping.name, sourceId: a.source._id, startApproval } }),
  });
}
