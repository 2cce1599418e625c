// A schedule as IDM writes it (conf/schedule-<name>.json, the body of PUT /openidm/scheduler/job/<id>):
// every key is checked, and one reconflow cannot honour is refused naming the key, never read and
// ignored. The keys and their meaning follow PingIDM's "Configure schedules" (schedule
// configuration properties): https://docs.pingidentity.com/pingidm/8/schedules-guide/configure-schedules.html
import fs from 'node:fs';
import path from 'node:path';
import { InvalidInput } from '../errors';
import { compileScript } from '../recon/script';
import { parseQuartzCron } from '../workflow/timers';

export const SYNC_SERVICE = 'org.forgerock.openidm.sync';
export const SCRIPT_SERVICE = 'org.forgerock.openidm.script';
const SERVICES: Record<string, string> = { sync: SYNC_SERVICE, [SYNC_SERVICE]: SYNC_SERVICE, script: SCRIPT_SERVICE, [SCRIPT_SERVICE]: SCRIPT_SERVICE };
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface SyncContext {
  action: 'reconcile';
  mapping: string;
}
export interface ScriptContext {
  script: { type: 'text/javascript'; source?: string; file?: string; globals?: Record<string, unknown> };
}

/** A schedule with every default filled in: what is stored and what REST answers (IDM's keys). */
export interface ScheduleDefinition {
  enabled: boolean;
  persisted: true;
  recoverable: false;
  misfirePolicy: 'fireAndProceed' | 'doNothing';
  schedule: string | null;
  repeatInterval: number;
  repeatCount: number;
  type: 'cron' | 'simple';
  invokeService: typeof SYNC_SERVICE | typeof SCRIPT_SERVICE;
  invokeContext: SyncContext | ScriptContext;
  invokeLogLevel: LogLevel;
  timeZone: string | null;
  startTime: string | null;
  endTime: string | null;
  concurrentExecution: boolean;
}

/** What a definition is checked against: the configured mappings and the project folder (script files). */
export interface DefinitionContext {
  mappings: ReadonlySet<string>;
  projectDir: string;
}

/** A refused key: `key` is the JSON path of the value at fault. */
export class ScheduleInvalid extends InvalidInput {
  constructor(readonly key: string, problem: string) {
    super(`${key} ${problem}`, { key });
  }
}

const KNOWN = [
  'enabled', 'persisted', 'recoverable', 'concurrentExecution', 'type', 'repeatInterval', 'repeatCount', 'startTime', 'endTime',
  'schedule', 'timeZone', 'misfirePolicy', 'invokeService', 'invokeContext', 'invokeLogLevel',
];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bool(j: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = j[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new ScheduleInvalid(key, 'must be true or false');
  return v;
}

function onlyKeys(j: Record<string, unknown>, where: string, keys: string[]): void {
  for (const k of Object.keys(j)) {
    if (!keys.includes(k)) throw new ScheduleInvalid(where ? `${where}.${k}` : k, `is not a key reconflow's scheduler knows (known: ${keys.join(', ')})`);
  }
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The offset (ms) of `tz` from UTC at the instant `t`. */
function zoneOffset(t: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(t));
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - Math.floor(t / 1000) * 1000;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * startTime/endTime as IDM writes them (yyyy-MM-dd'T'HH:mm:ss, with an optional +hh:mm or Z): a
 * time without an offset is in the schedule's timeZone (UTC when none). Epoch ms.
 */
export function parseScheduleTime(text: string, timeZone: string | null, key: string): number {
  const m = ISO_TIME.exec(text);
  if (!m) throw new ScheduleInvalid(key, `"${text.slice(0, 64)}" is not an ISO 8601 time (yyyy-MM-ddTHH:mm:ss, optionally followed by Z or +hh:mm)`);
  if (m[8]) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new ScheduleInvalid(key, `"${text}" is not a valid time`);
    return at;
  }
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi, s) + (m[7] ? Math.round(Number(m[7]) * 1000) : 0);
  const check = new Date(wall);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw new ScheduleInvalid(key, `"${text}" is not a valid time`);
  if (!timeZone) return wall;
  // Two passes: the zone's offset at the guess, then at the corrected instant (DST edges).
  const first = wall - zoneOffset(wall, timeZone);
  return wall - zoneOffset(first, timeZone);
}

