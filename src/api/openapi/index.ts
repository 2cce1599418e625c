// The OpenAPI 3.1 description of reconflow's REST API, assembled from one fragment per router
// (each `export const paths = {...}; export const schemas = {...}`). Served at /openidm/?_api
// (apiDescription.ts); the API tests validate every response against it (test/helpers/openapi.ts).
// A new router adds its fragment to FRAGMENTS.
import { components, security } from './components';
import * as api from './api';
import * as config from './config';
import * as crest from './crest';
import * as externalTasks from './externalTasks';
import * as health from './health';
import * as incidents from './incidents';
import * as info from './info';
import * as internal from './internal';
import * as jobs from './jobs';
import * as managed from './managed';
import * as metrics from './metrics';
import * as recon from './recon';
import * as scheduler from './scheduler';
import * as session from './session';
import * as system from './system';
import * as ui from './ui';
import * as workflow from './workflow';
import * as workflowEvents from './workflowEvents';

interface Fragment {
  paths: Record<string, unknown>;
  schemas: Record<string, unknown>;
}

const FRAGMENTS: Fragment[] = [api, info, session, managed, config, internal, workflow, workflowEvents, incidents, recon, system, jobs, externalTasks, ui, scheduler, health, metrics, crest];

export type OpenApiDocument = {
  openapi: string;
  info: Record<string, unknown>;
  servers: { url: string; description?: string }[];
  security: unknown[];
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
};

function assemble(fragments: Fragment[]): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = { ...components.schemas };
  for (const f of fragments) {
    // Two fragments claiming one path or schema name would silently replace each other.
    for (const [p, item] of Object.entries(f.paths)) {
      if (paths[p]) throw new Error(`OpenAPI: path ${p} is described twice`);
      paths[p] = withNotModified(withCsrfRefusal(withStandardErrors(item as Record<string, unknown>)));
    }
    for (const [name, s] of Object.entries(f.schemas)) {
      if (schemas[name]) throw new Error(`OpenAPI: schema ${name} is described twice`);
      schemas[name] = s;
    }
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'reconflow',
      version: '0.1.0',
      description:
        "Asynchronous reconciliation with BPMN approvals, speaking OpenIDM's REST API. Every error answers CREST's {code, reason, message[, detail]}; a URL or method not described here answers 404 (401 first when the request is not signed in).",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/openidm' }],
    security,
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: { ...components, schemas },
  };
}

/** A signed-in request with the session cookie and an unsafe method needs its X-CSRF-Token, or answers 403. */
/**
 * Statuses every operation may answer whatever it is (components.ts ALWAYS, the metrics-only gate,
 * Accept-API-Version): added where a fragment left them out, so that a fragment cannot forget them.
 */
function withStandardErrors(item: Record<string, unknown>): Record<string, unknown> {
  const out = { ...item };
  for (const m of ['get', 'post', 'put', 'patch', 'delete']) {
    const op = out[m] as { security?: unknown[]; responses: Record<string, unknown> } | undefined;
    if (!op) continue;
    // 403 too: an account whose only role is openidm-prometheus reaches nothing but the metrics;
    // and 400/404 from Accept-API-Version, checked before any route as CREST does (malformed: 400;
    // a resource version reconflow does not serve: 404).
    const codes = op.security && op.security.length === 0 ? [400, 404, 500, 503] : [400, 401, 403, 404, 429, 500, 503];
    const responses = { ...op.responses };
    for (const c of codes) responses[c] ??= { $ref: `#/components/responses/Error${c}` };
    out[m] = { ...op, responses };
  }
  return out;
}

/**
 * Every JSON read under /openidm may answer 304 to an If-None-Match naming its ETag (the answer's
 * own revision, or the weak hash of its body: src/api/conditionalGet.ts). Added here once.
 */
function withNotModified(item: Record<string, unknown>): Record<string, unknown> {
  const op = item.get as { responses: Record<string, { content?: Record<string, unknown> }> } | undefined;
  if (item.servers || !op || op.responses[304] || !op.responses[200]?.content?.['application/json']) return item;
  const notModified = {
    description: 'Not Modified: If-None-Match names the current ETag (W/"<hash of the body>", or the resource\'s own revision where it has one); no body',
    headers: { ETag: { schema: { type: 'string' } } },
  };
  return { ...item, get: { ...op, responses: { ...op.responses, 304: notModified } } };
}

function withCsrfRefusal(item: Record<string, unknown>): Record<string, unknown> {
  const out = { ...item };
  for (const m of ['post', 'put', 'patch', 'delete']) {
    const op = out[m] as { security?: unknown[]; responses: Record<string, unknown> } | undefined;
    if (!op || (op.security && op.security.length === 0)) continue;
    out[m] = { ...op, responses: { ...op.responses, 403: op.responses[403] ?? { $ref: '#/components/responses/Error403' } } };
  }
  return out;
}

const DOCUMENT = assemble(FRAGMENTS);

/** The whole description (shared: callers must not change it). */
export function apiDescription(): OpenApiDocument {
  return DOCUMENT;
}

/**
 * The description cut to one resource's paths, as IDM's /openidm/<resource>?_api: the paths whose
 * segments begin with `resource`'s (a {param} segment matches any value). null when none does.
 */
export function resourceDescription(resource: string): OpenApiDocument | null {
  const want = resource.split('/').filter(Boolean);
  if (!want.length) return DOCUMENT;
  const paths = Object.fromEntries(
    Object.entries(DOCUMENT.paths).filter(([p, item]) => {
      if (item.servers) return false; // the web UI and ?_api itself, outside the resources
      const have = p.split('/').filter(Boolean);
      return have.length >= want.length && want.every((seg, i) => have[i] === seg || /^\{.+\}$/.test(have[i]));
    }),
  );
  return Object.keys(paths).length ? { ...DOCUMENT, paths } : null;
}
