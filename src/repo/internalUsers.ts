// SQL for internal/user and internal/role.
import { afterCommit, dialectOf, isUniqueViolation, parseJson, Q } from './dialect';

let writes = 0;

/**
 * How many writes to internal_user this process has begun or finished: a copy of a row read before
 * the number last moved may be stale (src/auth/accounts.ts caches rows for a few seconds). It moves
 * before each write, after it, and when its transaction commits, so that a row read meanwhile (the
 * old one, still committed) is not kept either.
 */
export function internalUserWrites(): number {
  return writes;
}

/** Every statement that writes internal_user runs through this (here and in ./accounts.ts). */
export async function writingInternalUser<T>(q: Q, write: () => Promise<T>): Promise<T> {
  writes++;
  try {
    return await write();
  } finally {
    writes++;
    if ((q as { isTransaction?: boolean }).isTransaction) afterCommit(q as Parameters<typeof afterCommit>[0], () => void writes++);
  }
}

export interface InternalUserRow {
  id: string;
  rev: string;
  passwordHash: string;
  authzRoles: { _ref: string }[];
}

function fromColumns(r: Record<string, unknown>): InternalUserRow {
  return { id: r.id as string, rev: r.rev as string, passwordHash: r.password_hash as string, authzRoles: parseJson(r.authz_roles) };
}

export async function readInternalUser(q: Q, id: string): Promise<InternalUserRow | null> {
  const r = await q('internal_user').where({ id }).first();
  return r ? fromColumns(r) : null;
}

/** Inserts unless present: bootstrapping must never overwrite a password that was changed. */
export async function insertInternalUserIfMissing(q: Q, row: InternalUserRow): Promise<boolean> {
  const values = { id: row.id, rev: row.rev, password_hash: row.passwordHash, authz_roles: JSON.stringify(row.authzRoles) };
  if (dialectOf(q) === 'mysql') {
    // A plain insert whose taken key is the answer: the ON DUPLICATE KEY UPDATE that .ignore()
    // becomes there (mysqlClient.ts) counts a row it found as affected (mysql2's FOUND_ROWS).
    try {
      await writingInternalUser(q, async () => q('internal_user').insert(values));
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }
  const res = await writingInternalUser(q, async () => q('internal_user').insert(values).onConflict('id').ignore());
  return Array.isArray(res) ? res.length > 0 && (res as unknown[])[0] !== 0 : true;
}

export async function updateInternalUser(q: Q, row: InternalUserRow, expectedRev: string | null): Promise<boolean> {
  const qb = q('internal_user').where({ id: row.id });
  if (expectedRev !== null) qb.andWhere({ rev: expectedRev });
  return (await writingInternalUser(q, async () => qb.update({ rev: row.rev, password_hash: row.passwordHash, authz_roles: JSON.stringify(row.authzRoles) }))) === 1;
}

export async function insertRoleIfMissing(q: Q, id: string, description: string): Promise<void> {
  await q('internal_role').insert({ id, rev: '0', description }).onConflict('id').ignore();
}

export async function listRoles(q: Q): Promise<{ id: string; rev: string; description: string }[]> {
  return q('internal_role').select('id', 'rev', 'description').orderBy('id');
}
