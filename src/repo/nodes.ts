// SQL for node identities: who holds an id, since when its heartbeat is silent (database time).
import { dbNow, isUniqueViolation, nowMsSql, dialectOf, Q } from './dialect';

export interface NodeHolder {
  instance: string;
  host: string;
  pid: number;
  pidNs: string | null;
}

export interface NodeRow extends NodeHolder {
  id: string;
  /** null: stopped cleanly. */
  heartbeat: number | null;
  /** How long ago it last beat, by the database's clock (null when stopped). */
  silentMs: number | null;
}

export async function readNode(q: Q, id: string): Promise<NodeRow | null> {
  const r = await q('node').where({ id }).first('*', q.raw(`${nowMsSql(dialectOf(q))} - heartbeat AS silent_ms`));
  if (!r) return null;
  return {
    id: r.id, instance: r.instance, host: r.host, pid: Number(r.pid), pidNs: r.pid_ns ?? null,
    heartbeat: r.heartbeat === null ? null : Number(r.heartbeat), silentMs: r.silent_ms === null ? null : Number(r.silent_ms),
  };
}

const columns = (me: NodeHolder) => ({ instance: me.instance, host: me.host.slice(0, 255), pid: me.pid, pid_ns: me.pidNs });

/** Takes a free id; false when another process inserted it first. */
export async function insertNode(q: Q, id: string, me: NodeHolder): Promise<boolean> {
  try {
    await q('node').insert({ id, ...columns(me), heartbeat: dbNow(q), started_at: dbNow(q) });
    return true;
  } catch (e) {
    if (isUniqueViolation(e)) return false;
    throw e;
  }
}

/** Takes the id over from the holder seen (compare-and-swap on its instance); false if it changed meanwhile. */
export async function takeOverNode(q: Q, id: string, fromInstance: string, me: NodeHolder): Promise<boolean> {
  return (await q('node').where({ id, instance: fromInstance }).update({ ...columns(me), heartbeat: dbNow(q), started_at: dbNow(q) })) === 1;
}

/** A heartbeat; false when the id is no longer this process's (another took it over). */
export async function beatNode(q: Q, id: string, instance: string): Promise<boolean> {
  return (await q('node').where({ id, instance }).update({ heartbeat: dbNow(q) })) === 1;
}

/** A clean stop: the next process to start as this id need not wait. */
export async function releaseNode(q: Q, id: string, instance: string): Promise<void> {
  await q('node').where({ id, instance }).update({ heartbeat: null });
}