function scriptContext(raw: unknown, ctx: DefinitionContext, name: string): ScriptContext {
  if (!isObject(raw)) throw new ScheduleInvalid('invokeContext', 'must be an object with a script');
  onlyKeys(raw, 'invokeContext', ['script']);
  const s = raw.script;
  if (!isObject(s)) throw new ScheduleInvalid('invokeContext.script', 'must be an object {type, source | file}');
  onlyKeys(s, 'invokeContext.script', ['type', 'source', 'file', 'globals']);
  if (s.type !== 'text/javascript') throw new ScheduleInvalid('invokeContext.script.type', `must be "text/javascript" (reconflow's script sandbox runs JavaScript only)`);
  const hasSource = s.source !== undefined;
  const hasFile = s.file !== undefined;
  if (hasSource === hasFile) throw new ScheduleInvalid('invokeContext.script', 'needs exactly one of source and file');
  if (s.globals !== undefined && !isObject(s.globals)) throw new ScheduleInvalid('invokeContext.script.globals', 'must be an object (bound as the script\'s global variables)');
  let source: string;
  if (hasSource) {
    if (typeof s.source !== 'string' || !s.source.trim()) throw new ScheduleInvalid('invokeContext.script.source', 'must be a non-empty string');
    source = s.source;
  } else {
    if (typeof s.file !== 'string' || !s.file.trim()) throw new ScheduleInvalid('invokeContext.script.file', 'must be a path relative to the project folder');
    source = readScriptFile(s.file, ctx.projectDir);
  }
  try {
    compileScript(source, `schedule ${name}`);
  } catch (e) {
    throw new ScheduleInvalid(hasSource ? 'invokeContext.script.source' : 'invokeContext.script.file', `does not compile: ${(e as Error).message}`);
  }
  const script: ScriptContext['script'] = { type: 'text/javascript', ...(hasSource ? { source } : { file: s.file as string }) };
  if (s.globals !== undefined) script.globals = s.globals as Record<string, unknown>;
  return { script };
}

