// SQL for managed/user. Queried fields live in real columns as well as in obj.
import { Filter } from '../crest/queryFilter';
import { applyFilter, managedUserResolver, orderByField } from './filterToSql';
import { dialectOf, parseJson, Q, whereAnyOf } from './dialect';
import type { Knex } from 'knex';
import { mapRows, streamRows } from './cursor';

export interface ManagedUserRow {
  id: string;
  rev: string;
  obj: Record<string, unknown>;
  passwordHash: string | null;
}

export interface SortKey {
  field: string[];
  descending: boolean;
}

export interface QueryParams {
  filter: Filter;
  sort: SortKey[];
  offset: number;
  limit?: number;
  countTotal: boolean;
}

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? null : String(v));

function toColumns(row: ManagedUserRow) {
  return {
    id: row.id,
    rev: row.rev,
    user_name: str(row.obj.userName),
    given_name: str(row.obj.givenName),
    sn: str(row.obj.sn),
    mail: str(row.obj.mail),
    account_status: str(row.obj.accountStatus),
    obj: JSON.stringify(row.obj),
    password_hash: row.passwordHash,
  };
}

function fromColumns(r: Record<string, unknown>): ManagedUserRow {
  // obj is parsed on first use: a recon that finds a row unchanged by its link never needs it.
  let obj: Record<string, unknown> | undefined;
  return {
    id: r.id as string,
    rev: r.rev as string,
    passwordHash: (r.password_hash as string) ?? null,
    get obj() {
      return (obj ??= parseJson<Record<string, unknown>>(r.obj));
    },
    set obj(value) {
      obj = value;
    },
  };
}

export async function insertManagedUser(q: Q, row: ManagedUserRow): Promise<void> {
  await q('managed_user').insert(toColumns(row));
}

export async function readManagedUser(q: Q, id: string): Promise<ManagedUserRow | null> {
  const r = await q('managed_user').where({ id }).first();
  return r ? fromColumns(r) : null;
}

export async function findManagedUserByUserName(q: Q, userName: string): Promise<ManagedUserRow | null> {
  const r = await q('managed_user').where({ user_name: userName }).first();
  return r ? fromColumns(r) : null;
}

/** Replaces the row when its rev is still `expectedRev` (or unconditionally when null). */
export async function updateManagedUser(q: Q, row: ManagedUserRow, expectedRev: string | null): Promise<boolean> {
  const { id, ...cols } = toColumns(row);
  const qb = q('managed_user').where({ id });
  if (expectedRev !== null) qb.andWhere({ rev: expectedRev });
  return (await qb.update(cols)) === 1;
}

export async function deleteManagedUser(q: Q, id: string, expectedRev: string | null): Promise<boolean> {
  const qb = q('managed_user').where({ id });
  if (expectedRev !== null) qb.andWhere({ rev: expectedRev });
  return (await qb.del()) === 1;
}

function managedUserList(q: Q, p: QueryParams): Knex.QueryBuilder {
  const dialect = dialectOf(q);
  const qb = applyFilter(q('managed_user'), p.filter, managedUserResolver, dialect).select('*');
  for (const s of p.sort) orderByField(qb, s.field, s.descending, managedUserResolver, dialect);
  qb.orderBy('id'); // a stable order makes paging deterministic
  if (p.offset) qb.offset(p.offset);
  if (p.limit !== undefined) qb.limit(p.limit);
  return qb;
}

export async function countMatchingUsers(q: Q, filter: Filter): Promise<number> {
  const [{ n }] = await applyFilter(q('managed_user'), filter, managedUserResolver, dialectOf(q)).count({ n: '*' });
  return Number(n);
}

export async function queryManagedUsers(q: Q, p: QueryParams): Promise<{ rows: ManagedUserRow[]; total?: number }> {
  const rows = (await managedUserList(q, p)).map(fromColumns);
  return { rows, total: p.countTotal ? await countMatchingUsers(q, p.filter) : undefined };
}

/** Every matching user from p.offset on, in queryManagedUsers' order, from a cursor (an unpaged query). */
export function streamManagedUsers(q: Q, p: Omit<QueryParams, 'limit' | 'countTotal'>): AsyncGenerator<ManagedUserRow[]> {
  return mapRows(streamRows(q, managedUserList(q, { ...p, countTotal: false })), fromColumns);
}

/** Rows by id, for a batch of linked targets. */
export async function readManagedUsers(q: Q, ids: string[]): Promise<Map<string, ManagedUserRow>> {
  const out = new Map<string, ManagedUserRow>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of await whereAnyOf(q('managed_user'), 'id', ids.slice(i, i + 500), dialectOf(q))) out.set(r.id, fromColumns(r));
  }
  return out;
}

/** Correlation for a batch: every user whose `field` equals one of `values`. */
export async function findManagedUsersByField(q: Q, field: string, values: string[]): Promise<ManagedUserRow[]> {
  const target = managedUserResolver([field]);
  const out: ManagedUserRow[] = [];
  if (target.kind === 'column') {
    for (let i = 0; i < values.length; i += 500) {
      out.push(...(await q('managed_user').whereIn(target.column, values.slice(i, i + 500))).map(fromColumns));
    }
    return out;
  }
  for (const v of values) {
    const filter: Filter = { type: 'compare', op: 'eq', field: [field], value: v };
    out.push(...(await applyFilter(q('managed_user').select('*'), filter, managedUserResolver, dialectOf(q))).map(fromColumns));
  }
  return out;
}

/** Ids in order, a page at a time (keyset), for the target phase. */
export async function managedUserIdsAfter(q: Q, after: string | null, limit: number): Promise<string[]> {
  const qb = q('managed_user').select('id').orderBy('id').limit(limit);
  if (after !== null) qb.where('id', '>', after);
  return (await qb).map((r: { id: string }) => r.id);
}

export async function countManagedUsers(q: Q): Promise<number> {
  const [{ n }] = await q('managed_user').count({ n: '*' });
  return Number(n);
}
