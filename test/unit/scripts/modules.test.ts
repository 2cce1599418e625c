// require() in configured scripts (src/scripts/modules.ts): IDM's lib/lodash served by the real
// lodash package, project scripts from the script folders, refusals at compile time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileScript } from '../../../src/recon/script';

describe('require() in conf scripts', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-modules-'));
    fs.mkdirSync(path.join(dir, 'util'));
    fs.writeFileSync(path.join(dir, 'util', 'roles.js'), "var _ = require('lib/lodash');\nexports.refs = function (csv) { return _.map(_.compact(_.map(String(csv).split(','), _.trim)), function (r) { return { _ref: 'internal/role/' + r }; }); };\n");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs IDM's require('lib/lodash') on the real lodash", () => {
    const f = compileScript("var _ = require('lib/lodash'); _.camelCase(source) + ':' + _.uniq([1, 1, 2]).length + ':' + _.VERSION", 't.transform');
    expect(f({ source: 'Barbara Jensen' })).toBe(`barbaraJensen:2:${require('lodash/package.json').version}`);
    // Loaded once per sandbox, kept across calls.
    expect(f({ source: 'sam carter' })).toMatch(/^samCarter:2:/);
  });

  it('loads a project script from the script folders, which may itself require lodash', () => {
    const f = compileScript("require('util/roles').refs(source)", 'roles.transform', { scriptDirs: [path.join(dir, 'none'), dir] });
    expect(f({ source: 'openidm-admin, ,openidm-authorized' })).toEqual([{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }]);
  });

  it('keeps the sandbox: lodash lives in the script realm, which cannot make code from strings', () => {
    const f = compileScript("var _ = require('lib/lodash'); _.constructor.constructor('return typeof process')()", 'escape.transform');
    expect(() => f({})).toThrow(/Code generation from strings disallowed|EvalError/);
    const t = compileScript("var _ = require('lib/lodash'); _.template('<%= x %>')({ x: 1 })", 'template.transform');
    expect(() => t({})).toThrow(/script template.transform failed/);
  });

  it.each([
    ['a missing module', "require('lib/underscore')", /script m.transform failed: script m.transform requires 'lib\/underscore', which is neither one of IDM's bundled libraries \(lib\/lodash\) nor a project script/],
    ['a computed name', "var n = 'lib/lodash'; require(n)", /calls require\(\) with a computed name/],
    ['a path out of the script folder', "require('../../etc/passwd')", /requires '..\/..\/etc\/passwd', which is neither/],
  ])('refuses %s when it is compiled', (_what, source, message) => {
    expect(() => compileScript(source, 'm.transform', { scriptDirs: [dir] })).toThrow(message);
  });
});