/** A script file inside the project folder (IDM resolves them against its project too). */
export function readScriptFile(file: string, projectDir: string): string {
  const root = path.resolve(projectDir);
  const full = path.resolve(root, file);
  if (full !== root && !full.startsWith(root + path.sep)) throw new ScheduleInvalid('invokeContext.script.file', `"${file}" is outside the project folder`);
  try {
    return fs.readFileSync(full, 'utf8');
  } catch (e) {
    throw new ScheduleInvalid('invokeContext.script.file', `"${file}" cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function syncContext(raw: unknown, ctx: DefinitionContext): SyncContext {
  if (!isObject(raw)) throw new ScheduleInvalid('invokeContext', 'must be an object {action: "reconcile", mapping}');
  onlyKeys(raw, 'invokeContext', ['action', 'mapping']);
  if (raw.action !== 'reconcile') throw new ScheduleInvalid('invokeContext.action', 'must be "reconcile" (the only sync action reconflow schedules)');
  if (typeof raw.mapping !== 'string' || !raw.mapping) throw new ScheduleInvalid('invokeContext.mapping', 'is required');
  if (!ctx.mappings.has(raw.mapping)) throw new ScheduleInvalid('invokeContext.mapping', `"${raw.mapping.slice(0, 200)}" is not a mapping of sync.json (known: ${[...ctx.mappings].join(', ')})`);
  return { action: 'reconcile', mapping: raw.mapping };
}

/**
 * Checks a schedule and fills in IDM's defaults. Throws ScheduleInvalid naming the key. `name`
 * only labels the compiled script.
 */
export function parseSchedule(json: unknown, ctx: DefinitionContext, name = 'schedule'): ScheduleDefinition {
  if (!isObject(json)) throw new ScheduleInvalid('(root)', 'must be a JSON object');
  onlyKeys(json, '', KNOWN);
  const enabled = bool(json, 'enabled', true);
  if (!bool(json, 'persisted', true)) {
    throw new ScheduleInvalid('persisted', 'false (an in-memory schedule, fired by every node) is not supported: reconflow stores every schedule in the repository so that it fires once across nodes; remove the key or set it to true');
  }
  if (bool(json, 'recoverable', false)) {
    throw new ScheduleInvalid('recoverable', 'true is not supported: a fire interrupted by a crash is not run again (a reconciliation it started is marked FAILED); remove the key or set it to false');
  }
  const concurrentExecution = bool(json, 'concurrentExecution', false);
  const type = json.type;
  if (type !== 'cron' && type !== 'simple') throw new ScheduleInvalid('type', 'must be "cron" or "simple"');
  const timeZone = json.timeZone ?? null;
  if (timeZone !== null && (typeof timeZone !== 'string' || !validTimeZone(timeZone))) throw new ScheduleInvalid('timeZone', `"${String(timeZone).slice(0, 64)}" is not a time zone (an IANA name such as Europe/Paris or UTC)`);
  const times: Record<'startTime' | 'endTime', string | null> = { startTime: null, endTime: null };
  for (const k of ['startTime', 'endTime'] as const) {
    const v = json[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new ScheduleInvalid(k, 'must be an ISO 8601 time string');
    parseScheduleTime(v, timeZone as string | null, k);
    times[k] = v;
  }
  if (times.startTime && times.endTime && parseScheduleTime(times.endTime, timeZone as string | null, 'endTime') <= parseScheduleTime(times.startTime, timeZone as string | null, 'startTime')) {
    throw new ScheduleInvalid('endTime', 'must be after startTime');
  }
  let schedule: string | null = null;
  let repeatInterval = 0;
  let repeatCount = 0;
  if (type === 'cron') {
    if (typeof json.schedule !== 'string' || !json.schedule.trim()) throw new ScheduleInvalid('schedule', 'is required for a cron trigger (Quartz syntax: seconds minutes hours day-of-month month day-of-week [year])');
    try {
      parseQuartzCron(json.schedule, (timeZone as string | null) ?? 'UTC');
    } catch (e) {
      throw new ScheduleInvalid('schedule', `is not a Quartz cron expression: ${(e as Error).message}`);
    }
    schedule = json.schedule.trim();
    // IDM answers a cron schedule with repeatInterval 0 and repeatCount 0: those are accepted back.
    for (const k of ['repeatInterval', 'repeatCount']) {
      if (json[k] !== undefined && json[k] !== 0) throw new ScheduleInvalid(k, 'is used only by simple triggers ("type": "simple")');
    }
  } else {
    if (json.schedule !== undefined && json.schedule !== null) throw new ScheduleInvalid('schedule', 'is used only by cron triggers ("type": "cron"); a simple trigger has repeatInterval and repeatCount');
    const ri = json.repeatInterval;
    if (typeof ri !== 'number' || !Number.isInteger(ri) || ri < 1) throw new ScheduleInvalid('repeatInterval', 'must be a positive integer (milliseconds between fires) for a simple trigger');
    repeatInterval = ri;
    const rc = json.repeatCount ?? -1;
    if (typeof rc !== 'number' || !Number.isInteger(rc) || rc < -1) throw new ScheduleInvalid('repeatCount', 'must be -1 (repeat indefinitely), 0 or a positive integer');
    repeatCount = rc;
  }
  const misfirePolicy = json.misfirePolicy ?? 'fireAndProceed';
  if (misfirePolicy !== 'fireAndProceed' && misfirePolicy !== 'doNothing') throw new ScheduleInvalid('misfirePolicy', 'must be "fireAndProceed" or "doNothing"');
  const invokeLogLevel = json.invokeLogLevel ?? 'info';
  if (!LOG_LEVELS.includes(invokeLogLevel as LogLevel)) throw new ScheduleInvalid('invokeLogLevel', `must be one of ${LOG_LEVELS.join(', ')}`);
  if (typeof json.invokeService !== 'string' || !SERVICES[json.invokeService]) {
    throw new ScheduleInvalid('invokeService', `${json.invokeService === undefined ? 'is required' : `"${String(json.invokeService).slice(0, 64)}" is not supported`}: reconflow schedules "sync" (a reconciliation) and "script"`);
  }
  const invokeService = SERVICES[json.invokeService] as ScheduleDefinition['invokeService'];
  const invokeContext = invokeService === SYNC_SERVICE ? syncContext(json.invokeContext, ctx) : scriptContext(json.invokeContext, ctx, name);
  return {
    enabled, persisted: true, recoverable: false, misfirePolicy, schedule, repeatInterval, repeatCount, type, invokeService, invokeContext,
    invokeLogLevel: invokeLogLevel as LogLevel, timeZone: timeZone as string | null, startTime: times.startTime, endTime: times.endTime, concurrentExecution,
  };
}

/** When a schedule fires: the first due time strictly after a given time, null when none is left. */
export interface Timing {
  nextAfter(from: number): number | null;
}

/** `anchor`: a simple trigger's first fire when it has no startTime (when it was stored). */
export function timingOf(def: ScheduleDefinition, anchor: number): Timing {
  const start = def.startTime ? parseScheduleTime(def.startTime, def.timeZone, 'startTime') : null;
  const end = def.endTime ? parseScheduleTime(def.endTime, def.timeZone, 'endTime') : null;
  const bounded = (t: number | undefined | null) => (t === undefined || t === null || (end !== null && t > end) ? null : t);
  if (def.type === 'cron') {
    const cron = parseQuartzCron(def.schedule!, def.timeZone ?? 'UTC');
    return { nextAfter: (from) => bounded(cron.nextAfter(start !== null && from < start - 1 ? start - 1 : from)) };
  }
  const first = start ?? anchor;
  return {
    nextAfter(from) {
      const k = from < first ? 0 : Math.floor((from - first) / def.repeatInterval) + 1;
      if (def.repeatCount >= 0 && k > def.repeatCount) return null;
      return bounded(first + k * def.repeatInterval);
    },
  };
}

/** The keys that decide when it fires: a change of these recomputes the next fire time. */
export function timingKey(def: ScheduleDefinition): string {
  const { enabled, type, schedule, repeatInterval, repeatCount, startTime, endTime, timeZone } = def;
  return JSON.stringify({ enabled, type, schedule, repeatInterval, repeatCount, startTime, endTime, timeZone });
}
