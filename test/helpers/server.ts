// A real server on a free port over a fresh database, in this jest process.
import { packageRoot } from '../../src/config/project';
import { Logger } from '../../src/context';
import { quietLogger } from '../../src/log';
import { RunningServer, startServer } from '../../src/server';
import { defaultHooks, Services } from '../../src/wiring';
import { createTestDb, TestDb } from './db';
import { assertDescribed, observeResponses, responseValidator } from './openapi';

export const ADMIN = { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'openidm-admin' };
export const ASYNC_ADMIN = { 'X-OpenIDM-Username': 'async.admin', 'X-OpenIDM-Password': 'Passw0rd' };

export interface TestServer {
  server: RunningServer;
  services: Services;
  db: TestDb;
  base: string;
  call(method: string, path: string, opts?: { headers?: Record<string, string>; body?: unknown; raw?: string }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestServer(opts: { projectDir?: string; workers?: boolean; db?: TestDb; keepDb?: boolean; log?: Logger } = {}): Promise<TestServer> {
  const db = opts.db ?? (await createTestDb());
  let services: Services | undefined;
  // A server that does not start leaves no database behind (nobody would get it to destroy).
  const server = await startServer(
    {
      projectDir: opts.projectDir ?? packageRoot(),
      port: 0,
      host: '127.0.0.1',
      databaseUrl: db.env.DATABASE_URL,
      databaseSchema: db.env.DATABASE_SCHEMA,
      nodeId: `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      workers: opts.workers ?? true,
    },
    defaultHooks((s) => (services = s)),
    opts.log ?? quietLogger,
  ).catch(async (e: unknown) => {
    if (!opts.db) await db.destroy().catch(() => undefined);
    throw e;
  });
  const base = server.url;
  // Every response this server sends must be as the OpenAPI description says (test/helpers/openapi.ts).
  const observed = observeResponses(server.httpServer);
  // Built now (about a second), not inside the first timed step of a test.
  responseValidator().warm();
  return {
    server,
    services: services!,
    db,
    base,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { 'Accept-API-Version': 'resource=1.0', ...(o.headers ?? {}) };
      let body: string | undefined = o.raw;
      if (o.body !== undefined) {
        headers['Content-Type'] ??= 'application/json';
        body = JSON.stringify(o.body);
      }
      const res = await fetch(base + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      assertDescribed({ method, url: new URL(base + path).pathname + new URL(base + path).search, status: res.status, contentType: res.headers.get('content-type'), body: text });
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      try {
        await server.stop();
      } finally {
        if (!opts.keepDb) await db.destroy();
      }
      const problems = observed.problems();
      if (problems.length) throw new Error(`OpenAPI: ${problems.length} response(s) not as described:\n${problems.join('\n')}`);
    },
  };
}

/** Polls until fn returns a truthy value, or fails after `ms`. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, ms = 15_000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within ${ms} ms${last ? `: ${String(last)}` : ''}`);
}
