// SQL for UI sessions (table session). Ids are SHA-256 hashes of the cookie's token; times are
// epoch milliseconds, compared by the caller.
import { dialectOf, Q } from './dialect';

export interface SessionRow {
  id: string;
  component: string;
  principalId: string;
  csrf: string;
  fingerprint: string;
  createdAt: number;
  lastSeen: number;
  expiresAt: number;
}

function fromColumns(r: Record<string, unknown>): SessionRow {
  return {
    id: String(r.id), component: String(r.component), principalId: String(r.principal_id), csrf: String(r.csrf), fingerprint: String(r.fingerprint),
    createdAt: Number(r.created_at), lastSeen: Number(r.last_seen), expiresAt: Number(r.expires_at),
  };
}

export async function insertSession(q: Q, s: SessionRow): Promise<void> {
  await q('session').insert({
    id: s.id, component: s.component, principal_id: s.principalId, csrf: s.csrf, fingerprint: s.fingerprint,
    created_at: s.createdAt, last_seen: s.lastSeen, expires_at: s.expiresAt,
  });
}

export async function readSession(q: Q, id: string): Promise<SessionRow | null> {
  const r = await q('session').where({ id }).first();
  return r ? fromColumns(r) : null;
}

export async function touchSession(q: Q, id: string, lastSeen: number): Promise<void> {
  await q('session').where({ id }).andWhere('last_seen', '<', lastSeen).update({ last_seen: lastSeen });
}

export async function deleteSession(q: Q, id: string): Promise<void> {
  await q('session').where({ id }).delete();
}

/** Keeps the `keep` newest sessions of one principal and deletes the rest. */
export async function deleteOldestSessions(q: Q, component: string, principalId: string, keep: number): Promise<number> {
  const order = [{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }];
  if (dialectOf(q) === 'mysql') {
    // MariaDB/MySQL take no LIMIT in a NOT IN subquery, and a subquery in a DELETE share-locks the
    // rows it reads (concurrent sign-ins then deadlock): the oldest session kept is read without
    // locks, and the ones before it are deleted (a session created meanwhile is after it).
    const edge = keep > 0 ? await q('session').select('created_at', 'id').where({ component, principal_id: principalId }).orderBy(order).offset(keep - 1).first() : undefined;
    if (keep > 0 && !edge) return 0;
    const qb = q('session').where({ component, principal_id: principalId });
    if (edge) qb.andWhere((w) => void w.where('created_at', '<', edge.created_at).orWhere((a) => void a.where('created_at', edge.created_at).andWhere('id', '<', edge.id)));
    return qb.delete();
  }
  const newest = q('session').select('id').where({ component, principal_id: principalId }).orderBy(order).limit(keep);
  return q('session').where({ component, principal_id: principalId }).whereNotIn('id', newest).delete();
}

/** Sessions past their absolute end, or idle since before `idleFloor`. */
export async function deleteExpiredSessions(q: Q, now: number, idleFloor: number): Promise<number> {
  return q('session').where('expires_at', '<=', now).orWhere('last_seen', '<=', idleFloor).delete();
}

/** Moves one principal's sessions from one account fingerprint to another (a hash upgrade). */
export async function rebindSessions(q: Q, component: string, principalId: string, from: string, to: string): Promise<number> {
  return q('session').where({ component, principal_id: principalId, fingerprint: from }).update({ fingerprint: to });
}

export async function countSessions(q: Q, component: string, principalId: string): Promise<number> {
  const r = await q('session').where({ component, principal_id: principalId }).count({ n: '*' }).first();
  return Number((r as { n?: unknown } | undefined)?.n ?? 0);
}
