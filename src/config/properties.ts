// IDM's property value substitution in conf/*.json: `&{token}` and `&{token|default}` are replaced by
// the token's value at start, as IDM does (PingIDM setup guide, "Property value substitution":
// https://docs.pingidentity.com/pingidm/8.1/setup-guide/using-property-substitution.html, and the
// same page for IDM 7.x at backstage.forgerock.com/docs/idm/7.2.1/setup-guide/using-property-substitution.html):
//   - a token is looked up in the environment first (IDM's "Environment variables" resolver: the
//     token upper-cased with `.` as `_`, so openidm.port.http is OPENIDM_PORT_HTTP), then in the
//     properties the launcher sets (idm.instance.dir, launcher.project.location, idm.install.dir,
//     launcher.install.location), then in the property file (IDM 7: resolver/boot.properties;
//     OpenIDM 4–6: conf/boot/boot.properties, "Property files" appendix);
//   - `|default` after the token is used when no resolver knows it;
//   - evaluation is recursive (a value may itself hold `&{…}`), and tokens may nest (`&{&{a}.port}`);
//   - a string that is one expression takes the value's text; an expression inside a longer string
//     is concatenated with the rest (`&{idm.instance.dir}/data/x.csv`); `\&{` is a literal `&{`;
//   - `{"$int": "&{x}"}`, `{"$number": …}`, `{"$bool": …}` coerce the text ("Transforming data types").
// An expression no resolver knows and with no default stops start-up, naming the file, the JSON path
// of the value and the token, and where to set it: IDM would run with the literal text instead.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './conf';
import { packageRoot } from './project';

export interface PropertySources {
  /** The project folder (IDM's idm.instance.dir / launcher.project.location). */
  projectDir: string;
  /** Where reconflow is installed (IDM's idm.install.dir / launcher.install.location). */
  installDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Where a project keeps its property file: IDM 7's first, then OpenIDM 4–6's. */
export const PROPERTY_FILES = ['resolver/boot.properties', 'conf/boot/boot.properties'];

const MAX_DEPTH = 20;

export class PropertyResolver {
  /** The property file in use, relative to the project folder, or null. */
  readonly file: string | null;
  private readonly fromFile: Map<string, string>;
  private readonly builtIn: Map<string, string>;
  private readonly env: NodeJS.ProcessEnv;

  constructor(sources: PropertySources) {
    const projectDir = path.resolve(sources.projectDir);
    const installDir = path.resolve(sources.installDir ?? packageRoot());
    this.env = sources.env ?? process.env;
    this.builtIn = new Map([
      ['idm.instance.dir', projectDir],
      ['launcher.project.location', projectDir],
      ['idm.install.dir', installDir],
      ['launcher.install.location', installDir],
    ]);
    const found = PROPERTY_FILES.filter((f) => fs.existsSync(path.join(projectDir, f)));
    if (found.length > 1) {
      throw new ConfigError(PROPERTY_FILES[1], `the project has both ${PROPERTY_FILES[0]} (IDM 7) and ${PROPERTY_FILES[1]} (OpenIDM 4–6); keep one of them`);
    }
    this.file = found[0] ?? null;
    this.fromFile = this.file ? parseProperties(fs.readFileSync(path.join(projectDir, this.file), 'utf8')) : new Map();
  }

  /** The environment variable IDM reads for a token: openidm.port.http → OPENIDM_PORT_HTTP. */
  static envName(token: string): string {
    return token.toUpperCase().replace(/\./g, '_');
  }

  /** A token's value by IDM's order of precedence, or undefined. */
  get(token: string): string | undefined {
    const env = this.env[PropertyResolver.envName(token)];
    if (env !== undefined) return env;
    return this.builtIn.get(token) ?? this.fromFile.get(token);
  }

  /** Every `&{…}` in a conf document replaced; `file` names the document in errors. */
  substitute(json: unknown, file: string): unknown {
    return this.walk(json, file, '');
  }

