// OpenAPI 3.1 fragment for /openidm/health/* (src/api/health.ts), plain objects for the document
// builder to merge. Paths are relative to the server's /openidm base.
//
// For the document builder (applies to EVERY endpoint, not only these): each request may send the
// header X-Request-ID (schema RequestId below; a value that does not match is replaced by a
// generated UUID, never refused) and each response carries X-Request-ID with the id used, the one
// every log line of that request carries (src/api/requestContext.ts).

const usage = {
  type: 'object',
  description: 'Bytes; -1 where Node has no such figure (the JVM convention for "undefined").',
  required: ['init', 'used', 'committed', 'max'],
  properties: {
    init: { type: 'integer' },
    used: { type: 'integer' },
    committed: { type: 'integer' },
    max: { type: 'integer' },
  },
  additionalProperties: false,
};

export const schemas = {
  RequestId: {
    type: 'string',
    pattern: '^[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}$',
    description: 'X-Request-ID: accepted from the caller when it matches, else generated (UUID); returned on every response.',
  },
  HealthLive: {
    type: 'object',
    required: ['_id', 'alive'],
    properties: { _id: { const: 'live' }, alive: { const: true } },
    additionalProperties: false,
  },
  HealthReady: {
    type: 'object',
    required: ['_id', 'state', 'ready', 'reasons', 'checks'],
    properties: {
      _id: { const: 'ready' },
      state: { enum: ['ACTIVE_READY', 'ACTIVE_NOT_READY'] },
      ready: { type: 'boolean' },
      reasons: {
        type: 'array',
        items: { enum: ['database_unreachable', 'database_timeout', 'migrations_pending', 'migrations_unreadable', 'worker_stopped'] },
      },
      checks: {
        type: 'object',
        required: ['database', 'migrations', 'worker'],
        properties: {
          database: { enum: ['up', 'down', 'timeout'] },
          migrations: { enum: ['current', 'pending', 'unknown'] },
          worker: { enum: ['running', 'stopped', 'disabled'] },
        },
        additionalProperties: false,
      },
    },
    additionalProperties: false,
  },
  HealthOs: {
    type: 'object',
    required: ['_id', 'availableProcessors', 'systemLoadAverage', 'operatingSystemArchitecture', 'operatingSystemName', 'operatingSystemVersion'],
    properties: {
      _id: { const: '' },
      availableProcessors: { type: 'integer', minimum: 1 },
      systemLoadAverage: { type: 'number', description: 'One-minute load average (0 on Windows).' },
      operatingSystemArchitecture: { type: 'string' },
      operatingSystemName: { type: 'string' },
      operatingSystemVersion: { type: 'string' },
    },
    additionalProperties: false,
  },
  HealthMemory: {
    type: 'object',
    required: ['_id', 'objectPendingFinalization', 'heapMemoryUsage', 'nonHeapMemoryUsage'],
    properties: {
      _id: { const: '' },
      objectPendingFinalization: { type: 'integer', description: 'Always 0: JavaScript has no countable finalization queue.' },
      heapMemoryUsage: { ...usage, description: "V8's heap: used = heapUsed, committed = heapTotal, max = heap_size_limit." },
      nonHeapMemoryUsage: { ...usage, description: 'Outside the V8 heap: used = external (buffers, native objects), committed = rss - heapTotal.' },
    },
    additionalProperties: false,
  },
  HealthRecon: {
    type: 'object',
    required: ['_id', 'activeThreads', 'corePoolSize', 'largestPoolSize', 'maximumPoolSize', 'currentPoolSize'],
    properties: {
      _id: { const: '' },
      activeThreads: { type: 'integer', description: 'Reconciliation runs under way in this process.' },
      corePoolSize: { type: 'integer', description: 'Always 0: no run is kept waiting for work.' },
      largestPoolSize: { type: 'integer', description: 'Most runs under way at once in this process since it started.' },
      maximumPoolSize: { type: 'integer', description: 'Configured mappings: at most one run per mapping across the cluster.' },
      currentPoolSize: { type: 'integer', description: 'Same as activeThreads.' },
    },
    additionalProperties: false,
  },
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
// The CREST error responses of the shared components (the builder's components.responses).
const error = (code: number) => ({ $ref: `#/components/responses/Error${code}` });
const adminErrors = { '401': error(401), '403': error(403), '500': error(500), '503': error(503) };

export const paths = {
  '/health/live': {
    get: {
      tags: ['health'],
      summary: 'Liveness: the process answers',
      description: 'Anonymous (a probe cannot sign in). Checks nothing else: a restart cannot cure a database outage.',
      security: [],
      responses: { '200': { description: 'Alive', content: json('HealthLive') }, '500': error(500) },
    },
  },
  '/health/ready': {
    get: {
      tags: ['health'],
      summary: 'Readiness: database reachable, migrations current, job worker running',
      description: 'Anonymous; answers only up/down and reason codes. An answer is reused for up to one second.',
      security: [],
      responses: {
        '200': { description: 'Ready', content: json('HealthReady') },
        '503': { description: 'Not ready; `reasons` names why', content: json('HealthReady') },
        '500': error(500),
      },
    },
  },
  '/health/os': {
    get: { tags: ['health'], summary: "IDM's health/os: the operating system (openidm-admin)", responses: { '200': { description: 'OK', content: json('HealthOs') }, ...adminErrors } },
  },
  '/health/memory': {
    get: { tags: ['health'], summary: "IDM's health/memory: V8 heap and process memory (openidm-admin)", responses: { '200': { description: 'OK', content: json('HealthMemory') }, ...adminErrors } },
  },
  '/health/recon': {
    get: { tags: ['health'], summary: "IDM's health/recon: reconciliation runs of this process (openidm-admin)", responses: { '200': { description: 'OK', content: json('HealthRecon') }, ...adminErrors } },
  },
};
