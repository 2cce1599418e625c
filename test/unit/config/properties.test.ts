// IDM's &{…} property value substitution in conf/*.json (src/config/properties.ts), and its use at
// start-up: values from resolver/boot.properties (IDM 7) or conf/boot/boot.properties (OpenIDM 4–6),
// the environment (openidm.x.y ↔ OPENIDM_X_Y) and the launcher's built-ins.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProjectConfig } from '../../../src/config/conf';
import { parseProperties, PropertyResolver } from '../../../src/config/properties';

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-props-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

describe('property value substitution', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const make = (files: Record<string, string>) => {
    const d = project(files);
    dirs.push(d);
    return d;
  };

  it('reads Java .properties syntax', () => {
    const p = parseProperties('# comment\n! also\nopenidm.port.http=8080\nkey2 : spaced value \nkey3 long\\\n    continued\nuni=caf\\u00e9\\tx\n');
    expect(Object.fromEntries(p)).toEqual({ 'openidm.port.http': '8080', key2: 'spaced value ', key3: 'longcontinued', uni: 'café\tx' });
  });

  it('substitutes built-ins, boot.properties and the environment, whole and embedded', () => {
    const dir = make({ 'resolver/boot.properties': 'openidm.admin.password=fromfile\nsample.data=&{idm.instance.dir}/data\nopenidm.port.http=8080\n' });
    const r = new PropertyResolver({ projectDir: dir, installDir: '/opt/reconflow', env: { OPENIDM_PORT_HTTP: '9090' } });
    expect(r.file).toBe('resolver/boot.properties');
    const out = r.substitute(
      {
        whole: '&{openidm.admin.password}',
        csv: '&{idm.instance.dir}/data/x.csv',
        project: '&{launcher.project.location}',
        install: ['&{idm.install.dir}', '&{launcher.install.location}/bin'],
        recursive: '&{sample.data}/y.xml',
        envWins: '&{openidm.port.http}',
        port: { $int: '&{openidm.port.http}' },
        flag: { $bool: '&{missing.flag|true}' },
        dflt: 'http://&{missing.host|localhost}:&{openidm.port.http}/',
        nested: '&{&{which|b}.x|none}',
        escaped: '\\&{idm.instance.dir}',
        untouched: 7,
      },
      'x.json',
    );
    expect(out).toEqual({
      whole: 'fromfile',
      csv: `${dir}/data/x.csv`,
      project: dir,
      install: ['/opt/reconflow', '/opt/reconflow/bin'],
      recursive: `${dir}/data/y.xml`,
      envWins: '9090',
      port: 9090,
      flag: true,
      dflt: 'http://localhost:9090/',
      nested: 'none',
      escaped: '&{idm.instance.dir}',
      untouched: 7,
    });
  });

  it('maps openidm.x.y to the environment variable OPENIDM_X_Y', () => {
    expect(PropertyResolver.envName('openidm.admin.password')).toBe('OPENIDM_ADMIN_PASSWORD');
    const r = new PropertyResolver({ projectDir: make({}), env: { OPENIDM_ADMIN_PASSWORD: 's3cret' } });
    expect(r.substitute({ p: '&{openidm.admin.password}' }, 'authentication.json')).toEqual({ p: 's3cret' });
  });

  it('reads OpenIDM 4–6 conf/boot/boot.properties', () => {
    const r = new PropertyResolver({ projectDir: make({ 'conf/boot/boot.properties': 'openidm.host=idm.example.com\n' }), env: {} });
    expect(r.file).toBe('conf/boot/boot.properties');
    expect(r.get('openidm.host')).toBe('idm.example.com');
  });

  it('refuses an unresolved property naming the file, the JSON path, the property and how to set it', () => {
    const r = new PropertyResolver({ projectDir: make({}), env: {} });
    expect(() => r.substitute({ configurationProperties: { csvFile: '&{sample.dir}/data.csv' } }, 'provisioner.openicf-csvfile.json')).toThrow(
      'provisioner.openicf-csvfile.json: configurationProperties.csvFile: property "sample.dir" in &{sample.dir} is not set. Set it in resolver/boot.properties (or conf/boot/boot.properties) as sample.dir=<value>, or in the environment as SAMPLE_DIR, or give a default: &{sample.dir|<value>}',
    );
    expect(() => r.substitute({ a: [{ b: '&{x' }] }, 'f.json')).toThrow(/f\.json: a\[0\]\.b: "&\{" without its closing/);
    expect(() => r.substitute({ n: { $int: 'abc' } }, 'f.json')).toThrow(/f\.json: n: \$int of "abc" is not an integer/);
  });

  it('refuses a self-referencing property instead of looping', () => {
    const r = new PropertyResolver({ projectDir: make({ 'resolver/boot.properties': 'a=&{a}\n' }), env: {} });
    expect(() => r.substitute({ v: '&{a}' }, 'f.json')).toThrow(/deeper than 20 levels/);
  });

  it('is applied to every conf file at start-up, before the validators', () => {
    const dir = make({
      'resolver/boot.properties': 'escalation=P2D\n',
      'conf/workflow.json': JSON.stringify({ escalationDuration: '&{escalation}', processesDir: '&{idm.instance.dir}/processes' }),
    });
    const seen: unknown[] = [];
    const cfg = loadProjectConfig(dir, { 'workflow.json': (json) => void seen.push(json) });
    expect(cfg.workflow.escalationDuration).toBe('P2D');
    expect(seen).toEqual([{ escalationDuration: 'P2D', processesDir: `${dir}/processes` }]);
    fs.writeFileSync(path.join(dir, 'conf', 'workflow.json'), JSON.stringify({ escalationDuration: '&{nope}' }));
    expect(() => loadProjectConfig(dir)).toThrow(/workflow\.json: escalationDuration: property "nope"/);
  });
});
