// A mapping's script hooks as OpenIDM's SyncOperation.execScript runs them: onCreate (before the
// target is created; what the script does to `target` is what gets created), onUpdate (before the
// update; its changes to `target` are written), onDelete (before the delete), onLink / onUnlink
// (just before the link is created / removed, as SyncOperation.createLink and the UNLINK case do).
// A script's value is ignored; an exception makes the entry a FAILURE with the script's message
// (HookFailed; the caller's savepoint undoes the entry). Also a policy's postAction (OpenIDM's
// Policy.evaluatePostAction) and the mapping's `result` script (ObjectMapping.doResults), which runs
// after the run's work, outside any transaction, so a JavaScript one gets IDM's script API
// (openidm, identityServer, logger) through runScriptAsync.
import vm from 'node:vm';
import { CompiledScript, compileScript, ConfScriptOpts } from './script';
import { ScriptConfig, Situation, SourceObject } from './interfaces';
import { runScriptAsync } from '../scripts/asyncHost';
import { modulePrelude } from '../scripts/modules';
import type { OpenidmFacade } from '../scriptApi/openidmFacade';

export const TARGET_HOOKS = ['onCreate', 'onUpdate'] as const;
export const HOOK_KEYS = ['onCreate', 'onUpdate', 'onDelete', 'onLink', 'onUnlink'] as const;
export type HookName = (typeof HOOK_KEYS)[number];

/** A script hook, or a policy's postAction, threw: the entry is a FAILURE (IDM's SynchronizationException). */
export class HookFailed extends Error {}

/** Why the in-transaction hooks (onCreate... onUnlink) have no openidm binding. */
export const IN_TRANSACTION = "it runs inside the entry's transaction (its savepoint), where a call would need the database the entry holds";

/**
 * A script without the openidm binding that mentions it is refused at start rather than failing on
 * every row at run time; `why` says why the binding is not there.
 */
