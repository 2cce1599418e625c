// REST calls the API tests make over and over, as an administrator: a run's audit entries, the
// open tasks whose process variables match, a process's history, a completion, a user, and
// draining the job queue on a server started with workers: false; and the project + database +
// server most API test files start before their tests.
import { createTestDb, TestDb } from './db';
import { makeProject, TestProject } from './project';
import { ADMIN, startTestServer, TestServer } from './server';

/** audit/recon entries of one run; `and` adds a CREST clause (e.g. `sourceObjectId eq "x"`). */
export async function auditOf(t: TestServer, reconId: string, and?: string): Promise<any[]> {
  const filter = `reconId eq "${reconId}"${and ? ` and ${and}` : ''}`;
  const r = await t.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent(filter)}`, { headers: ADMIN });
  if (r.status !== 200) throw new Error(`audit/recon answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.result;
}

/** Open tasks whose process variables satisfy `pred`. */
export async function tasksWhere(t: TestServer, pred: (v: Record<string, unknown>) => boolean): Promise<any[]> {
  const r = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
  if (r.status !== 200) throw new Error(`taskinstance answered ${r.status}: ${JSON.stringify(r.body)}`);
  return (r.body.result as any[]).filter((x) => pred(x.processVariables));
}

export const completeTask = (t: TestServer, taskId: string, body: Record<string, unknown>) =>
  t.call('POST', `/workflow/taskinstance/${taskId}?_action=complete`, { headers: ADMIN, body });

export const historyOf = async (t: TestServer, processInstanceId: string) =>
  (await t.call('GET', `/workflow/processinstance/history/${processInstanceId}`, { headers: ADMIN })).body;

/** GET managed/user/{id}: the whole response (status and body); `query` such as `?_fields=*,authzRoles`. */
export const userOf = (t: TestServer, id: string, query = '') => t.call('GET', `/managed/user/${encodeURIComponent(id)}${query}`, { headers: ADMIN });

/** Runs due jobs until none is left (servers started with workers: false run no jobs themselves). */
export async function runJobs(t: TestServer): Promise<void> {
  while (await t.services.worker.runOne()) {
    /* until no due job is left */
  }
}

/** A project folder, its own database and a server on both, made before a describe's tests and removed after. */
export interface ProjectServer {
  project: TestProject;
  db: TestDb;
  t: TestServer;
}

/** Registers beforeAll/afterAll for a ProjectServer (workers off: the test runs jobs with runJobs). */
export function useProjectServer(opts: { workers?: boolean } = {}): ProjectServer {
  const s = {} as ProjectServer;
  beforeAll(async () => {
    s.project = makeProject();
    s.db = await createTestDb();
    s.t = await startTestServer({ projectDir: s.project.dir, db: s.db, keepDb: true, workers: opts.workers ?? false });
  });
  afterAll(async () => {
    // The database and folder go even when close() reports a problem (an undescribed response).
    try {
      await s.t?.close();
    } finally {
      await s.db?.destroy();
      s.project?.remove();
    }
  });
  return s;
}

/**
 * The sample's approver (seed step 3): managed/user async.admin, password Passw0rd, with these
 * roles (the sample gives openidm-admin and openidm-authorized; an approver without admin rights
 * has openidm-authorized only).
 */
export async function createAsyncAdmin(t: TestServer, roles: string[] = ['openidm-admin', 'openidm-authorized']): Promise<void> {
  const r = await t.call('POST', '/managed/user?_action=create', {
    headers: ADMIN,
    body: {
      _id: 'asyncadmin', userName: 'async.admin', givenName: 'async', sn: 'admin', mail: 'async.admin@example.com', password: 'Passw0rd',
      authzRoles: roles.map((x) => ({ _ref: `internal/role/${x}` })),
    },
  });
  if (r.status !== 201) throw new Error(`creating async.admin answered ${r.status}: ${JSON.stringify(r.body)}`);
}
