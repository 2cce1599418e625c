// The scheduler: IDM's schedules (conf/schedule-<name>.json and /openidm/scheduler/job), stored
// in the repository and fired by whichever node claims each due time first. Every node runs the
// same loop; a due time is claimed by a conditional UPDATE of the schedule's next_fire_time from
// the value read (src/repo/schedules.ts), so it fires once across nodes, never by a node's timer
// deciding alone. Lateness is measured on the database's clock. A due time claimed more than
// MISFIRE_THRESHOLD_MS late is a misfire (a downtime, or a pause): fireAndProceed fires once for
// all the due times missed and goes on from the next future one; doNothing records them as missed
// and goes on. A fire while the schedule's previous one still runs (its reconciliation still
// ACTIVE) is skipped and recorded, unless concurrentExecution is true.
import crypto from 'node:crypto';
import { ConfigError } from '../config/conf';
import { Logger } from '../context';
import { Filter, matchesFilter } from '../crest/queryFilter';
import { Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed } from '../errors';
import { errorMessage } from '../log';
import { compileScript, CompiledScript } from '../recon/script';
import { Reconciler } from '../recon/reconciler';
import { Db } from '../repo/db';
import * as repo from '../repo/schedules';
import {
  DefinitionContext, parseSchedule, readScriptFile, ScheduleDefinition, ScheduleInvalid, ScriptContext, SyncContext, SYNC_SERVICE, timingKey, timingOf,
} from './definition';

/** How often each node looks for due schedules. */
export const TICK_MS = 250;
/** A due time claimed later than this is a misfire (Quartz's misfireThreshold, shorter). */
export const MISFIRE_THRESHOLD_MS = 5_000;
/** A fire claimed or running longer than this without an ACTIVE reconciliation no longer blocks its schedule. */
const RUNNING_STALE_MS = 60_000;
/** The most due times one misfire counts one by one (a 1 s schedule down for a day is 86,400). */
const MAX_COUNTED = 200_000;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,254}$/;
const READ_ONLY = ['_rev', 'triggers', 'nextRunDate', 'previousRunDate', 'lastRun'];

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(t).toISOString());

/** A schedule as /openidm/scheduler/job answers it (IDM's shape, plus reconflow's lastRun). */
export type JobView = Record<string, unknown> & { _id: string };

