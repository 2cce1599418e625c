// IDM's script API served by OpenidmFacade (src/scriptApi/openidmFacade.ts) to real scripts in their
// sandbox process (src/scripts/asyncHost.ts), against a real repository and workflow runtime. Semantics follow
// OpenIDM's openidm-script ResourceFunctions (read of a missing object answers null) and
// IdentityServer.getProperty (the default when the property is unset).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InternalUsers } from '../../../src/auth/internalUsers';
import { PropertyResolver } from '../../../src/config/properties';
import { Logger } from '../../../src/context';
import { quietLogger } from '../../../src/log';
import { ManagedUsers } from '../../../src/managed/users';
import { runScriptAsync } from '../../../src/scripts/asyncHost';
import { OpenidmFacade, ScriptCallContext } from '../../../src/scriptApi/openidmFacade';
import { Definitions } from '../../../src/workflow/definitions';
import { WorkflowRuntime } from '../../../src/workflow/runtime';
import { createTestDb, TestDb } from '../../helpers/db';

const BPMN = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://reconflow.local/test">
  <bpmn:process id="scriptStarted" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:userTask id="review" name="Review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

let db: TestDb;
let runtime: WorkflowRuntime;
let facade: OpenidmFacade;
const lines: { level: string; msg: string; fields?: unknown }[] = [];
const log: Logger = {
  info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
  warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
  error: (msg, _e, fields) => lines.push({ level: 'error', msg, fields }),
  debug: (msg, fields) => lines.push({ level: 'debug', msg, fields }),
};
const ctx: ScriptCallContext = { scriptName: 'facade-test.js', actor: 'openidm-admin' };
const run = (source: string, bindings: Record<string, unknown> = {}) =>
  runScriptAsync({ name: 'facade-test.js', source, bindings, limitMs: 2000, onCall: facade.handler(ctx) });

beforeAll(async () => {
  db = await createTestDb();
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-facade-'));
  fs.mkdirSync(path.join(project, 'resolver'));
  fs.writeFileSync(path.join(project, 'resolver/boot.properties'), 'openidm.sample.greeting=hello\n');
  runtime = new WorkflowRuntime(db, new Definitions(db, quietLogger), quietLogger);
  await runtime.definitions.deployXml(BPMN, 'scriptStarted.bpmn');
  facade = new OpenidmFacade({
    knex: db.knex,
    users: new ManagedUsers(undefined),
    internalUsers: new InternalUsers(db.knex, { minLength: 8, notUserName: true }),
    runtime,
    properties: new PropertyResolver({ projectDir: project, env: {} }),
    log,
  });
});

afterAll(async () => {
  await runtime.close();
  await db.destroy();
});

describe('openidm facade', () => {
  it('creates, reads, patches, updates, queries and deletes managed users', async () => {
    const out = (await run(`
      var created = openidm.create('managed/user', 'bjensen', {userName: 'bjensen', givenName: 'Barbara', sn: 'Jensen', mail: 'b@example.com'});
      var read = openidm.read('managed/user/bjensen');
      var patched = openidm.patch('managed/user/bjensen', null, [{operation: 'replace', field: '/givenName', value: 'Babs'}]);
      var byFilter = openidm.query('managed/user', {_queryFilter: 'userName eq "bjensen"'});
      var byId = openidm.query('managed/user', {_queryId: 'for-userName', uid: 'bjensen'});
      var stale = 'not refused';
      try { openidm.update('managed/user/bjensen', read._rev, read); } catch (e) { stale = e.code; }
      var current = openidm.read('managed/user/bjensen');
      current.sn = 'Jensen-Smith';
      var updated = openidm.update('managed/user/bjensen', current._rev, current);
      var deleted = openidm.delete('managed/user/bjensen', null);
      [created._id, read.givenName, patched.givenName, stale, byFilter.result.length, byId.result[0].givenName, updated.sn, deleted._id, openidm.read('managed/user/bjensen')]
    `)) as unknown[];
    expect(out).toEqual(['bjensen', 'Barbara', 'Babs', 412, 1, 'Babs', 'Jensen-Smith', 'bjensen', null]);
  });

  it('answers null for a read of an object that is not there, as IDM does', async () => {
    await expect(run(`[openidm.read('managed/user/nobody'), openidm.read('internal/user/nobody')]`)).resolves.toEqual([null, null]);
  });

  it('throws, naming the call, for a resource or method it does not serve (never a silent no-op)', async () => {
    await expect(run(`openidm.create('system/ldap/account', null, {})`)).rejects.toThrow(/openidm.create\('system\/ldap\/account'\) is not supported by reconflow/);
    await expect(run(`openidm.action('endpoint/gettasksview', 'call', {})`)).rejects.toThrow(/openidm.action\('endpoint\/gettasksview'\) is not supported/);
    await expect(run(`openidm.action('sync', 'notifyCreate', {}, {})`)).rejects.toThrow(/reconciliation is not running on this server/);
    await expect(run(`openidm.delete('internal/user/openidm-admin', null)`)).rejects.toThrow(/openidm.delete\('internal\/user\/openidm-admin'\)/);
    // The script can catch it, with IDM's code.
    await expect(run(`try { openidm.update('managed/user', null, {}); 'no' } catch (e) { e.code }`)).resolves.toBe(400);
  });

  it('starts a process with workflow/processinstance create and finds it by filtered-query (IDM _var- parameters)', async () => {
    const out = (await run(`
      var p = openidm.create('workflow/processinstance', null, {_key: 'scriptStarted', sourceId: 'u1', mapping: 'm'});
      var found = openidm.query('workflow/processinstance', {_queryId: 'filtered-query', processDefinitionKey: 'scriptStarted', '_var-sourceId': 'u1'});
      var none = openidm.query('workflow/processinstance', {_queryId: 'filtered-query', processDefinitionKey: 'scriptStarted', '_var-sourceId': 'u2'});
      var tasks = openidm.query('workflow/taskinstance', {_queryId: 'filtered-query', processInstanceId: p._id});
      [p.status, found.result.length, found.result[0]._id === p._id, none.result.length, tasks.result[0].name]
    `)) as unknown[];
    expect(out).toEqual(['suspended', 1, true, 0, 'Review']);
    const [inst] = await runtime.queryInstances({ type: 'literal', value: true }, { statuses: ['active'], offset: 0 });
    expect(inst.startUserId).toBe('openidm-admin');
  });

  it('reads the project properties with identityServer.getProperty, the default when unset', async () => {
    await expect(run(`[identityServer.getProperty('openidm.sample.greeting'), identityServer.getProperty('no.such', 'dflt', true), identityServer.getProperty('no.such')]`)).resolves.toEqual(['hello', 'dflt', null]);
  });

  it('logs through the server log with the script name', async () => {
    await run(`logger.info('user {} is {}', 'bjensen', 'here'); logger.warn('careful'); logger.error('bad'); logger.debug('detail')`);
    expect(lines).toEqual(
      expect.arrayContaining([
        { level: 'info', msg: 'user bjensen is here', fields: { script: 'facade-test.js' } },
        { level: 'warn', msg: 'careful', fields: { script: 'facade-test.js' } },
        { level: 'error', msg: 'bad', fields: { script: 'facade-test.js' } },
        { level: 'debug', msg: 'detail', fields: { script: 'facade-test.js' } },
      ]),
    );
  });
});