  private walk(v: unknown, file: string, at: string): unknown {
    if (typeof v === 'string') return v.includes('&{') ? this.expand(v, file, at || '(root)', 0) : v;
    if (Array.isArray(v)) return v.map((x, i) => this.walk(x, file, `${at}[${i}]`));
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && COERCIONS[keys[0]] && typeof o[keys[0]] === 'string') {
      const text = this.walk(o[keys[0]], file, `${at}.${keys[0]}`) as string;
      try {
        return COERCIONS[keys[0]](text);
      } catch (e) {
        throw new ConfigError(file, `${at || '(root)'}: ${(e as Error).message}`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) Object.defineProperty(out, k, { value: this.walk(o[k], file, at ? `${at}.${k}` : k), enumerable: true, writable: true, configurable: true });
    return out;
  }

  /** Expands every expression of `text`, innermost first. */
  private expand(text: string, file: string, at: string, depth: number): string {
    if (depth > MAX_DEPTH) throw new ConfigError(file, `${at}: property substitution goes deeper than ${MAX_DEPTH} levels (a property that refers to itself?)`);
    let out = '';
    let i = 0;
    while (i < text.length) {
      if (text.startsWith('\\&{', i)) {
        out += '&{';
        i += 3;
        continue;
      }
      if (!text.startsWith('&{', i)) {
        out += text[i++];
        continue;
      }
      const end = closing(text, i + 2);
      if (end < 0) throw new ConfigError(file, `${at}: "&{" without its closing "}" in ${JSON.stringify(text)}`);
      const inner = this.expand(text.slice(i + 2, end), file, at, depth + 1);
      const bar = inner.indexOf('|');
      const token = (bar < 0 ? inner : inner.slice(0, bar)).trim();
      let value = this.get(token);
      if (value === undefined && bar >= 0) value = inner.slice(bar + 1);
      if (value === undefined) throw unresolved(file, at, token, this.file);
      out += value.includes('&{') ? this.expand(value, file, at, depth + 1) : value;
      i = end + 1;
    }
    return out;
  }
}

/** The index of the `}` that closes an expression whose body starts at `from` (nested `&{…}` skipped). */
function closing(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text.startsWith('&{', i)) {
      depth++;
      i++;
    } else if (text[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function unresolved(file: string, at: string, token: string, propertyFile: string | null): ConfigError {
  return new ConfigError(
    file,
    `${at}: property "${token}" in &{${token}} is not set. Set it in ${propertyFile ?? `${PROPERTY_FILES[0]} (or ${PROPERTY_FILES[1]})`} as ${token}=<value>, ` +
      `or in the environment as ${PropertyResolver.envName(token)}, or give a default: &{${token}|<value>}`,
  );
}

const COERCIONS: Record<string, (text: string) => unknown> = {
  $int: (t) => {
    if (!/^[+-]?\d+$/.test(t.trim())) throw new Error(`$int of ${JSON.stringify(t)} is not an integer`);
    return Number(t.trim());
  },
  $number: (t) => {
    const n = Number(t.trim());
    if (t.trim() === '' || !Number.isFinite(n)) throw new Error(`$number of ${JSON.stringify(t)} is not a number`);
    return n;
  },
  $bool: (t) => {
    const s = t.trim().toLowerCase();
    if (s !== 'true' && s !== 'false') throw new Error(`$bool of ${JSON.stringify(t)} is not true or false`);
    return s === 'true';
  },
};

/**
 * A Java .properties file: `key=value`, `key: value` or `key value`; `#`/`!` comments; a trailing
 * backslash continues a line; `\t`, `\n`, `\r`, `\f`, `\uXXXX` and `\<char>` escapes.
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n].replace(/^[ \t\f]+/, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    while (endsWithContinuation(line) && n + 1 < lines.length) line = line.slice(0, -1) + lines[++n].replace(/^[ \t\f]+/, '');
    if (endsWithContinuation(line)) line = line.slice(0, -1);
    let k = 0;
    while (k < line.length && !/[=: \t\f]/.test(line[k])) k += line[k] === '\\' ? 2 : 1;
    const key = unescape(line.slice(0, k));
    let rest = line.slice(k).replace(/^[ \t\f]*/, '');
    if (rest[0] === '=' || rest[0] === ':') rest = rest.slice(1).replace(/^[ \t\f]*/, '');
    out.set(key, unescape(rest));
  }
  return out;
}

function endsWithContinuation(line: string): boolean {
  const m = /\\+$/.exec(line);
  return !!m && m[0].length % 2 === 1;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e[0] === 'u' && e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[e] ?? e;
  });
}