export function jobView(row: repo.ScheduleRow, last: repo.FireRow | undefined): JobView {
  const def = row.config as unknown as ScheduleDefinition;
  const active = def.enabled && row.nextFireTime !== null;
  const group = 'scheduler-service-group';
  return {
    _id: row.id,
    ...def,
    // One trigger per schedule, as IDM lists it (without Quartz's serialized internals).
    triggers: active
      ? [{ _id: `${group}.trigger-${row.id}`, name: `trigger-${row.id}`, group, jobKey: `${group}.${row.id}`, nodeId: last?.node ?? null, state: row.paused ? 'PAUSED' : 'NORMAL', previousState: null, calendar: null }]
      : [],
    previousRunDate: last && last.kind !== 'missed' ? iso(last.kind === 'misfire' ? last.claimedAt : last.fireTime) : null,
    nextRunDate: active ? iso(row.nextFireTime) : null,
    lastRun: last
      ? {
          fireTime: iso(last.fireTime), kind: last.kind, covers: last.covers, lastFireTime: iso(last.lastFireTime), status: last.status, node: last.node,
          claimedAt: iso(last.claimedAt), endedAt: iso(last.endedAt), reconId: last.reconId, message: last.message,
        }
      : null,
  };
}

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<unknown> = Promise.resolve();
  private stopped = true;
  /** Set by stop(): a pass in progress claims nothing more. */
  private halting = false;
  private lastTickError = '';
  private scripts = new Map<string, CompiledScript>();

  constructor(
    private db: Db,
    private log: Logger,
    private nodeId: string,
    private reconciler: Reconciler,
    private projectDir: string,
  ) {}

  private context(): DefinitionContext {
    return { mappings: new Set(this.reconciler.mappingNames()), projectDir: this.projectDir };
  }

  /**
   * conf/schedule-<name>.json: each is checked (a bad one stops the start, naming the file and the
   * key) and stored as schedule <name>. A file unchanged since it was stored keeps its next fire
   * time, so a restart applies the misfire policy to the due times it missed; a changed timing
   * starts again from now. Schedules of files no longer there are removed.
   */
  async loadConf(raw: Record<string, unknown>): Promise<string[]> {
    const defs: [string, string, ScheduleDefinition][] = [];
    for (const [file, json] of Object.entries(raw)) {
      const m = /^schedule-(.+)\.json$/.exec(file);
      if (!m) continue;
      if (!ID.test(m[1])) throw new ConfigError(file, `the schedule name "${m[1]}" may hold only letters, digits, _ . @ - (at most 255)`);
      try {
        defs.push([file, m[1], parseSchedule(json, this.context(), m[1])]);
      } catch (e) {
        if (e instanceof ScheduleInvalid) throw new ConfigError(file, e.message);
        throw e;
      }
    }
    for (const [file, id, def] of defs) await this.store(id, def, file, {});
    for (const gone of await repo.schedulesFromOtherFiles(this.db.knex, defs.map(([f]) => f))) {
      await repo.deleteSchedule(this.db.knex, gone);
      this.log.info(`schedule ${gone} removed: its conf file is gone`);
    }
    return defs.map(([, id]) => id);
  }

  /**
   * PUT/DELETE config/schedule/<name> at run time (src/config/live.ts): checked as
   * conf/schedule-<name>.json is at start, then stored as that file's schedule (the schedule rows
   * are shared, so every node fires the new timing; polling nodes store the same, a no-op).
   */
  async prepareConf(file: string, json: unknown | null): Promise<() => Promise<void>> {
    const id = /^schedule-(.+)\.json$/.exec(file)?.[1] ?? '';
    if (!ID.test(id)) throw new ConfigError(file, `the schedule name "${id.slice(0, 200)}" may hold only letters, digits, _ . @ - (at most 255)`);
    const existing = await repo.readSchedule(this.db.knex, id);
    if (existing?.source === 'rest') throw new Conflict(`Schedule ${id} was created by /openidm/scheduler/job/${id}: change or delete it there`);
    if (json === null) {
      return async () => {
        if (await repo.deleteSchedule(this.db.knex, id)) this.log.info(`schedule ${id} removed: config/schedule/${id} was deleted`);
      };
    }
    let def: ScheduleDefinition;
    try {
      def = parseSchedule(json, this.context(), id);
    } catch (e) {
      if (e instanceof ScheduleInvalid) throw new ConfigError(file, e.message);
      throw e;
    }
    return async () => void (await this.store(id, def, file, {}));
  }

  /** The schedules (any source) that start a reconciliation of each mapping. */
  async schedulesByMapping(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const row of await repo.listSchedules(this.db.knex)) {
      const def = row.config as unknown as ScheduleDefinition;
      const mapping = (def.invokeContext as Partial<SyncContext> | undefined)?.mapping;
      if (def.invokeService === SYNC_SERVICE && typeof mapping === 'string') out.set(mapping, [...(out.get(mapping) ?? []), row.id]);
    }
    return out;
  }

  /** Inserts or replaces a schedule (compare-and-swap on its revision); whether it was created. */
  private async store(id: string, def: ScheduleDefinition, source: string, o: { createOnly?: boolean; fromRest?: boolean }): Promise<boolean> {
    const k = this.db.knex;
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = await repo.scheduleClock(k);
      const existing = await repo.readSchedule(k, id);
      if (!existing) {
        const next = def.enabled ? timingOf(def, now).nextAfter(now - 1) : null;
        if (await repo.insertSchedule(k, { id, config: def, source, nextFireTime: next, anchorTime: now })) return true;
        continue; // another node (or request) inserted it first: compare with theirs
      }
      if (o.fromRest && existing.source !== 'rest') throw new Forbidden(`Schedule ${id} is defined by conf/${existing.source}: change it with PUT /openidm/config/schedule/${id} (or in that file, read at start), not the job`);
      if (o.createOnly) throw new PreconditionFailed(`Schedule ${id} already exists`);
      const before = existing.config as unknown as ScheduleDefinition;
      if (JSON.stringify(before) === JSON.stringify(def) && existing.source === source) return false;
      const retime = timingKey(before) !== timingKey(def);
      const changes = retime ? { nextFireTime: def.enabled ? timingOf(def, now).nextAfter(now - 1) : null, anchorTime: now } : {};
      if (await repo.replaceSchedule(k, id, existing.rev, { config: def, source, ...changes })) return false;
    }
    throw new Conflict(`Schedule ${id} changed concurrently; try again`);
  }

  // ------------------------------------------------------------------ the loop

  start(): void {
    this.stopped = false;
    this.halting = false;
    const loop = async () => {
      if (this.stopped) return;
      this.ticking = this.tick().catch((e) => {
        const msg = errorMessage(e);
        if (msg !== this.lastTickError) this.log.warn(`scheduler: ${msg}`);
        this.lastTickError = msg;
      });
      await this.ticking;
      if (!this.stopped) {
        this.timer = setTimeout(() => void loop(), TICK_MS);
        this.timer.unref();
      }
    };
    this.timer = setTimeout(() => void loop(), 0);
    this.timer.unref();
  }

  /** Claims nothing more and waits for the fire in progress (a reconciliation it started runs on under the reconciler). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halting = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }

  /** One pass: claims and runs every due time that has come. The number this node claimed. */
  async tick(): Promise<number> {
    const { rows, now } = await repo.dueSchedules(this.db.knex);
    let claimed = 0;
    for (const row of rows) {
      if (this.halting) break;
      if (await this.fireOne(row, now)) claimed++;
    }
    if (rows.length) this.lastTickError = '';
    return claimed;
  }

  private async fireOne(row: repo.ScheduleRow, now: number): Promise<boolean> {
    const def = row.config as unknown as ScheduleDefinition;
    const expected = row.nextFireTime!;
    const timing = timingOf(def, row.anchorTime);
    let claim: repo.Claim;
    if (now - expected <= MISFIRE_THRESHOLD_MS) {
      claim = { scheduleId: row.id, expected, next: timing.nextAfter(expected), fire: { fireTime: expected, lastFireTime: expected, covers: 1, kind: 'scheduled', status: 'claimed', node: this.nodeId } };
    } else {
      // A misfire: every due time from `expected` up to now was missed.
      let last = expected;
      let covers = 1;
      let t = timing.nextAfter(expected);
      while (t !== null && t <= now && covers < MAX_COUNTED) {
        last = t;
        covers++;
        t = timing.nextAfter(t);
      }
      const next = t !== null && t > now ? t : timing.nextAfter(now);
      const span = `${covers} due time(s) from ${iso(expected)} to ${iso(last)} missed`;
      claim = def.misfirePolicy === 'fireAndProceed'
        ? { scheduleId: row.id, expected, next, fire: { fireTime: expected, lastFireTime: last, covers, kind: 'misfire', status: 'claimed', node: this.nodeId, message: `${span}: fired once (misfirePolicy fireAndProceed)` } }
        : { scheduleId: row.id, expected, next, fire: { fireTime: expected, lastFireTime: last, covers, kind: 'missed', status: 'missed', node: this.nodeId, message: `${span}: not run (misfirePolicy doNothing)` } };
    }
    const fireId = await repo.claimFire(this.db.knex, claim);
    if (fireId === null) return false; // another node claimed it, or it changed meanwhile
    if (claim.fire.kind === 'missed') {
      this.log.warn(`schedule ${row.id}: ${claim.fire.message}`);
      return true;
    }
    if (claim.fire.kind === 'misfire') this.log.warn(`schedule ${row.id}: ${claim.fire.message}`);
    await this.run(row.id, def, fireId, expected, claim.next);
    return true;
  }

  private logAt(def: ScheduleDefinition, msg: string): void {
    // invokeLogLevel: the level a fire is logged at (trace and debug are below what reconflow logs).
    if (def.invokeLogLevel === 'info') this.log.info(msg);
    else if (def.invokeLogLevel === 'warn') this.log.warn(msg);
    else if (def.invokeLogLevel === 'error' || def.invokeLogLevel === 'fatal') this.log.error(msg);
  }

  private async run(id: string, def: ScheduleDefinition, fireId: number, fireTime: number, next: number | null): Promise<void> {
    const k = this.db.knex;
    try {
      if (!def.concurrentExecution) {
        const other = await repo.otherFireRunning(k, id, fireId, RUNNING_STALE_MS);
        if (other) {
          const message = `skipped: the fire of ${iso(other.fireTime)} is still running${other.reconId ? ` (reconciliation ${other.reconId})` : ''} and concurrentExecution is false`;
          await repo.updateFire(k, fireId, { status: 'skipped', message, end: true });
          this.logAt(def, `schedule ${id} ${message}`);
          return;
        }
      }
      if (def.invokeService === SYNC_SERVICE) {
        const { mapping } = def.invokeContext as SyncContext;
        try {
          const runRow = await this.reconciler.startRun(mapping, false, `scheduler/${id}`);
          await repo.updateFire(k, fireId, { status: 'started', reconId: runRow.id, end: true });
          this.logAt(def, `schedule ${id} started reconciliation ${runRow.id} of ${mapping}`);
        } catch (e) {
          // Another run of the mapping is ACTIVE (one per mapping across nodes): nothing was started.
          const status = e instanceof Conflict ? 'skipped' : 'failed';
          await repo.updateFire(k, fireId, { status, message: errorMessage(e), end: true });
          this.log.warn(`schedule ${id}: ${status}: ${errorMessage(e)}`);
        }
        return;
      }
      const { script } = def.invokeContext as ScriptContext;
      await repo.updateFire(k, fireId, { status: 'running' });
      try {
        const source = script.source ?? readScriptFile(script.file!, this.projectDir);
        const key = `${id}\u0000${source}`;
        let compiled = this.scripts.get(key);
        if (!compiled) {
          compiled = compileScript(source, `schedule ${id}`);
          this.scripts.set(key, compiled);
        }
        // IDM's scheduled scripts see their fire in `input`; invokeContext.script.globals are globals.
        const result = compiled({
          ...(script.globals ?? {}),
          input: { 'invoker-name': `Scheduler ${id}`, 'scheduled-fire-time': iso(fireTime), 'actual-fire-time': new Date().toISOString(), 'next-fire-time': iso(next) },
        });
        await repo.updateFire(k, fireId, { status: 'succeeded', result: result ?? null, end: true });
        this.logAt(def, `schedule ${id} ran its script`);
      } catch (e) {
        await repo.updateFire(k, fireId, { status: 'failed', message: errorMessage(e), end: true });
        this.log.warn(`schedule ${id}: script failed: ${errorMessage(e)}`);
      }
    } catch (e) {
      // The repository failed mid-fire: the due time stays claimed (recoverable is false, as IDM's default).
      this.log.warn(`schedule ${id}: fire ${fireId} not recorded to its end: ${errorMessage(e)}`);
    }
  }

  // ------------------------------------------------------------------ /openidm/scheduler/job

  private async views(rows: repo.ScheduleRow[]): Promise<JobView[]> {
    const last = await repo.lastFires(this.db.knex, rows.map((r) => r.id));
    return rows.map((r) => jobView(r, last.get(r.id)));
  }

  async list(filter: Filter): Promise<JobView[]> {
    return (await this.views(await repo.listSchedules(this.db.knex))).filter((v) => matchesFilter(filter, v));
  }

  async read(id: string): Promise<JobView> {
    const row = await repo.readSchedule(this.db.knex, id);
    if (!row) throw new NotFound(`Schedule ${id.slice(0, 255)} not found`);
    return (await this.views([row]))[0];
  }

  /** PUT: creates or replaces schedule `id` (createOnly: If-None-Match: *). */
  async put(id: string, body: Record<string, unknown>, o: { createOnly?: boolean } = {}): Promise<{ view: JobView; created: boolean }> {
    if (!ID.test(id)) throw new InvalidInput('A schedule id may hold only letters, digits, _ . @ - (at most 255), starting with a letter or digit');
    const { _id, ...rest } = body;
    if (_id !== undefined && _id !== id) throw new InvalidInput(`_id "${String(_id).slice(0, 255)}" differs from the id in the URL`);
    for (const k of READ_ONLY) if (k in rest) throw new ScheduleInvalid(k, 'is read-only (computed by the scheduler): leave it out of the request');
    const def = parseSchedule(rest, this.context(), id);
    const created = await this.store(id, def, 'rest', { createOnly: o.createOnly, fromRest: true });
    return { view: await this.read(id), created };
  }

  /** POST ?_action=create: a new schedule with a generated id. */
  async create(body: Record<string, unknown>): Promise<JobView> {
    if (body._id !== undefined) throw new InvalidInput('_action=create assigns the id; use PUT /openidm/scheduler/job/<id> to choose it');
    return (await this.put(crypto.randomUUID(), body, { createOnly: true })).view;
  }

  async remove(id: string): Promise<JobView> {
    const row = await repo.readSchedule(this.db.knex, id);
    if (!row) throw new NotFound(`Schedule ${id.slice(0, 255)} not found`);
    if (row.source !== 'rest') throw new Forbidden(`Schedule ${id} is defined by conf/${row.source}: delete it with DELETE /openidm/config/schedule/${id} (or remove that file, read at start), not the job`);
    const view = (await this.views([row]))[0];
    if (!(await repo.deleteSchedule(this.db.knex, id))) throw new NotFound(`Schedule ${id.slice(0, 255)} not found`);
    return view;
  }

  /** pauseJobs / resumeJobs: every schedule, across nodes. A paused due time left behind is a misfire at resume. */
  async setPaused(paused: boolean): Promise<number> {
    return repo.setAllPaused(this.db.knex, paused);
  }

  /** listCurrentlyExecutingJobs: schedules with a fire running (on any node, or a reconciliation it started still ACTIVE). */
  async executing(): Promise<JobView[]> {
    const ids = new Set(await repo.executingScheduleIds(this.db.knex, RUNNING_STALE_MS));
    return (await this.views((await repo.listSchedules(this.db.knex)).filter((r) => ids.has(r.id))));
  }
}
