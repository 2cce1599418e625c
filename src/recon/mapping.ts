// sync.json mappings: validation (errors name the offending field) and compilation into the
// functions the recon engine calls per row. Property semantics follow OpenIDM's PropertyMapping:
// condition → source value → transform → default → put at the target pointer.
import crypto from 'node:crypto';
import {
  ACTIONS,
  Action,
  CompiledMapping,
  DeletionThreshold,
  MappingConfig,
  PolicyAction,
  PolicyConfig,
  PropertyConfig,
  ScriptConfig,
  SITUATIONS,
  Situation,
  SourceObject,
} from './interfaces';
import { groovyMissing } from '../scripts/groovyHost';
import { CompiledScript, compileScript, ConfScriptOpts } from './script';
import { parseQueryFilter, matchesFilter } from '../crest/queryFilter';
import { checkCorrelationScript, compileCorrelation } from './correlation';
import { compileHooks, HOOK_KEYS, IN_TRANSACTION, refuseOpenidm } from './hooks';
import { compilePolicyScript, validatePolicyAction } from './policyScript';

/** OpenIDM's action for a situation the mapping has no policy for. */
export const DEFAULT_ACTIONS: Readonly<Record<Situation, Action>> = {
  CONFIRMED: 'UPDATE',
  FOUND: 'UPDATE',
  FOUND_ALREADY_LINKED: 'EXCEPTION',
  ABSENT: 'CREATE',
  UNQUALIFIED: 'DELETE',
  AMBIGUOUS: 'EXCEPTION',
  MISSING: 'EXCEPTION',
  SOURCE_IGNORED: 'IGNORE',
  UNASSIGNED: 'EXCEPTION',
  SOURCE_MISSING: 'EXCEPTION',
  TARGET_IGNORED: 'IGNORE',
};

const DEFAULT_LINK_QUALIFIER = 'default';

/** On unless a mapping says otherwise: 10% of the mapping's links, or 100, whichever is larger. */
export const DEFAULT_DELETION_THRESHOLD: Readonly<DeletionThreshold> = { percent: 10, minimum: 100 };

// ---------------------------------------------------------------------------------------------
// Validation

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requireString(obj: Json, key: string, at: string): string {
  const v = obj[key];
  if (v === undefined || v === null) throw new Error(`${at}.${key} is required`);
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`${at}.${key} must be a non-empty string`);
  return v;
}

function optionalString(obj: Json, key: string, at: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Error(`${at}.${key} must be a string`);
  return v;
}

/**
 * Finds a script's `file` on the project's script search path (src/config/scriptPath.ts: script/,
 * the project folder, then reconflow's built-ins).
 */
export interface ScriptResolver {
  resolve(name: string): { kind: 'project'; file: string; text: string } | { kind: 'builtin'; name: string; text?: string } | null;
  searched(name: string): string;
}

/** `file` read from the script search path into `source`; without a resolver `file` is refused. */
function fileScript(v: Json, at: string, scripts: ScriptResolver | undefined): Json {
  if (v.file === undefined || v.source !== undefined) return v;
  if (!scripts) throw new Error(`${at}.file is not supported; inline the script as ${at}.source`);
  if (typeof v.file !== 'string') throw new Error(`${at}.file must be a file name`);
  const found = scripts.resolve(v.file);
  if (!found) throw new Error(`${at}.file "${v.file}" is not found (looked in ${scripts.searched(v.file)})`);
  if (found.kind === 'builtin') throw new Error(`${at}.file "${v.file}" is one of IDM's default scripts that reconflow implements itself, not a script it can run here`);
  return { ...v, source: found.text };
}

/** An inline text/javascript or groovy script, or a `file` found on the script search path; other languages are refused. */
function script(v: unknown, at: string, requireSource = true, scripts?: ScriptResolver): ScriptConfig {
  if (typeof v === 'string') throw new Error(`${at}: queryFilter strings are not supported here; use a {"type": "text/javascript", "source": ...} script`);
  if (!isObject(v)) throw new Error(`${at} must be a script object {"type": "text/javascript", "source": ...}`);
  if (v.type !== 'text/javascript' && v.type !== 'groovy') throw new Error(`${at}.type must be "text/javascript" or "groovy"`);
  const type = v.type;
  if (type === 'groovy') {
    const missing = groovyMissing(at);
    if (missing) throw new Error(missing);
  }
  const o = fileScript(v, at, scripts);
  if (o.source === undefined && !requireSource) return { ...o, type };
  if (typeof o.source !== 'string' || o.source.trim() === '') throw new Error(`${at}.source is required (the script text)`);
  return { ...o, type, source: o.source };
}

