// An approval process written as IDM 7 writes it (Flowable namespace, a Groovy task listener, a
// Groovy script task calling openidm.action('sync', 'performAction', …)) in place of reconflow's
// managedUserApproval.bpmn, through the sample's steps: the script's performAction becomes the
// approval's createUser job, so the approved account is created exactly once and the rejected one
// is not; a script that names another row than its own is refused and stores nothing.
import fs from 'node:fs';
import path from 'node:path';
import { groovyInstallation } from '../../src/scripts/groovyHost';
import { ADMIN, ASYNC_ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { runRecon } from '../helpers/recon';
import { makeProject, TestProject } from '../helpers/project';

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'bpmn', 'g-idm-managedUserApproval.bpmn20.xml');
const installed = typeof groovyInstallation() !== 'string';
if (!installed) console.warn(`IDM-style Groovy approval tests skipped: ${groovyInstallation()}`);
const maybe = installed ? describe : describe.skip;

maybe('an IDM-style approval in Groovy', () => {
  jest.setTimeout(180_000);
  let project: TestProject;
  let t: TestServer;

  async function start(xml: string): Promise<void> {
    project = makeProject();
    fs.rmSync(path.join(project.dir, 'processes', 'managedUserApproval.bpmn'));
    fs.writeFileSync(path.join(project.dir, 'processes', 'managedUserApproval.bpmn20.xml'), xml);
    t = await startTestServer({ projectDir: project.dir });
    const r = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: { userName: 'async.admin', givenName: 'async', sn: 'admin', password: 'Passw0rd', mail: 'async.admin@example.com', authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }], _id: 'asyncadmin' },
    });
    expect(r.status).toBe(201);
    const recon = await runRecon(t, 'systemCsvfileAccounts_managedUser');
    const failures = await t.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent(`reconId eq "${recon._id}" and status eq "FAILURE"`)}`, { headers: ADMIN });
    expect(failures.body.result.map((e: any) => e.message)).toEqual([]);
    expect(recon).toMatchObject({ state: 'SUCCESS', situationSummary: { ABSENT: 2 }, statusSummary: { FAILURE: 0 } });
  }
  afterEach(async () => {
    await t?.close();
    project?.remove();
  });

  const tasksBySource = async () => {
    const r = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ASYNC_ADMIN });
    expect(r.status).toBe(200);
    const out: Record<string, any> = {};
    for (const task of r.body.result) {
      const detail = await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ASYNC_ADMIN });
      out[detail.body.variables.sourceId] = detail.body;
    }
    return out;
  };

  it('creates the approved account once through the script\'s performAction, and not the rejected one', async () => {
    await start(fs.readFileSync(FIXTURE, 'utf8'));
    const tasks = await tasksBySource();
    expect(Object.keys(tasks).sort()).toEqual(['bjensen', 'scarter']);
    expect(tasks.bjensen).toMatchObject({ name: 'Evaluate request', assignee: 'async.admin', description: 'Create a managed user for bjensen?' });

    const yes = await t.call('POST', `/workflow/taskinstance/${tasks.bjensen._id}?_action=complete`, { headers: ASYNC_ADMIN, body: { requestApproved: 'true' } });
    expect(yes.status).toBe(200);
    const no = await t.call('POST', `/workflow/taskinstance/${tasks.scarter._id}?_action=complete`, { headers: ASYNC_ADMIN, body: { requestApproved: 'false' } });
    expect(no.status).toBe(200);

    const user = await eventually(async () => {
      const r = await t.call('GET', '/managed/user?_queryFilter=' + encodeURIComponent('userName eq "bjensen"'), { headers: ADMIN });
      return r.body.resultCount === 1 && r.body.result[0];
    }, 60_000, 'bjensen created');
    expect(user).toMatchObject({ userName: 'bjensen', givenName: 'Barbara', sn: 'Jensen', mail: 'bjensen@example.com' });
    const jobs = await t.call('GET', '/jobs?_queryFilter=true', { headers: ADMIN });
    expect(jobs.body.result.filter((j: any) => j.type === 'createUser').map((j: any) => j.state)).toEqual(['done']);
    const scarter = await t.call('GET', '/managed/user?_queryFilter=' + encodeURIComponent('userName eq "scarter"'), { headers: ADMIN });
    expect(scarter.body.resultCount).toBe(0);
  });

  it('refuses a performAction for another row than the instance approves: 500 naming the script, nothing stored', async () => {
    await start(fs.readFileSync(FIXTURE, 'utf8').replace("params.put('sourceId', sourceId)", "params.put('sourceId', 'scarter')"));
    const tasks = await tasksBySource();
    const r = await t.call('POST', `/workflow/taskinstance/${tasks.bjensen._id}?_action=complete`, { headers: ASYNC_ADMIN, body: { requestApproved: 'true' } });
    expect(r.status).toBe(500);
    expect(r.body.message).toMatch(/callOpenidmSync/);
    expect(r.body.message).toMatch(/performAction'\) for sourceId "scarter", but this instance approves "bjensen"/);
    // All or nothing: the task is still open, and no job exists.
    expect((await t.call('GET', `/workflow/taskinstance/${tasks.bjensen._id}`, { headers: ASYNC_ADMIN })).status).toBe(200);
    const jobs = await t.call('GET', '/jobs?_queryFilter=true', { headers: ADMIN });
    expect(jobs.body.result.filter((j: any) => j.type === 'createUser')).toEqual([]);
  });
});
