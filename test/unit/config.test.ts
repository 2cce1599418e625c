// A bad conf/*.json stops start-up with the file's name and the field at fault.
import fs from 'node:fs';
import path from 'node:path';
import { runtimeOptions } from '../../src/config/project';
import { quietLogger } from '../../src/log';
import { startServer } from '../../src/server';
import { defaultHooks } from '../../src/wiring';
import { makeProject, TestProject } from '../helpers/project';

describe('configuration at start-up', () => {
  let project: TestProject;
  beforeEach(() => { project = makeProject(); });
  afterEach(() => project.remove());

  const start = () =>
    startServer({ projectDir: project.dir, port: 0, host: '127.0.0.1', databaseUrl: ':memory:', nodeId: 'cfg', workers: false }, defaultHooks(), quietLogger);
  const write = (file: string, text: string) => fs.writeFileSync(path.join(project.dir, 'conf', file), text);

  it('names a file that is not JSON', async () => {
    write('sync.json', '{ "mappings": [ ');
    await expect(start()).rejects.toThrow(/sync\.json: not valid JSON/);
  });

  it('names the field of a bad mapping', async () => {
    project.editSync((s) => { delete s.mappings[0].properties[3].target; });
    await expect(start()).rejects.toThrow(/sync\.json: .*properties\[3\]\.target/);
  });

  it('names the field of a bad workflow.json and authentication.json', async () => {
    write('workflow.json', JSON.stringify({ escalationDuration: 'three days' }));
    await expect(start()).rejects.toThrow(/workflow\.json: escalationDuration/);
    write('workflow.json', JSON.stringify({ templates: 'sometimes' }));
    await expect(start()).rejects.toThrow(/workflow\.json: templates/);
    write('workflow.json', '{}');
    write('authentication.json', JSON.stringify({ internalUsers: [{ _id: 'x', authzRoles: [] }] }));
    await expect(start()).rejects.toThrow(/authentication\.json: internalUsers\[0\]\.password/);
  });

  it('names the field of a bad connector', async () => {
    write('provisioner.openicf-csvfile.json', JSON.stringify({ name: 'csvfile', connectorRef: { connectorName: 'org.forgerock.openicf.csvfile.CSVFileConnector' }, configurationProperties: {} }));
    await expect(start()).rejects.toThrow(/provisioner\.openicf-csvfile\.json: .*csvFile/);
  });

  it('takes the project folder from -p, then PROJECT_DIR, and the port from PORT', () => {
    expect(runtimeOptions(['-p', '/srv/a'], {}).projectDir).toBe('/srv/a');
    expect(runtimeOptions([], { PROJECT_DIR: '/srv/b' }).projectDir).toBe('/srv/b');
    expect(runtimeOptions([], { PORT: '9090' }).port).toBe(9090);
    expect(runtimeOptions([], {}).port).toBe(8080);
    expect(() => runtimeOptions([], { PORT: 'x' })).toThrow(/PORT/);
  });
});