function property(v: unknown, at: string, scripts?: ScriptResolver): PropertyConfig {
  if (!isObject(v)) throw new Error(`${at} must be an object`);
  const target = requireString(v, 'target', at);
  if (pointerTokens(target).length === 0) throw new Error(`${at}.target must name a property`);
  const p: PropertyConfig = { target };
  const source = optionalString(v, 'source', at);
  if (source !== undefined) p.source = source;
  if (v.transform !== undefined) {
    const t = script(v.transform, `${at}.transform`, true, scripts);
    if (t.pure !== undefined && typeof t.pure !== 'boolean') throw new Error(`${at}.transform.pure must be true or false`);
    p.transform = { type: t.type, source: t.source, ...(t.pure === true && { pure: true }) };
  }
  if (v.condition !== undefined) p.condition = script(v.condition, `${at}.condition`, true, scripts);
  if (v.default !== undefined) p.default = v.default;
  return p;
}

/** Actions after which OpenIDM's SyncOperation.performAction runs the policy's postAction (not EXCEPTION, which throws first, nor IGNORE/ASYNC). */
const POST_ACTION_ACTIONS: readonly Action[] = ['CREATE', 'UPDATE', 'LINK', 'DELETE', 'UNLINK', 'REPORT', 'NOREPORT'];

/**
 * `seen`: per situation, the index of an earlier policy without a condition. IDM considers a
 * situation's policies in order and takes the first whose condition holds (SyncOperation
 * .determineAction), so one after an unconditional policy could never apply: refused.
 */
function policy(v: unknown, at: string, seen: Map<string, number>, scripts?: ScriptResolver): PolicyConfig {
  if (!isObject(v)) throw new Error(`${at} must be an object`);
  const situation = v.situation;
  if (typeof situation !== 'string' || !(SITUATIONS as readonly string[]).includes(situation)) {
    throw new Error(`${at}.situation must be one of ${SITUATIONS.join(', ')} (got ${JSON.stringify(situation)})`);
  }
  const earlier = seen.get(situation);
  if (earlier !== undefined) {
    throw new Error(`${at}.situation ${situation} already has a policy without a condition (policies[${earlier}]), so this one could never apply: give the earlier one a "condition", or remove this one`);
  }
  const out = policyAction(v, at, situation as Situation, scripts);
  if (v.condition !== undefined) {
    if (typeof v.condition === 'string') {
      try {
        parseQueryFilter(v.condition);
      } catch (e) {
        throw new Error(`${at}.condition is not a valid queryFilter: ${e instanceof Error ? e.message : String(e)}`);
      }
      out.condition = v.condition;
    } else {
      out.condition = script(v.condition, `${at}.condition`, true, scripts);
      refuseOpenidm(out.condition.source, `${at}.condition`);
    }
  } else seen.set(situation, Number(/\[(\d+)\]$/.exec(at)?.[1] ?? -1));
  if (v.postAction !== undefined) {
    const action = out.action;
    // After an action script, the postAction runs when the script's answer is one of POST_ACTION_ACTIONS (policyScript.ts).
    const scripted = typeof action !== 'string' && typeof action.source === 'string';
    if (!scripted && (typeof action !== 'string' || !POST_ACTION_ACTIONS.includes(action))) {
      throw new Error(`${at}.postAction is never run by IDM after ${typeof action === 'string' ? action : 'a workflow action (ASYNC)'} (only after ${POST_ACTION_ACTIONS.join(', ')}): remove it`);
    }
    out.postAction = script(v.postAction, `${at}.postAction`, true, scripts);
    refuseOpenidm(out.postAction.source, `${at}.postAction`);
  }
  return out;
}

function policyAction(v: Json, at: string, situation: Situation, scripts?: ScriptResolver): PolicyConfig {
  const action = v.action;
  if (typeof action === 'string') {
    if (!(ACTIONS as readonly string[]).includes(action)) throw new Error(`${at}.action must be one of ${ACTIONS.join(', ')} (got "${action}")`);
    return { situation, action: action as Action };
  }
  if (isObject(action)) return { situation: situation as Situation, action: validatePolicyAction(action, situation as Situation, `${at}.action`, scripts) };
  throw new Error(`${at}.action is required (an action name, or a script {"type": "text/javascript", "source"|"file": ...})`);
}

