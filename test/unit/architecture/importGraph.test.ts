// The layer rules of docs/architecture.md, checked on every import of src/ (type-only imports are
// types, not dependencies, and are allowed across rooms except where a rule says otherwise):
// HTTP never below src/api, SQL never outside src/repo (and the job queue's own sql/), the
// repository knows nothing above it, CREST's HTTP shapes only at the edge.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../..');
const SRC = path.join(ROOT, 'src');

interface Edge {
  from: string; // src-relative file, e.g. workflow/runtime.ts
  to: string; // src-relative module without extension (workflow/engine) or a package name
  typeOnly: boolean;
  /** A module of src/ (a relative import), not a package. */
  internal?: boolean;
}

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
}

export function importsOf(file: string): Edge[] {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false);
  const from = path.relative(SRC, file).split(path.sep).join('/');
  const out: Edge[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    const to = spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep).join('/').replace(/\/index$/, '') : spec;
    out.push(spec.startsWith('.') ? { from, to, typeOnly, internal: true } : { from, to, typeOnly });
  };
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(n.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      add(n.moduleSpecifier.text, n.isTypeOnly);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      add(n.arguments[0].text, false);
    } else if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'require' && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      add(n.arguments[0].text, false);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const room = (p: string) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : p.replace(/\.ts$/, ''));
const inRoom = (p: string, ...rooms: string[]) => rooms.includes(room(p));

/** Each rule: a name and a test that says whether an edge breaks it. */
export const RULES: { name: string; breaks: (e: Edge) => boolean }[] = [
  {
    name: 'HTTP (express, node:http) only in src/api (and the server that listens)',
    breaks: (e) => ['express', 'node:http', 'http', 'node:https', 'https'].includes(e.to) && !e.typeOnly && !inRoom(e.from, 'api') && e.from !== 'server.ts',
  },
  {
    name: "express's types only in src/api",
    breaks: (e) => e.to === 'express' && !inRoom(e.from, 'api'),
  },
  {
    // src/scriptApi is the other edge: IDM's script API answers scripts in CREST's shapes.
    name: 'CREST error shapes (crest/errors, crest/query envelopes) only in src/api, src/scriptApi and src/crest',
    breaks: (e) => (e.to === 'crest/errors' || e.to === 'crest/query') && !e.typeOnly && !inRoom(e.from, 'api', 'scriptApi', 'crest'),
  },
  {
    name: 'routers call services: src/api never imports src/repo or the job queue SQL',
    breaks: (e) => inRoom(e.from, 'api') && !e.typeOnly && (e.to.startsWith('repo/') || e.to.startsWith('jobs/sql/')),
  },
  {
    name: 'SQL only in src/repo and src/jobs/sql: no other file imports knex as a value',
    breaks: (e) => e.to === 'knex' && !e.typeOnly && !inRoom(e.from, 'repo') && !e.from.startsWith('jobs/sql/'),
  },
  {
    name: 'the repository is the bottom floor: src/repo imports no room above it',
    breaks: (e) => inRoom(e.from, 'repo') && ['api', 'auth', 'workflow', 'recon', 'approval', 'jobs', 'managed', 'testing', 'wiring', 'server'].includes(room(e.to)),
  },
  {
    name: "the job queue's sql/ is private to src/jobs",
    breaks: (e) => e.to.startsWith('jobs/sql/') && !inRoom(e.from, 'jobs'),
  },
  {
    name: 'src/crest is a leaf: it imports nothing of reconflow outside crest',
    breaks: (e) => inRoom(e.from, 'crest') && !!e.internal && room(e.to) !== 'crest',
  },
  {
    name: 'the engine and the queue know nothing of recon or approvals: workflow, jobs, auth, managed and scripts never import them',
    breaks: (e) => inRoom(e.from, 'workflow', 'jobs', 'auth', 'managed', 'scripts') && ['recon', 'approval'].includes(room(e.to)),
  },
  {
    name: 'src/scripts (the script host) is a leaf',
    breaks: (e) => inRoom(e.from, 'scripts') && !!e.internal && room(e.to) !== 'scripts',
  },
];

export function violations(edges: Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) for (const r of RULES) if (r.breaks(e)) out.push(`${r.name}: src/${e.from} imports ${e.to}${e.typeOnly ? ' (type)' : ''}`);
  return out;
}

describe('the import graph of src/', () => {
  const edges = files(SRC).flatMap(importsOf);

  it('reads every import (a sanity floor: the graph is not empty)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'api/app.ts', to: 'express', typeOnly: false });
    expect(edges).toContainEqual({ from: 'wiring.ts', to: 'jobs/worker', typeOnly: false, internal: true });
  });

  it('keeps every layer rule', () => {
    expect(violations(edges)).toEqual([]);
  });

  // The check itself can fail: each rule catches the violation it is for.
  it.each([
    ['workflow/runtime.ts', 'crest/errors', false],
    ['api/workflow.ts', 'repo/tasks', false],
    ['repo/accounts.ts', 'auth/interfaces', true],
    ['workflow/runtime.ts', 'jobs/sql/enqueueJob', false],
    ['recon/reconciler.ts', 'knex', false],
    ['auth/middleware.ts', 'express', false],
    ['crest/query.ts', 'repo/dialect', false],
    ['workflow/scripts.ts', 'recon/scriptHost', false],
    ['scripts/host.ts', 'config/project', false],
  ])('src/%s importing %s is caught', (from, to, typeOnly) => {
    expect(violations([{ from, to, typeOnly, internal: true }]).length).toBeGreaterThan(0);
  });
});
