// The script search path (src/config/scriptPath.ts): a conf script's "file" is found in the
// project's script/ first, then the project folder, then reconflow's built-ins; sync.json's file
// scripts load from it, and a project file replacing the built-in triggerWorkflowFromSync.js runs as an action script.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScriptPath } from '../../../src/config/scriptPath';
import { compileMapping, validateSyncConfig } from '../../../src/recon/mapping';

describe('the script search path', () => {
  let dir: string;
  const write = (f: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  };
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-scripts-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('looks in script/, then the project folder, then the built-ins', () => {
    const s = new ScriptPath(dir);
    expect(s.resolve('workflow/triggerWorkflowFromSync.js')).toMatchObject({ kind: 'builtin', name: 'workflow/triggerWorkflowFromSync.js', text: expect.stringContaining("openidm.create('workflow/processinstance'") });
    expect(s.resolve('lib/x.js')).toBeNull();
    write('lib/x.js', 'project');
    expect(s.resolve('lib/x.js')).toMatchObject({ kind: 'project', file: path.join(dir, 'lib/x.js'), text: 'project' });
    write('script/lib/x.js', 'script folder');
    expect(s.resolve('lib/x.js')).toMatchObject({ kind: 'project', file: path.join(dir, 'script/lib/x.js'), text: 'script folder' });
    write('script/workflow/triggerWorkflowFromSync.js', '// mine');
    expect(s.resolve('workflow/triggerWorkflowFromSync.js')).toMatchObject({ kind: 'project' });
    expect(() => s.resolve('../outside.js')).toThrow(/must be a relative path without "\.\."/);
    expect(() => s.resolve('/etc/passwd')).toThrow(/must be a relative path/);
  });

  const sync = (over: Record<string, unknown> = {}) => ({
    mappings: [
      {
        name: 'm', source: 'system/csvfile/account', target: 'managed/user', correlation: { targetField: 'userName', sourceField: 'name' },
        properties: [{ source: 'firstname', target: 'givenName', transform: { type: 'text/javascript', file: 'transforms/upper.js' } }],
        policies: [{ situation: 'ABSENT', action: { workflowName: 'managedUserApproval', type: 'text/javascript', file: 'workflow/triggerWorkflowFromSync.js' } }],
        ...over,
      },
    ],
  });

  it('loads sync.json file scripts from script/', () => {
    write('script/transforms/upper.js', 'source.toUpperCase()');
    const [m] = validateSyncConfig(sync(), new ScriptPath(dir));
    expect(m.properties[0].transform?.source).toBe('source.toUpperCase()');
    expect(compileMapping(m).map({ _id: 'a', name: 'a', firstname: 'barbara' })).toEqual({ givenName: 'BARBARA' });
  });

  it('refuses a file script it cannot find, naming where it looked', () => {
    expect(() => validateSyncConfig(sync(), new ScriptPath(dir))).toThrow(
      `mappings[0].properties[0].transform.file "transforms/upper.js" is not found (looked in ${path.join(dir, 'script/transforms/upper.js')}, ${path.join(dir, 'transforms/upper.js')}, reconflow's built-in scripts)`,
    );
  });

  it('runs a project file that replaces the built-in triggerWorkflowFromSync.js as an action script; the built-in stays the batched path', () => {
    write('script/transforms/upper.js', 'source');
    const [builtin] = validateSyncConfig(sync(), new ScriptPath(dir));
    expect(compileMapping(builtin).policyFor('ABSENT')).toEqual({ kind: 'workflow', workflowName: 'managedUserApproval' });
    write('script/workflow/triggerWorkflowFromSync.js', "'ASYNC'");
    const [m] = validateSyncConfig(sync(), new ScriptPath(dir));
    const policy = compileMapping(m).policyFor('ABSENT');
    expect(policy).toMatchObject({ kind: 'script', script: { name: path.join(dir, 'script/workflow/triggerWorkflowFromSync.js'), source: "'ASYNC'", globals: { workflowName: 'managedUserApproval' } } });
    const other = sync({ policies: [{ situation: 'ABSENT', action: { workflowName: 'w', type: 'text/javascript', file: 'workflow/mine.js' } }] });
    expect(() => validateSyncConfig(other, new ScriptPath(dir))).toThrow(/action\.file "workflow\/mine\.js" is not found/);
  });
});