function mapping(v: unknown, at: string, scripts?: ScriptResolver): MappingConfig {
  if (!isObject(v)) throw new Error(`${at} must be an object`);
  const m: MappingConfig = {
    name: requireString(v, 'name', at),
    source: requireString(v, 'source', at),
    target: requireString(v, 'target', at),
    properties: [],
    policies: [],
  };
  if (v.properties !== undefined) {
    if (!Array.isArray(v.properties)) throw new Error(`${at}.properties must be an array`);
    m.properties = v.properties.map((p, i) => property(p, `${at}.properties[${i}]`, scripts));
  }
  if (v.policies !== undefined) {
    if (!Array.isArray(v.policies)) throw new Error(`${at}.policies must be an array`);
    const seen = new Map<string, number>();
    m.policies = v.policies.map((p, i) => policy(p, `${at}.policies[${i}]`, seen, scripts));
  }
  if (v.correlation !== undefined) {
    if (!isObject(v.correlation)) throw new Error(`${at}.correlation must be an object {"targetField", "sourceField"}`);
    m.correlation = {
      targetField: requireString(v.correlation, 'targetField', `${at}.correlation`),
      sourceField: requireString(v.correlation, 'sourceField', `${at}.correlation`),
    };
  }
  if (v.correlationQuery !== undefined && v.correlationScript !== undefined) {
    throw new Error(`${at}: correlationQuery and correlationScript cannot both be configured (OpenIDM's Correlation refuses it too)`);
  }
  if (v.correlationQuery !== undefined) {
    if (Array.isArray(v.correlationQuery)) throw new Error(`${at}.correlationQuery: per-linkQualifier correlation queries are not supported`);
    m.correlationQuery = script(v.correlationQuery, `${at}.correlationQuery`, true, scripts);
    // The recognised declarative form takes the set-based path; any other script is run per entry.
    if (!correlationFromQuery(m.correlationQuery.source ?? '')) checkCorrelationScript(m.correlationQuery, `${at}.correlationQuery`);
  }
  if (v.correlationScript !== undefined) {
    m.correlationScript = script(v.correlationScript, `${at}.correlationScript`, true, scripts);
    checkCorrelationScript(m.correlationScript, `${at}.correlationScript`);
  }
  if (!m.correlation && !m.correlationQuery && !m.correlationScript) {
    throw new Error(`${at}.correlation is required ({"targetField": ..., "sourceField": ...}), or a correlationQuery or correlationScript`);
  }
  for (const key of [...HOOK_KEYS, 'result'] as const) {
    if (v[key] === undefined) continue;
    const s = script(v[key], `${at}.${key}`, true, scripts);
    // The result script runs after the run, outside any transaction: a JavaScript one gets openidm (hooks.ts).
    if (key !== 'result') refuseOpenidm(s.source, `${at}.${key}`, `${IN_TRANSACTION}; the mapping's result script, run after the run, may call openidm`);
    else if (s.type === 'groovy') refuseOpenidm(s.source, `${at}.${key}`, 'a Groovy result script runs without the script API; write it in JavaScript to call openidm');
    if (s.pure !== undefined) throw new Error(`${at}.${key}.pure applies to a property's transform only: remove it`);
    m[key] = s;
  }
  for (const key of ['validSource', 'validTarget', 'sourceCondition'] as const) {
    if (v[key] !== undefined) m[key] = script(v[key], `${at}.${key}`, true, scripts);
  }
  const lq = optionalString(v, 'linkQualifier', at);
  if (lq !== undefined) m.linkQualifier = lq;
  if (v.linkQualifiers !== undefined) {
    if (lq !== undefined) throw new Error(`${at}: linkQualifier and linkQualifiers cannot both be configured (IDM's ObjectMapping reads linkQualifiers only): keep linkQualifiers`);
    m.linkQualifiers = linkQualifiers(v.linkQualifiers, `${at}.linkQualifiers`, scripts);
  }
  if (v.allowEmptySourceSet !== undefined) {
    if (typeof v.allowEmptySourceSet !== 'boolean') throw new Error(`${at}.allowEmptySourceSet must be true or false`);
    m.allowEmptySourceSet = v.allowEmptySourceSet;
  }
  if (v.runTargetPhase !== undefined) {
    if (typeof v.runTargetPhase !== 'boolean') throw new Error(`${at}.runTargetPhase must be true or false`);
    m.runTargetPhase = v.runTargetPhase;
  }
  if (v.deletionThreshold !== undefined) m.deletionThreshold = deletionThreshold(v.deletionThreshold, `${at}.deletionThreshold`);
  if (v.clusteredSourceReconEnabled !== undefined) {
    if (typeof v.clusteredSourceReconEnabled !== 'boolean') throw new Error(`${at}.clusteredSourceReconEnabled must be true or false`);
    m.clusteredSourceReconEnabled = v.clusteredSourceReconEnabled;
  }
  if (v.reconSourceQueryPageSize !== undefined) {
    const n = v.reconSourceQueryPageSize;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw new Error(`${at}.reconSourceQueryPageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    m.reconSourceQueryPageSize = n;
  }
  if (m.clusteredSourceReconEnabled) {
    // A page commits as one transaction (src/recon/clustered.ts); these run outside it with the
    // script API's own connection, so they could not be part of the page's all-or-nothing.
    const scripted = m.policies.findIndex((p) => typeof p.action === 'object' && typeof p.action.source === 'string');
    if (scripted >= 0) throw new Error(`${at}.policies[${scripted}].action: an action script cannot run in a clustered reconciliation (clusteredSourceReconEnabled: true); use an action name or a workflow policy, or turn clustering off`);
    if (m.result) throw new Error(`${at}.result: a result script cannot run after a clustered reconciliation (clusteredSourceReconEnabled: true); remove it or turn clustering off`);
  }
  return m;
}

/** A page is one transaction: 10,000 records keep it well inside a job's lock. */
const MAX_PAGE_SIZE = 10_000;
/** IDM's default reconSourceQueryPageSize. */
const DEFAULT_PAGE_SIZE = 1000;

/**
 * OpenIDM's ObjectMapping linkQualifiers: a list of names (a set: repeats collapse), or a script
 * returning the list for `object` (all of them when `returnAll` is true).
 */
function linkQualifiers(v: unknown, at: string, scripts?: ScriptResolver): string[] | ScriptConfig {
  if (Array.isArray(v)) {
    if (!v.length) throw new Error(`${at} must name at least one qualifier (absent means ["default"])`);
    v.forEach((q, i) => {
      if (typeof q !== 'string' || q.trim() === '') throw new Error(`${at}[${i}] must be a non-empty string`);
    });
    return [...new Set(v as string[])];
  }
  if (isObject(v)) {
    const s = script(v, at, true, scripts);
    refuseOpenidm(s.source, at);
    return s;
  }
  throw new Error(`${at} must be an array of names or a script {"type": "text/javascript", "source"|"file": ...}`);
}

/** `{"percent": 0–100, "minimum": integer ≥ 0}`, either key optional (defaults 10 and 100). */
function deletionThreshold(v: unknown, at: string): Partial<DeletionThreshold> {
  if (!isObject(v)) throw new Error(`${at} must be an object {"percent": 10, "minimum": 100}`);
  for (const k of Object.keys(v)) if (k !== 'percent' && k !== 'minimum') throw new Error(`${at}.${k} is not a known key (percent, minimum)`);
  const out: Partial<DeletionThreshold> = {};
  if (v.percent !== undefined) {
    if (typeof v.percent !== 'number' || !(v.percent >= 0 && v.percent <= 100)) throw new Error(`${at}.percent must be a number from 0 to 100`);
    out.percent = v.percent;
  }
  if (v.minimum !== undefined) {
    if (typeof v.minimum !== 'number' || !Number.isInteger(v.minimum) || v.minimum < 0) throw new Error(`${at}.minimum must be an integer of 0 or more`);
    out.minimum = v.minimum;
  }
  return out;
}

/**
 * Checks a sync.json document and returns its mappings. Throws an Error whose message names the
 * offending field, e.g. `mappings[0].properties[3].target is required`.
 */
export function validateSyncConfig(json: unknown, scripts?: ScriptResolver): MappingConfig[] {
  if (!isObject(json)) throw new Error('sync configuration must be a JSON object with a "mappings" array');
  if (!Array.isArray(json.mappings)) throw new Error('mappings is required (an array)');
  const names = new Set<string>();
  const out = json.mappings.map((m, i) => {
    const at = `mappings[${i}]`;
    const out = mapping(m, at, scripts);
    if (names.has(out.name)) throw new Error(`${at}.name "${out.name}" is used by another mapping`);
    names.add(out.name);
    return out;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compilation

/**
 * The declarative equivalent of a correlationQuery script, when the script is exactly of the form
 * `({ _queryFilter: 'F eq "' + source.P + '"' })` or `var q = {...}; q` (IDM's samples);
 * null for anything else (reconflow does not run queries from scripts).
 */
export function correlationFromQuery(source: string): { targetField: string; sourceField: string } | null {
  const lhs = `(?:'([A-Za-z_$][\\w$]*) eq "'|"([A-Za-z_$][\\w$]*) eq \\\\"")`;
  const prop = `source(?:\\.([A-Za-z_$][\\w$]*)|\\[\\s*(?:'([^'\\\\]+)'|"([^"\\\\]+)")\\s*\\])`;
  const rhs = `(?:'"'|"\\\\"")`;
  const obj = `\\{\\s*(?:_queryFilter|'_queryFilter'|"_queryFilter")\\s*:\\s*${lhs}\\s*\\+\\s*${prop}\\s*\\+\\s*${rhs}\\s*,?\\s*\\}`;
  const forms = [new RegExp(`^\\s*\\(\\s*${obj}\\s*\\)\\s*;?\\s*$`), new RegExp(`^\\s*var\\s+([A-Za-z_$][\\w$]*)\\s*=\\s*${obj}\\s*;?\\s*\\1\\s*;?\\s*$`)];
  for (const re of forms) {
    const m = re.exec(source);
    if (!m) continue;
    const g = re === forms[0] ? m.slice(1) : m.slice(2);
    const targetField = g[0] ?? g[1];
    const sourceField = g[2] ?? g[3] ?? g[4];
    if (targetField && sourceField) return { targetField, sourceField };
  }
  return null;
}

/** JSON pointer ("/a/b") or plain path ("a/b", "a") tokens; "" and "/" mean the whole object. */
function pointerTokens(p: string): string[] {
  const body = p.startsWith('/') ? p.slice(1) : p;
  if (body === '') return [];
  return body.split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(obj: unknown, tokens: string[]): unknown {
  let cur: unknown = obj;
  for (const t of tokens) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, t)) return undefined;
    cur = (cur as Record<string, unknown>)[t];
  }
  return cur;
}

function putAt(obj: Record<string, unknown>, tokens: string[], value: unknown): void {
  let cur = obj;
  for (let i = 0; i < tokens.length - 1; i++) {
    const next = Object.prototype.hasOwnProperty.call(cur, tokens[i]) ? cur[tokens[i]] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      define(cur, tokens[i], created);
      cur = created;
    } else cur = next as Record<string, unknown>;
  }
  define(cur, tokens[tokens.length - 1], value);
}

