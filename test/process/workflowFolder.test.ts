// IDM's workflow/ folder (workflow.json "workflowDirectory", default &{idm.instance.dir}/workflow)
// with .bar archives deploys through the same path as reconflow's processes/; workflow.json keys
// reconflow does not implement are refused or warned about; a sync.json workflow policy whose
// process is not deployed stops start-up.
import fs from 'node:fs';
import path from 'node:path';
import { Logger } from '../../src/context';
import { quietLogger } from '../../src/log';
import { startServer } from '../../src/server';
import { defaultHooks } from '../../src/wiring';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, startTestServer } from '../helpers/server';
import { makeZip } from '../helpers/zip';

jest.setTimeout(120_000);

const BPMN = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'idm-bar-src', 'managedUserApproval.bpmn20.xml'));

function idmWorkflowProject(workflowJson: unknown): TestProject {
  const project = makeProject();
  fs.rmSync(path.join(project.dir, 'processes'), { recursive: true });
  fs.mkdirSync(path.join(project.dir, 'workflow'));
  fs.writeFileSync(path.join(project.dir, 'workflow', 'managedUserApproval.bar'), makeZip([{ name: 'managedUserApproval.bpmn20.xml', data: BPMN, deflate: true }]));
  fs.writeFileSync(path.join(project.dir, 'conf', 'workflow.json'), JSON.stringify(workflowJson));
  return project;
}

const recording = () => {
  const warnings: string[] = [];
  const log: Logger = { ...quietLogger, warn: (m: string) => void warnings.push(String(m)) };
  return { log, warnings };
};

const start = (dir: string, log: Logger = quietLogger) =>
  startServer({ projectDir: dir, port: 0, host: '127.0.0.1', databaseUrl: ':memory:', nodeId: 'wf', workers: false }, defaultHooks(), log);

describe('the workflow folder', () => {
  const projects: TestProject[] = [];
  afterAll(() => projects.forEach((p) => p.remove()));
  const project = (json: unknown) => {
    const p = idmWorkflowProject(json);
    projects.push(p);
    return p;
  };

  it('deploys workflow/*.bar from workflowDirectory and starts the approval from a recon', async () => {
    const p = project({ useDataSource: 'default', workflowDirectory: '&{idm.instance.dir}/workflow' });
    const t = await startTestServer({ projectDir: p.dir });
    try {
      const defs = await t.call('GET', '/workflow/processdefinition?_queryFilter=true', { headers: ADMIN });
      expect(defs.body.result.map((d: any) => d.key)).toEqual(['managedUserApproval']);
      const r = await t.call('POST', '/recon?_action=recon&mapping=systemCsvfileAccounts_managedUser&waitForCompletion=true', { headers: ADMIN });
      expect(r.body.state).toBe('SUCCESS');
      const tasks = await t.call('GET', '/workflow/taskinstance?_queryFilter=true&_fields=_id,processDefinitionId', { headers: ADMIN });
      expect(tasks.body.result).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('logs IDM keys that cannot change behaviour, and takes workflow/ when there is no processes/ and no key', async () => {
    const p = project({ useDataSource: 'default', userResource: { path: 'managed/user', queryFilter: '/userName eq "${username}"' } });
    const { log, warnings } = recording();
    const s = await start(p.dir, log);
    await s.stop();
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^workflow\.json: useDataSource "default" is not used/),
      expect.stringMatching(/^workflow\.json: userResource is IDM's default/),
    ]));
  });

  it('refuses workflow.json keys it does not implement', async () => {
    const p = project({ workflowDirectory: 'workflow', mail: { host: 'smtp' } });
    await expect(start(p.dir)).rejects.toThrow(/workflow\.json: mail BPMN mail tasks are not implemented by reconflow: remove mail/);
    fs.writeFileSync(path.join(p.dir, 'conf', 'workflow.json'), JSON.stringify({ groupResource: { path: 'managed/role', queryFilter: 'true' } }));
    await expect(start(p.dir)).rejects.toThrow(/workflow\.json: groupResource differs from IDM's default/);
    fs.writeFileSync(path.join(p.dir, 'conf', 'workflow.json'), JSON.stringify({ workflowDirectory: 'workflow', processesDir: 'processes' }));
    await expect(start(p.dir)).rejects.toThrow(/workflow\.json: workflowDirectory and processesDir both name the process folder/);
  });

  it('refuses a hostile archive at start, naming it and the entry', async () => {
    const p = project({ workflowDirectory: '&{idm.instance.dir}/workflow' });
    fs.writeFileSync(path.join(p.dir, 'workflow', 'evil.bar'), makeZip([{ name: '../evil.bpmn20.xml', data: BPMN }]));
    await expect(start(p.dir)).rejects.toThrow(/evil\.bar: Cannot deploy evil\.bar: entry "\.\.\/evil\.bpmn20\.xml" has a path outside the archive/);
  });

  it('refuses to start when a sync.json workflow policy has no process to start, naming both', async () => {
    const p = project({ workflowDirectory: '&{idm.instance.dir}/workflow' });
    fs.rmSync(path.join(p.dir, 'workflow', 'managedUserApproval.bar'));
    await expect(start(p.dir)).rejects.toThrow(
      new RegExp(`sync\\.json: mapping systemCsvfileAccounts_managedUser policy ABSENT starts workflow "managedUserApproval", but no process definition has that key: ${p.dir}/workflow holds no process file`),
    );
    fs.writeFileSync(path.join(p.dir, 'conf', 'workflow.json'), JSON.stringify({ enabled: false }));
    await expect(start(p.dir)).rejects.toThrow(/starts workflow "managedUserApproval", but workflow\.json has "enabled": false/);
  });
});
