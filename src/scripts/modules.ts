// `require()` in configured scripts, as IDM's script engine offers it: `require('lib/lodash')` (IDM
// bundles lodash as bin/defaults/script/lib/lodash.js; here the real `lodash` package serves it) and
// `require('<name>')` of the project's own scripts (a `<name>.js` in one of `scriptDirs`, in order).
// Resolved when the script is compiled (conf load): every name must be a string literal, and a module
// that is not there stops the start naming the script and the module. The sources travel to the
// script process with the script and are evaluated there, inside the script's own sandbox, once per
// sandbox (CommonJS-style: module, exports, require); nothing of the host realm enters it.
import fs from 'node:fs';
import path from 'node:path';

/** IDM's bundled libraries that reconflow serves from npm packages. */
const BUNDLED: Record<string, () => string> = {
  'lib/lodash': () => require.resolve('lodash/lodash.js'),
};

const REQUIRE_CALL = /\brequire\s*\(/g;
const LITERAL_REQUIRE = /\brequire\s*\(\s*(['"])([^'"\\\n]+)\1\s*\)/g;
/** A module larger than this is refused (lodash's full build is ~540 KB). */
const MAX_MODULE_BYTES = 2 * 1024 * 1024;

export class ScriptModuleError extends Error {}

function normalize(name: string): string {
  return name.replace(/\.js$/, '').replace(/^\.\//, '');
}

function findFile(name: string, scriptDirs: string[]): string | undefined {
  if (BUNDLED[name]) return BUNDLED[name]();
  for (const dir of scriptDirs) {
    const root = path.resolve(dir);
    const file = path.resolve(root, `${name}.js`);
    // Inside the script folder only: `require('../../etc/x')` is not a project script.
    if (!file.startsWith(root + path.sep)) continue;
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/**
 * The sandbox source that defines `require` for `source` and the modules it needs (transitively),
 * or undefined when it requires nothing. Throws ScriptModuleError naming the script and module.
 */
export function modulePrelude(source: string, scriptName: string, scriptDirs: string[] = []): string | undefined {
  // A fresh regex: a global one's test() would carry its lastIndex into the next script.
  if (!/\brequire\s*\(/.test(source)) return undefined;
  const modules = new Map<string, string>();
  const visit = (text: string, from: string) => {
    const literal = [...text.matchAll(LITERAL_REQUIRE)];
    const calls = text.match(REQUIRE_CALL)?.length ?? 0;
    if (calls > literal.length) throw new ScriptModuleError(`script ${from} calls require() with a computed name; name the module as a string literal, e.g. require('lib/lodash')`);
    for (const m of literal) {
      const name = normalize(m[2]);
      if (modules.has(name)) continue;
      const file = findFile(name, scriptDirs);
      if (!file) {
        const where = scriptDirs.length ? ` (looked in ${scriptDirs.join(', ')})` : '';
        throw new ScriptModuleError(`script ${from} requires '${m[2]}', which is neither one of IDM's bundled libraries (lib/lodash) nor a project script${where}`);
      }
      const size = fs.statSync(file).size;
      if (size > MAX_MODULE_BYTES) throw new ScriptModuleError(`script ${from} requires '${m[2]}' (${file}), larger than ${MAX_MODULE_BYTES} bytes`);
      const text2 = fs.readFileSync(file, 'utf8');
      modules.set(name, text2);
      // lodash mentions require only in comments and its own environment checks.
      if (!BUNDLED[name]) visit(text2, name);
    }
  };
  visit(source, scriptName);
  const defs = [...modules].map(([name, text]) => `${JSON.stringify(name)}: function (module, exports, require, self) {\n${text}\n}`).join(',\n');
  // `self` is the sandbox's global: lodash finds its root there, not through Function('return this'),
  // which the sandbox forbids (no code generation from strings).
  return `(function (g) {
  var defs = {${defs}};
  var cache = Object.create(null);
  var req = function (name) {
    name = String(name).replace(/\\.js$/, '').replace(/^\\.\\//, '');
    if (cache[name]) return cache[name].exports;
    var f = defs[name];
    if (!f) throw new Error("require('" + name + "'): no such module");
    var m = { exports: {} };
    cache[name] = m;
    f.call(m.exports, m, m.exports, req, g);
    return m.exports;
  };
  Object.defineProperty(g, 'require', { value: req, writable: false, enumerable: false, configurable: false });
})(globalThis);`;
}