// defineProperty, so a "__proto__" target cannot rewrite the prototype.
function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function jsonClone<T>(v: T): T {
  return v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as T);
}

const mentions = (src: string, name: string) => new RegExp(`\\b${name}\\b`).test(src);

interface CompiledProperty {
  sourceTokens: string[] | null;
  targetTokens: string[];
  transform?: CompiledScript;
  /** `"pure": true` in conf: results remembered per source value (the sandbox costs ~150 µs a call). */
  memo?: Map<string | number | boolean, unknown>;
  /** Bind `target` for the transform only when its text uses it (saves a JSON copy per row). */
  transformUsesTarget: boolean;
  condition?: CompiledScript;
  default?: unknown;
}

function booleanResult(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new Error(`${what} must return a boolean, got ${v === null ? 'null' : typeof v}`);
  return v;
}

const MEMO_MAX = 10_000;

/**
 * Runs a transform, or for a pure one with a primitive input returns the remembered result: an HR
 * feed has few distinct role lists, and each sandboxed call has a timeout watchdog. A copy is handed
 * out each time so no caller can change the remembered value.
 */
function transformValue(p: CompiledProperty, input: unknown, run: () => unknown): unknown {
  const primitive = typeof input === 'string' || typeof input === 'number' || typeof input === 'boolean';
  if (!p.memo || !primitive) return run();
  const key = input as string | number | boolean;
  if (!p.memo.has(key)) {
    if (p.memo.size >= MEMO_MAX) p.memo.clear();
    p.memo.set(key, run());
  }
  return jsonClone(p.memo.get(key));
}

