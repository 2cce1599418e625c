// SQL for schedules (src/scheduler): the schedule rows and the fire of each due time. A due time is
// claimed by one node only: the UPDATE of next_fire_time from the value the node read matches for
// one node, and the fire row it writes in the same transaction is unique per (schedule, due time).
// Times are epoch ms by the database's clock, so nodes whose clocks differ agree on what is due.
import { dbNow, insertReturningId, isUniqueViolation, nowMsSql, dialectOf, parseJson, Q, rawRows } from './dialect';

export interface ScheduleRow {
  id: string;
  config: Record<string, unknown>;
  source: string;
  rev: number;
  nextFireTime: number | null;
  anchorTime: number;
  paused: boolean;
}

export interface FireRow {
  id: number;
  scheduleId: string;
  fireTime: number;
  lastFireTime: number;
  covers: number;
  kind: 'scheduled' | 'misfire' | 'missed';
  status: string;
  node: string;
  claimedAt: number;
  endedAt: number | null;
  reconId: string | null;
  message: string | null;
  result: unknown;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function scheduleOf(r: Record<string, unknown>): ScheduleRow {
  return {
    id: r.id as string, config: parseJson(r.config), source: r.source as string, rev: Number(r.rev),
    nextFireTime: num(r.next_fire_time), anchorTime: Number(r.anchor_time), paused: Boolean(r.paused),
  };
}

function fireOf(r: Record<string, unknown>): FireRow {
  return {
    id: Number(r.id), scheduleId: r.schedule_id as string, fireTime: Number(r.fire_time), lastFireTime: Number(r.last_fire_time), covers: Number(r.covers),
    kind: r.kind as FireRow['kind'], status: r.status as string, node: r.node as string, claimedAt: Number(r.claimed_at), endedAt: num(r.ended_at),
    reconId: (r.recon_id as string) ?? null, message: (r.message as string) ?? null, result: r.result === null || r.result === undefined ? null : parseJson(r.result),
  };
}

export async function readSchedule(q: Q, id: string): Promise<ScheduleRow | null> {
  const r = await q('schedule').where({ id }).first();
  return r ? scheduleOf(r) : null;
}

export async function listSchedules(q: Q): Promise<ScheduleRow[]> {
  return (await q('schedule').orderBy('id')).map(scheduleOf);
}

/** The database's clock now (epoch ms). */
export async function scheduleClock(q: Q): Promise<number> {
  const res = await q.raw(`SELECT ${nowMsSql(dialectOf(q))} AS now`);
  return Number(rawRows(q, res)[0].now);
}

/** Inserts a new schedule; false when the id is taken. `anchorTime`/`nextFireTime` null: the database's now. */
export async function insertSchedule(q: Q, s: { id: string; config: unknown; source: string; nextFireTime: number | null; anchorTime: number }): Promise<boolean> {
  try {
    await q('schedule').insert({
      id: s.id, config: JSON.stringify(s.config), source: s.source, rev: 1, next_fire_time: s.nextFireTime, anchor_time: s.anchorTime, paused: false,
      created_at: dbNow(q), updated_at: dbNow(q),
    });
    return true;
  } catch (e) {
    if (isUniqueViolation(e)) return false;
    throw e;
  }
}

/** Replaces a schedule's config if it is still at `rev`; false when it changed or is gone. */
export async function replaceSchedule(
  q: Q, id: string, rev: number, s: { config: unknown; source: string; nextFireTime?: number | null; anchorTime?: number },
): Promise<boolean> {
  const changes: Record<string, unknown> = { config: JSON.stringify(s.config), source: s.source, rev: rev + 1, updated_at: dbNow(q) };
  if (s.nextFireTime !== undefined) changes.next_fire_time = s.nextFireTime;
  if (s.anchorTime !== undefined) changes.anchor_time = s.anchorTime;
  return (await q('schedule').where({ id, rev }).update(changes)) === 1;
}

/** Deletes a schedule and its fire history; false when it was not there. */
export async function deleteSchedule(q: Q, id: string): Promise<boolean> {
  const n = await q('schedule').where({ id }).del();
  await q('schedule_fire').where({ schedule_id: id }).del();
  return n === 1;
}

/** Schedules defined by conf files that are no longer there (`sources`: the files that are). */
export async function schedulesFromOtherFiles(q: Q, sources: string[]): Promise<string[]> {
  const rows = await q('schedule').whereNot({ source: 'rest' }).whereNotIn('source', sources.length ? sources : ['\u0001']).select('id');
  return rows.map((r: { id: string }) => r.id);
}

/** pauseJobs / resumeJobs: every schedule, on every node (the flag is read by each claim). */
export async function setAllPaused(q: Q, paused: boolean): Promise<number> {
  return q('schedule').update({ paused, updated_at: dbNow(q) });
}

/** Schedules whose next fire time has come by the database's clock, with that clock. */
export async function dueSchedules(q: Q, limit = 100): Promise<{ rows: ScheduleRow[]; now: number }> {
  const now = nowMsSql(dialectOf(q));
  const rows = await q('schedule')
    .whereRaw(`next_fire_time <= ${now}`)
    .andWhere({ paused: false })
    .orderBy('next_fire_time')
    .limit(limit)
    .select('*', q.raw(`${now} AS db_now`));
  return { rows: rows.map(scheduleOf), now: rows.length ? Number(rows[0].db_now) : 0 };
}

export interface Claim {
  scheduleId: string;
  /** next_fire_time as the node read it: the claim holds only if it is still that. */
  expected: number;
  next: number | null;
  fire: { fireTime: number; lastFireTime: number; covers: number; kind: FireRow['kind']; status: string; node: string; message?: string | null };
}

/**
 * Claims a due time: moves next_fire_time on from the value read and records the fire, in one
 * transaction. The fire row's id, or null when another node claimed it first (or the schedule
 * was paused, changed or deleted meanwhile).
 */
export async function claimFire(q: Q, c: Claim): Promise<number | null> {
  const trx = await q.transaction();
  try {
    const moved = await trx('schedule').where({ id: c.scheduleId, next_fire_time: c.expected, paused: false }).update({ next_fire_time: c.next });
    if (moved !== 1) {
      await trx.rollback();
      return null;
    }
    const id = await insertReturningId(trx, 'schedule_fire', {
      schedule_id: c.scheduleId, fire_time: c.fire.fireTime, last_fire_time: c.fire.lastFireTime, covers: c.fire.covers, kind: c.fire.kind,
      status: c.fire.status, node: c.fire.node.slice(0, 255), claimed_at: dbNow(trx), message: c.fire.message ?? null,
      ...(c.fire.status === 'missed' ? { ended_at: dbNow(trx) } : {}),
    });
    await trx.commit();
    return id;
  } catch (e) {
    await trx.rollback().catch(() => undefined);
    if (isUniqueViolation(e)) return null;
    throw e;
  }
}

/** The outcome of a fire; `end` stamps ended_at with the database's clock. */
export async function updateFire(q: Q, id: number, changes: { status: string; reconId?: string; message?: string | null; result?: unknown; end?: boolean }): Promise<void> {
  const c: Record<string, unknown> = { status: changes.status };
  if (changes.reconId !== undefined) c.recon_id = changes.reconId;
  if (changes.message !== undefined) c.message = changes.message === null ? null : changes.message.slice(0, 4000);
  if (changes.result !== undefined) {
    const json = JSON.stringify(changes.result ?? null);
    c.result = json.length > 4000 ? JSON.stringify({ truncated: true, length: json.length }) : json;
  }
  if (changes.end) c.ended_at = dbNow(q);
  await q('schedule_fire').where({ id }).update(c);
}

/**
 * Fires of these schedules still running: claimed or running for less than `staleMs` (a node that
 * died mid-fire does not block its schedule for ever), or whose reconciliation is still ACTIVE.
 */
function runningFires(q: Q, staleMs: number) {
  const now = nowMsSql(dialectOf(q));
  return q('schedule_fire as f')
    .leftJoin('recon_run as r', 'r.id', 'f.recon_id')
    .where((w) => {
      w.where((a) => a.whereIn('f.status', ['claimed', 'running']).andWhereRaw(`f.claimed_at > ${now} - ?`, [staleMs]))
        .orWhere((a) => a.where('f.status', 'started').andWhere('r.state', 'ACTIVE'));
    });
}

/** Whether another fire of the schedule is still running (concurrentExecution false). */
export async function otherFireRunning(q: Q, scheduleId: string, exceptFireId: number, staleMs: number): Promise<FireRow | null> {
  const r = await runningFires(q, staleMs).where('f.schedule_id', scheduleId).whereNot('f.id', exceptFireId).orderBy('f.id').first('f.*');
  return r ? fireOf(r) : null;
}

/** The schedules with a fire running now, on any node (listCurrentlyExecutingJobs). */
export async function executingScheduleIds(q: Q, staleMs: number): Promise<string[]> {
  const rows = await runningFires(q, staleMs).distinct('f.schedule_id');
  return rows.map((r: { schedule_id: string }) => r.schedule_id);
}

/** The latest fire of each of these schedules (by due time). */
export async function lastFires(q: Q, ids: string[]): Promise<Map<string, FireRow>> {
  const out = new Map<string, FireRow>();
  if (!ids.length) return out;
  const rows = await q('schedule_fire as f')
    .whereIn('f.schedule_id', ids)
    .whereRaw('f.fire_time = (SELECT MAX(g.fire_time) FROM schedule_fire g WHERE g.schedule_id = f.schedule_id)')
    .select('f.*');
  for (const r of rows) out.set(r.schedule_id, fireOf(r));
  return out;
}