export function refuseOpenidm(source: string | undefined, at: string, why?: string): void {
  if (source && /\bopenidm\s*(\.|\[)/.test(source)) {
    const reason = why ? ` (${why})` : ' yet (reconflow binds no openidm object here)';
    throw new Error(`${at}: openidm calls are not available in this hook${reason}; remove the openidm.* call from the script`);
  }
}

export interface HookScope {
  source: SourceObject | null;
  target: Record<string, unknown> | null;
  targetId: string | null;
  situation?: Situation | null;
  oldTarget?: Record<string, unknown> | null;
  reconId?: string | null;
}

/** A JavaScript result script, run through runScriptAsync with IDM's script API. */
export interface AsyncResultScript {
  name: string;
  source: string;
  modules?: string;
}

export interface MappingHooks {
  onCreate?: CompiledScript;
  onUpdate?: CompiledScript;
  onDelete?: CompiledScript;
  onLink?: CompiledScript;
  onUnlink?: CompiledScript;
  /** JavaScript: run with the script API; Groovy: the synchronous sandbox (no openidm). */
  result?: AsyncResultScript | CompiledScript;
}

/**
 * onCreate and onUpdate are compiled with `target` as their last expression: the sandbox hands back
 * values, not the bindings it was given, so this is how the script's changes to `target` come back.
 */
export function compileHooks(mapping: string, cfg: Partial<Record<HookName | 'result', ScriptConfig>>, opts: ConfScriptOpts): MappingHooks {
  const out: MappingHooks = {};
  for (const key of [...HOOK_KEYS, 'result'] as const) {
    const s = cfg[key];
    if (!s?.source) continue;
    if (key === 'result' && s.type !== 'groovy') {
      const name = `${mapping}.result`;
      try {
        new vm.Script(s.source, { filename: name }); // a syntax error stops the start
      } catch (e) {
        throw new Error(`script ${name} failed: ${(e as Error).message}`);
      }
      const modules = modulePrelude(s.source, name, opts.scriptDirs);
      out.result = { name, source: s.source, ...(modules && { modules }) };
      continue;
    }
    const returnsTarget = (TARGET_HOOKS as readonly string[]).includes(key);
    const text = returnsTarget ? `${s.source}\n${s.type === 'groovy' ? '' : ';'}target\n` : s.source;
    out[key] = compileScript(text, `${mapping}.${key}`, { ...opts, language: s.type });
  }
  return out;
}

/** The bindings of SyncOperation.execScript; `context` is a minimal stand-in for IDM's request context. */
function bindings(mappingName: string, mappingConfig: unknown, linkQualifier: string, s: HookScope): Record<string, unknown> {
  return {
    context: { name: 'sync', mapping: mappingName, ...(s.reconId ? { reconId: s.reconId } : {}) },
    linkQualifier,
    mappingConfig,
    source: s.source,
    oldSource: null,
    sourceId: s.source?._id ?? null,
    target: s.target,
    ...(s.oldTarget !== undefined ? { oldTarget: s.oldTarget } : {}),
    targetId: s.targetId,
    ...(s.situation ? { situation: s.situation } : {}),
  };
}

export interface HookRunner {
  hooks: MappingHooks;
  name: string;
  linkQualifier: string;
  config: unknown;
}

/** Runs `hook` if the mapping has it; onCreate/onUpdate give back the target as the script left it. */
export function runHook(m: HookRunner, hook: HookName, s: HookScope): Record<string, unknown> | null {
  const script = m.hooks[hook];
  if (!script) return s.target;
  let value: unknown;
  try {
    value = script(bindings(m.name, m.config, m.linkQualifier, s));
  } catch (e) {
    throw new HookFailed(`${m.name} ${hook} script encountered exception: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!(TARGET_HOOKS as readonly string[]).includes(hook)) return s.target;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HookFailed(`${m.name} ${hook} script left target as ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}; it must stay an object`);
  }
  return value as Record<string, unknown>;
}

/** Policy.evaluatePostAction's bindings; runs after the action, in the entry's savepoint. */
export function runPostAction(
  m: HookRunner,
  postAction: CompiledScript,
  s: { action: string; situation: Situation | null; sourceAction: boolean; source: SourceObject | null; target: Record<string, unknown> | null; reconId: string | null },
): void {
  try {
    postAction({
      linkQualifier: m.linkQualifier, sourceAction: s.sourceAction, action: s.action, situation: s.situation, reconId: s.reconId,
      source: s.source, target: s.target,
    });
  } catch (e) {
    throw new HookFailed(`${m.name} postAction script of the ${s.situation} policy encountered exception: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The result script

/** One phase's statistics as OpenIDM's PhaseStatistic.asMap gives them to the result script. */
class PhaseStats {
  startTime: number | null = null;
  endTime: number | null = null;
  private ids = new Map<string, string[]>();
  private notValid: string[] = [];

  constructor(private name: string) {}

  note(situation: Situation, id: string | null, notValid: boolean): void {
    if (id === null) return;
    const list = this.ids.get(situation) ?? [];
    list.push(id);
    this.ids.set(situation, list);
    if (notValid) this.notValid.push(id);
  }

  asMap(processed: number): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: this.name,
      startTime: iso(this.startTime),
      endTime: iso(this.endTime),
      duration: this.startTime === null ? 0 : (this.endTime ?? Date.now()) - this.startTime,
      entryListDuration: 0, // reconflow streams the entries; there is no separate listing step
      processed,
      NOTVALID: { count: this.notValid.length, ids: this.notValid },
    };
    let entries = 0;
    for (const [situation, ids] of this.ids) {
      out[situation] = { count: ids.length, ids };
      entries += ids.length;
    }
    out.entries = entries;
    return out;
  }
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/**
 * What a run gathers for its mapping's result script (kept only when the mapping has one: IDM's
 * statistics list every id by situation). Source entries that are not valid for the mapping
 * (SOURCE_IGNORED, UNQUALIFIED) and targets that are not (TARGET_IGNORED) are also NOTVALID, as
 * SourceSyncOperation / TargetSyncOperation add them.
 */
export class ResultStats {
  readonly started = Date.now();
  readonly source = new PhaseStats('source');
  readonly target = new PhaseStats('target');

  noteSource(situation: Situation, id: string): void {
    this.source.note(situation, id, situation === 'SOURCE_IGNORED' || situation === 'UNQUALIFIED');
  }

  noteTarget(situation: Situation, id: string): void {
    this.target.note(situation, id, situation === 'TARGET_IGNORED');
  }
}

/** A result script's own running time; the time its openidm calls take is not counted (asyncHost.ts). */
export const RESULT_SCRIPT_TIMEOUT_MS = 5000;

/**
 * ObjectMapping.doResults: `source` and `target` are the phases' statistics, `global` the run's
 * (ReconciliationStatistic.asMap: startTime, endTime, duration, reconId, mappingName). A failure is
 * thrown (IDM fails the reconciliation with it); the caller records it on the run. A JavaScript
 * script's openidm calls act as `actor` (the run's starter), as IDM runs it in the recon's context.
 */
export async function runResultScript(
  m: HookRunner, reconId: string, stats: ResultStats, processed: { source: number; target: number },
  api?: { facade?: OpenidmFacade; actor: string | null },
): Promise<void> {
  const script = m.hooks.result;
  if (!script) return;
  const ended = Date.now();
  const global = {
    startTime: new Date(stats.started).toISOString(), endTime: new Date(ended).toISOString(), duration: ended - stats.started,
    reconId, mappingName: m.name, mapping: m.name,
  };
  const bindings = { global, source: stats.source.asMap(processed.source), target: stats.target.asMap(processed.target) };
  try {
    if (typeof script === 'function') script(bindings);
    else {
      if (!api?.facade) throw new Error('the script API is not available to this run');
      await runScriptAsync({
        name: script.name, source: script.source, modules: script.modules, bindings, limitMs: RESULT_SCRIPT_TIMEOUT_MS,
        onCall: api.facade.handler({ scriptName: script.name, actor: api.actor }),
      });
    }
  } catch (e) {
    throw new HookFailed(`${m.name} result script encountered exception: ${e instanceof Error ? e.message : String(e)}`);
  }
}