/**
 * A policy's condition (OpenIDM's Conditions.newCondition): a queryFilter over `{object,
 * linkQualifier}` (QueryFilterCondition), or a script with those bindings that applies the policy
 * only when it returns true (ScriptedCondition).
 */
function policyCondition(c: PolicyConfig['condition'], label: string, opts: ConfScriptOpts): ((scope: { object: SourceObject | null; linkQualifier: string }) => boolean) | undefined {
  if (c === undefined) return undefined;
  if (typeof c === 'string') {
    const filter = parseQueryFilter(c);
    return (scope) => matchesFilter(filter, scope);
  }
  if (!c.source) return undefined;
  const run = compileScript(c.source, label, { ...opts, language: c.type });
  return (scope) => run({ ...scope }) === true;
}

/**
 * `opts`: the server's script options (src/recon/script.ts ConfScriptOpts): where a script's require()
 * finds the project's scripts (src/config/scriptPath.ts), its `logger` sink and `identityServer` properties.
 * Without linkQualifiers the mapping is one view (today's cost); with them, each qualifier's view is
 * compiled on first use, with its own caches (validity and policy choice differ per qualifier).
 */
export function compileMapping(cfg: MappingConfig, opts: ConfScriptOpts = {}): CompiledMapping {
  const lq = cfg.linkQualifiers;
  if (!lq) return withQualifiers(compileView(cfg, opts, cfg.linkQualifier ?? DEFAULT_LINK_QUALIFIER, DEFAULT_LINK_QUALIFIER), () => null, () => { throw new Error(`mapping ${cfg.name} has no linkQualifiers`); });
  const script = Array.isArray(lq) ? null : compileScript(lq.source ?? '', `${cfg.name}.linkQualifiers`, { ...opts, language: lq.type });
  // ObjectMapping.getLinkQualifiers: bindings mapping, object, oldValue (reconflow has none: null), returnAll.
  const qualifiersOf = (source: SourceObject | null): string[] => {
    if (!script) return lq as string[];
    const v = script({ mapping: cfg.name, object: source, oldValue: null, returnAll: source === null });
    if (!Array.isArray(v) || v.some((q) => typeof q !== 'string' || q === '')) {
      throw new Error(`mapping ${cfg.name}: the linkQualifiers script must return an array of non-empty strings, got ${JSON.stringify(v) ?? typeof v}`);
    }
    return [...new Set(v as string[])];
  };
  const views = new Map<string, CompiledMapping>();
  const forQualifier = (q: string): CompiledMapping => {
    let v = views.get(q);
    if (!v) views.set(q, (v = withQualifiers(compileView(cfg, opts, q, q), qualifiersOf, forQualifier)));
    return v;
  };
  // What is not per source (configuredPolicies, the phases' checks, performAction's default) reads the first qualifier's view.
  return forQualifier(Array.isArray(lq) ? lq[0] : DEFAULT_LINK_QUALIFIER);
}

