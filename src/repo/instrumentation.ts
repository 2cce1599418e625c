// What the metrics room may see of the connection pool and the statements knex runs, without
// knowing knex: the pool's counts (tarn, behind knex's public `client.pool`) and one callback per
// statement with its kind and duration, from knex's public 'query', 'query-response' and
// 'query-error' events.
import type { Knex } from 'knex';

export interface PoolStats {
  used: number;
  free: number;
  /** Callers waiting for a connection. */
  pendingAcquires: number;
  /** Connections being opened. */
  pendingCreates: number;
  max: number;
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  max: number;
}

/** The pool's counts now, or null once the pool is destroyed. */
export function poolStats(knex: Knex): PoolStats | null {
  const pool = (knex.client as { pool?: TarnPool | null }).pool;
  if (!pool) return null;
  return { used: pool.numUsed(), free: pool.numFree(), pendingAcquires: pool.numPendingAcquires(), pendingCreates: pool.numPendingCreates(), max: pool.max };
}

/** A bounded set of statement kinds (never the SQL text): the label of a query-latency metric. */
export type QueryKind = 'select' | 'insert' | 'update' | 'delete' | 'ddl' | 'other';

const KINDS: Record<string, QueryKind> = {
  select: 'select', with: 'select', insert: 'insert', update: 'update', delete: 'delete',
  create: 'ddl', alter: 'ddl', drop: 'ddl',
};

export function queryKind(sql: string): QueryKind {
  const m = /^\s*\(?\s*([A-Za-z]+)/.exec(sql);
  return (m && KINDS[m[1].toLowerCase()]) || 'other';
}

type QueryEvent = { __knexQueryUid?: string; sql?: string };

/** A statement's start time when it has been answered by neither event yet; cleared past this many (a lost answer). */
const MAX_IN_FLIGHT = 10_000;

/**
 * Calls `onQuery` once per statement answered (ok) or failed. knex runs BEGIN, COMMIT and
 * savepoints without these events' query id, so they are not timed. Returns the detacher.
 */
export function observeQueries(knex: Knex, onQuery: (kind: QueryKind, seconds: number, ok: boolean) => void): () => void {
  const started = new Map<string, number>();
  const onStart = (q: QueryEvent) => {
    if (!q.__knexQueryUid) return;
    if (started.size >= MAX_IN_FLIGHT) started.clear();
    started.set(q.__knexQueryUid, performance.now());
  };
  const end = (q: QueryEvent | undefined, ok: boolean) => {
    const uid = q?.__knexQueryUid;
    if (!uid) return;
    const t0 = started.get(uid);
    if (t0 === undefined) return;
    started.delete(uid);
    onQuery(queryKind(q.sql ?? ''), (performance.now() - t0) / 1000, ok);
  };
  const onResponse = (_r: unknown, q: QueryEvent) => end(q, true);
  const onError = (_e: unknown, q: QueryEvent) => end(q, false);
  knex.on('query', onStart);
  knex.on('query-response', onResponse);
  knex.on('query-error', onError);
  return () => {
    knex.off('query', onStart);
    knex.off('query-response', onResponse);
    knex.off('query-error', onError);
    started.clear();
  };
}
