// Liveness, readiness and IDM's health/os, health/memory, health/recon, as values (src/api/health.ts
// serves them). Shapes after PingIDM's "Monitor server health" (install guide, system-healthcheck:
// https://docs.pingidentity.com/pingidm/8.1/install-guide/system-healthcheck.html, section "Health
// check service") and its REST reference "Server state" (rest-api-reference/endpoints/rest-info);
// the JVM's numbers are mapped to Node's in docs/operations.md, "Health".
import os from 'node:os';
import v8 from 'node:v8';
import { Db } from './repo/db';
import { pendingMigrations, pingDatabase } from './repo/health';

/** Why a node is not ready: codes only, safe to show to an anonymous probe. */
export type NotReadyReason = 'database_unreachable' | 'database_timeout' | 'migrations_pending' | 'migrations_unreadable' | 'worker_stopped';

export interface Readiness {
  ready: boolean;
  reasons: NotReadyReason[];
  checks: {
    database: 'up' | 'down' | 'timeout';
    migrations: 'current' | 'pending' | 'unknown';
    /** `disabled`: this node runs no job worker (WORKERS=0); not a reason to refuse traffic. */
    worker: 'running' | 'stopped' | 'disabled';
  };
}

export interface HealthSources {
  db: Db;
  /** The job worker's state, or null when this node runs none (WORKERS=0). */
  worker: () => { running: boolean; loops: number } | null;
  recon: () => { active: number; largest: number; mappings: number };
  /** A database check slower than this counts as down (a probe must answer before its own timeout). */
  timeoutMs?: number;
  /** Answers within this long reuse the last one: an anonymous caller cannot turn probes into load. */
  cacheMs?: number;
}

const TIMEOUT = Symbol('timeout');

function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<typeof TIMEOUT>((resolve) => (t = setTimeout(() => resolve(TIMEOUT), ms)))]).finally(() => clearTimeout(t));
}

export class Health {
  private last: { at: number; value: Promise<Readiness> } | null = null;

  constructor(private sources: HealthSources) {}

  /** The process answers: nothing else is checked (a restart cannot cure a database outage). */
  live(): { alive: true } {
    return { alive: true };
  }

  /** Database reachable, every migration this code lists applied, job worker running. */
  ready(): Promise<Readiness> {
    const cacheMs = this.sources.cacheMs ?? 1_000;
    const now = Date.now();
    if (this.last && now - this.last.at < cacheMs) return this.last.value;
    const value = this.check();
    this.last = { at: now, value };
    return value;
  }

  private async check(): Promise<Readiness> {
    const timeoutMs = this.sources.timeoutMs ?? 5_000;
    const reasons: NotReadyReason[] = [];
    const checks: Readiness['checks'] = { database: 'up', migrations: 'unknown', worker: 'disabled' };
    const knex = this.sources.db.knex;
    const ping = await within(pingDatabase(knex).then(() => true, () => false), timeoutMs);
    if (ping === TIMEOUT) {
      checks.database = 'timeout';
      reasons.push('database_timeout');
    } else if (!ping) {
      checks.database = 'down';
      reasons.push('database_unreachable');
    } else {
      const pending = await within(pendingMigrations(knex).catch(() => null), timeoutMs);
      if (pending === TIMEOUT || pending === null) reasons.push('migrations_unreadable');
      else if (pending.length) {
        checks.migrations = 'pending';
        reasons.push('migrations_pending');
      } else checks.migrations = 'current';
    }
    const w = this.sources.worker();
    if (w) {
      checks.worker = w.running && w.loops > 0 ? 'running' : 'stopped';
      if (checks.worker === 'stopped') reasons.push('worker_stopped');
    }
    return { ready: reasons.length === 0, reasons, checks };
  }

  /** IDM's health/os: the operating system the process runs on. */
  os() {
    return {
      _id: '',
      availableProcessors: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
      systemLoadAverage: os.loadavg()[0],
      operatingSystemArchitecture: os.arch(),
      operatingSystemName: os.type(),
      operatingSystemVersion: os.release(),
    };
  }

  /**
   * IDM's health/memory, in bytes. The JVM's heap is V8's heap; "non-heap" is what the process
   * holds outside it. -1 is the JVM's own "undefined" for a figure Node does not have.
   */
  memory() {
    const m = process.memoryUsage();
    const heap = v8.getHeapStatistics();
    return {
      _id: '',
      // JavaScript has no finalization queue that can be counted (FinalizationRegistry keeps none).
      objectPendingFinalization: 0,
      heapMemoryUsage: { init: -1, used: m.heapUsed, committed: m.heapTotal, max: heap.heap_size_limit },
      nonHeapMemoryUsage: { init: -1, used: m.external, committed: Math.max(0, m.rss - m.heapTotal), max: -1 },
    };
  }

  /**
   * IDM's health/recon (its reconciliation thread pool). reconflow runs a reconciliation as an
   * asynchronous task of this process, at most one per mapping across the cluster: the "pool" is
   * this process's runs, its maximum the number of mappings.
   */
  recon() {
    const r = this.sources.recon();
    return { _id: '', activeThreads: r.active, corePoolSize: 0, largestPoolSize: r.largest, maximumPoolSize: r.mappings, currentPoolSize: r.active };
  }
}