function withQualifiers(view: Omit<CompiledMapping, 'qualifiersOf' | 'forQualifier'>, qualifiersOf: CompiledMapping['qualifiersOf'], forQualifier: CompiledMapping['forQualifier']): CompiledMapping {
  return Object.assign(view, { qualifiersOf, forQualifier });
}

/** The mapping under one qualifier: `linkQualifier` is what its scripts see, `qualifier` what its links carry. */
function compileView(cfg: MappingConfig, opts: ConfScriptOpts, linkQualifier: string, qualifier: string): Omit<CompiledMapping, 'qualifiersOf' | 'forQualifier'> {
  const scriptDirs = opts.scriptDirs;
  const props: CompiledProperty[] = cfg.properties.map((p, i) => {
    const label = `${cfg.name}.properties[${i}](${p.target})`;
    const cp: CompiledProperty = {
      sourceTokens: p.source === undefined ? null : pointerTokens(p.source),
      targetTokens: pointerTokens(p.target),
      transformUsesTarget: false,
    };
    if (cp.targetTokens.length === 0) throw new Error(`${label}: target must name a property`);
    if (p.transform?.source) {
      cp.transform = compileScript(p.transform.source, `${label}.transform`, { ...opts, language: p.transform.type });
      cp.transformUsesTarget = mentions(p.transform.source, 'target');
      if (p.transform.pure && !cp.transformUsesTarget) cp.memo = new Map();
    }
    if (p.condition?.source) cp.condition = compileScript(p.condition.source, `${label}.condition`, { ...opts, language: p.condition.type });
    if (p.default !== undefined) cp.default = p.default;
    return cp;
  });

  // Declarative (set-based in assess.ts) when it can be; else the script runs per entry (correlation.ts).
  const correlationRule = cfg.correlation ?? (cfg.correlationQuery?.source ? correlationFromQuery(cfg.correlationQuery.source) ?? undefined : undefined);
  const corrKey = correlationRule ? null : cfg.correlationQuery ? 'correlationQuery' : cfg.correlationScript ? 'correlationScript' : null;
  if (!correlationRule && !corrKey) throw new Error(`mapping ${cfg.name}: no correlation; add "correlation": {"targetField", "sourceField"}`);
  const corrScript = corrKey ? compileCorrelation(corrKey, cfg[corrKey]!, cfg.name, opts) : null;
  const corrTokens = correlationRule ? pointerTokens(correlationRule.sourceField) : null;

  const configuredPolicies = cfg.policies.map((p, i) => {
    const policy: PolicyAction =
      typeof p.action === 'string'
        ? { kind: 'action', action: p.action }
        : typeof p.action.source === 'string'
          ? { kind: 'script', script: compilePolicyScript(p.action, linkQualifier, scriptDirs) }
          : { kind: 'workflow', workflowName: String(p.action.workflowName), ...(typeof p.action.approvedAction === 'string' && { approvedAction: p.action.approvedAction as Action }) };
    if (p.postAction?.source) policy.postAction = compileScript(p.postAction.source, `${cfg.name}.policies[${i}].postAction`, { ...opts, language: p.postAction.type });
    return { situation: p.situation, policy, condition: policyCondition(p.condition, `${cfg.name}.policies[${i}].condition`, opts) };
  });
  const conditional = configuredPolicies.some((p) => p.condition);
  // A batch asks for a row's policy more than once (deletion budget, then the action): conditions run once.
  const chosen = new WeakMap<object, Map<Situation, PolicyAction>>();
  const choose = (situation: Situation, source: SourceObject | null): PolicyAction => {
    for (const p of configuredPolicies) {
      if (p.situation !== situation) continue;
      if (!p.condition || p.condition({ object: source, linkQualifier })) return p.policy;
    }
    return { kind: 'action', action: DEFAULT_ACTIONS[situation] };
  };

  const validSource = cfg.validSource?.source ? compileScript(cfg.validSource.source, `${cfg.name}.validSource`, { ...opts, language: cfg.validSource.type }) : undefined;
  const sourceCondition = cfg.sourceCondition?.source ? compileScript(cfg.sourceCondition.source, `${cfg.name}.sourceCondition`, { ...opts, language: cfg.sourceCondition.type }) : undefined;
  const validTarget = cfg.validTarget?.source ? compileScript(cfg.validTarget.source, `${cfg.name}.validTarget`, { ...opts, language: cfg.validTarget.type }) : undefined;
  // The engine may ask several times about one row; each script run costs a timed vm call.
  const validity = new WeakMap<object, boolean>();

  // The fingerprint says when links must be re-compared: the protection keys do not change a sync.
  const { allowEmptySourceSet, runTargetPhase, deletionThreshold: threshold, clusteredSourceReconEnabled, reconSourceQueryPageSize, ...synced } = cfg;
  return {
    name: cfg.name,
    fingerprint: crypto.createHash('sha256').update(JSON.stringify(synced)).digest('hex'),
    allowEmptySourceSet: allowEmptySourceSet === true,
    runTargetPhase: runTargetPhase !== false,
    clusteredPageSize: clusteredSourceReconEnabled ? (reconSourceQueryPageSize ?? DEFAULT_PAGE_SIZE) : null,
    deletionThreshold: { ...DEFAULT_DELETION_THRESHOLD, ...threshold },
    source: cfg.source,
    target: cfg.target,
    map(source: SourceObject, existingTarget?: Record<string, unknown>): Record<string, unknown> {
      const out: Record<string, unknown> = {};
      for (const p of props) {
        if (p.condition) {
          // `target` is null when there is no target yet (CREATE), so scripts can test it.
          const bindings: Record<string, unknown> = { object: source, target: existingTarget ?? null, linkQualifier };
          if (p.condition(bindings) !== true) continue; // OpenIDM: anything but true skips the property
        }
        let value: unknown = p.sourceTokens === null ? source : getAt(source, p.sourceTokens);
        if (p.transform) {
          value = transformValue(p, value, () => {
            const bindings: Record<string, unknown> = { source: value, linkQualifier };
            if (p.transformUsesTarget) bindings.target = existingTarget ?? null;
            return p.transform!(bindings);
          });
        } else value = jsonClone(value);
        if (value === undefined || value === null) value = p.default === undefined ? null : jsonClone(p.default);
        putAt(out, p.targetTokens, value);
      }
      return out;
    },
    correlation: {
      targetField: correlationRule?.targetField ?? '',
      value: (source: SourceObject) => (corrTokens ? getAt(source, corrTokens) : undefined),
      ...(corrScript && corrKey && { script: { key: corrKey, mapping: cfg.name, linkQualifier, script: corrScript } }),
    },
    policyFor(situation: Situation, source?: SourceObject | null): PolicyAction {
      if (!conditional || !source) return choose(situation, source ?? null);
      let bySituation = chosen.get(source);
      if (!bySituation) chosen.set(source, (bySituation = new Map()));
      let p = bySituation.get(situation);
      if (!p) bySituation.set(situation, (p = choose(situation, source)));
      return p;
    },
    configuredPolicies: configuredPolicies.map(({ situation, policy }) => ({ situation, policy })),
    hooks: compileHooks(cfg.name, cfg, opts),
    linkQualifier,
    qualifier,
    config: cfg,
    isValidSource(source: SourceObject): boolean {
      if (!validSource && !sourceCondition) return true;
      const cached = validity.get(source);
      if (cached !== undefined) return cached;
      let ok = true;
      if (sourceCondition) ok = booleanResult(sourceCondition({ object: source, source, linkQualifier }), `mapping ${cfg.name}: sourceCondition`);
      if (ok && validSource) ok = booleanResult(validSource({ source, linkQualifier }), `mapping ${cfg.name}: validSource`);
      validity.set(source, ok);
      return ok;
    },
    isValidTarget(target: Record<string, unknown>): boolean {
      if (!validTarget) return true;
      return booleanResult(validTarget({ target, linkQualifier }), `mapping ${cfg.name}: validTarget`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Change detection

/**
 * The mapped target fields whose value differs from `existing` (deep, JSON semantics), for
 * "update only if changed". `_id` and `_rev` are skipped (not updatable). null and a missing
 * field count as equal. Relationship arrays (items with `_ref`) compare as sets of `_ref`s,
 * ignoring the `_ref*` metadata a repository adds.
 */
export function changedFields(mapped: Record<string, unknown>, existing: Record<string, unknown> | null | undefined): string[] {
  const changed: string[] = [];
  for (const k of Object.keys(mapped)) {
    if (k === '_id' || k === '_rev') continue;
    if (!jsonEqual(mapped[k], existing ? existing[k] : undefined)) changed.push(k);
  }
  return changed;
}

const isRef = (v: unknown): v is { _ref: string } => isObject(v) && typeof v._ref === 'string';

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null) return b === undefined || b === null;
  if (b === undefined || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    if (a.length > 0 && a.every(isRef) && b.every(isRef)) {
      const count = new Map<string, number>();
      for (const x of a) count.set(refKey(x), (count.get(refKey(x)) ?? 0) + 1);
      for (const y of b) {
        const k = refKey(y);
        const n = count.get(k);
        if (!n) return false;
        count.set(k, n - 1);
      }
      return true;
    }
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  const ao = a as Json;
  const bo = b as Json;
  const refs = isRef(a) && isRef(b);
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) {
    if (refs && k !== '_ref' && k.startsWith('_ref')) continue;
    if (!jsonEqual(ao[k], bo[k])) return false;
  }
  return true;
}

/** A relationship item's identity: its `_ref` plus any non-metadata properties. */
function refKey(v: { _ref: string }): string {
  const rest = Object.keys(v)
    .filter((k) => !k.startsWith('_ref'))
    .sort()
    .map((k) => [k, (v as Json)[k]]);
  return rest.length ? JSON.stringify([v._ref, rest]) : v._ref;
}
