// OpenAPI 3.1 fragment for /openidm/scheduler/job (src/api/scheduler.ts), in IDM's shapes (PingIDM
// "REST API: Schedules", https://docs.pingidentity.com/pingidm/8/rest-api-reference/endpoints/rest-schedules.html,
// and "Configure schedules"). Plain objects: the OpenAPI document merges `paths` and `schemas`
// (component names are prefixed Scheduler so that they cannot clash; SchedulerError is CREST's
// error shape and may be replaced by the document's shared one).

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('SchedulerError')) });
const errors = {
  '400': error('Invalid schedule (the message starts with the key at fault), parameter or action'),
  '401': error('Not authenticated'),
  '403': error('Not an administrator (openidm-admin), or a schedule defined by a conf/schedule-*.json file'),
  '503': error('The repository is unavailable'),
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,254}$' } };
const fieldsParam = { name: '_fields', in: 'query', required: false, schema: { type: 'string' }, description: 'Comma-separated JSON pointers of the fields to answer' };
const tags = ['scheduler'];

export const paths = {
  '/scheduler/job': {
    get: {
      tags,
      summary: 'Query schedules',
      operationId: 'querySchedulerJobs',
      parameters: [
        { name: '_queryFilter', in: 'query', required: true, schema: { type: 'string' }, description: 'CREST query filter over the job objects, e.g. true or invokeContext/action eq "reconcile"' },
        fieldsParam,
        { name: '_sortKeys', in: 'query', required: false, schema: { type: 'string' } },
        { name: '_pageSize', in: 'query', required: false, schema: { type: 'integer', minimum: 0 } },
        { name: '_pagedResultsOffset', in: 'query', required: false, schema: { type: 'integer', minimum: 0 } },
        { name: '_pagedResultsCookie', in: 'query', required: false, schema: { type: 'string' } },
        { name: '_totalPagedResultsPolicy', in: 'query', required: false, schema: { enum: ['NONE', 'EXACT', 'ESTIMATE'] } },
      ],
      responses: { '200': { description: 'The matching schedules', content: json(ref('SchedulerJobQueryResult')) }, ...errors },
    },
    post: {
      tags,
      summary: 'Create a schedule with a generated id (_action=create); pause or resume every schedule; list the schedules running now',
      operationId: 'schedulerJobAction',
      parameters: [{ name: '_action', in: 'query', required: true, schema: { enum: ['create', 'pauseJobs', 'resumeJobs', 'listCurrentlyExecutingJobs'] } }, fieldsParam],
      requestBody: { required: false, description: 'The schedule (_action=create only)', content: json(ref('SchedulerJobInput')) },
      responses: {
        '201': { description: 'Created (_action=create)', content: json(ref('SchedulerJob')) },
        '200': {
          description: 'pauseJobs/resumeJobs: {"success": true}; listCurrentlyExecutingJobs: the schedules with a fire running on any node (or a reconciliation it started still ACTIVE)',
          content: json({ oneOf: [ref('SchedulerSuccess'), { type: 'array', items: ref('SchedulerJob') }] }),
        },
        '412': error('_action=create met an existing id'),
        ...errors,
      },
    },
  },
  '/scheduler/job/{id}': {
    parameters: [idParam],
    get: {
      tags,
      summary: 'Read a schedule',
      operationId: 'readSchedulerJob',
      parameters: [fieldsParam],
      responses: { '200': { description: 'The schedule', content: json(ref('SchedulerJob')) }, '404': error('No such schedule'), ...errors },
    },
    put: {
      tags,
      summary: 'Create (201) or replace (200) a schedule; If-None-Match: * creates only',
      operationId: 'putSchedulerJob',
      parameters: [{ name: 'If-None-Match', in: 'header', required: false, schema: { const: '*' } }, fieldsParam],
      requestBody: { required: true, content: json(ref('SchedulerJobInput')) },
      responses: {
        '200': { description: 'Replaced', content: json(ref('SchedulerJob')) },
        '201': { description: 'Created', content: json(ref('SchedulerJob')) },
        '409': error('Changed concurrently'),
        '412': error('If-None-Match: * and the schedule exists'),
        ...errors,
      },
    },
    delete: {
      tags,
      summary: 'Delete a schedule; answers it as it was',
      operationId: 'deleteSchedulerJob',
      responses: { '200': { description: 'The deleted schedule', content: json(ref('SchedulerJob')) }, '404': error('No such schedule'), ...errors },
    },
  },
};

const syncContext = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'mapping'],
  properties: { action: { const: 'reconcile' }, mapping: { type: 'string', description: 'A mapping of conf/sync.json' } },
};
const scriptContext = {
  type: 'object',
  additionalProperties: false,
  required: ['script'],
  properties: {
    script: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { const: 'text/javascript' },
        source: { type: 'string' },
        file: { type: 'string', description: 'Relative to the project folder' },
        globals: { type: 'object', description: 'Bound as global variables of the script' },
      },
    },
  },
};
const settable = {
  enabled: { type: 'boolean', default: true },
  persisted: { const: true, default: true, description: 'Every schedule is stored in the repository; false is refused' },
  recoverable: { const: false, default: false, description: 'A fire interrupted by a crash is not run again; true is refused' },
  concurrentExecution: { type: 'boolean', default: false, description: 'false: a fire while the previous one (its reconciliation) still runs is skipped and recorded' },
  type: { enum: ['cron', 'simple'] },
  schedule: { type: ['string', 'null'], description: 'Quartz cron (seconds minutes hours day-of-month month day-of-week [year]); cron triggers only' },
  repeatInterval: { type: 'integer', minimum: 0, description: 'Milliseconds between fires (simple triggers; 0 on a cron trigger)' },
  repeatCount: { type: 'integer', minimum: -1, description: 'Fires after the first (simple triggers; -1: for ever; 0 on a cron trigger)' },
  startTime: { type: ['string', 'null'], description: "yyyy-MM-dd'T'HH:mm:ss with an optional Z or +hh:mm (else in timeZone)" },
  endTime: { type: ['string', 'null'] },
  timeZone: { type: ['string', 'null'], description: 'IANA time zone of the cron expression and of startTime/endTime without offset (default UTC)' },
  misfirePolicy: { enum: ['fireAndProceed', 'doNothing'], default: 'fireAndProceed' },
  invokeService: { enum: ['sync', 'org.forgerock.openidm.sync', 'script', 'org.forgerock.openidm.script'] },
  invokeContext: { oneOf: [syncContext, scriptContext] },
  invokeLogLevel: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'], default: 'info' },
};

export const schemas = {
  SchedulerJobInput: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'invokeService', 'invokeContext'],
    properties: { _id: { type: 'string', description: 'PUT only: equal to the id in the URL' }, ...settable },
  },
  SchedulerTrigger: {
    type: 'object',
    required: ['_id', 'name', 'group', 'jobKey', 'state'],
    properties: {
      _id: { type: 'string' },
      name: { type: 'string' },
      group: { const: 'scheduler-service-group' },
      jobKey: { type: 'string' },
      nodeId: { type: ['string', 'null'], description: 'The node that claimed the last fire' },
      state: { enum: ['NORMAL', 'PAUSED'] },
      previousState: { type: 'null' },
      calendar: { type: 'null' },
    },
  },
  SchedulerLastRun: {
    type: ['object', 'null'],
    description: "reconflow's addition: the latest due time recorded and what came of it",
    properties: {
      fireTime: { type: 'string', format: 'date-time' },
      kind: { enum: ['scheduled', 'misfire', 'missed'] },
      covers: { type: 'integer', description: 'Due times it stands for (a misfire covers those missed)' },
      lastFireTime: { type: 'string', format: 'date-time' },
      status: { enum: ['claimed', 'running', 'succeeded', 'failed', 'skipped', 'started', 'missed'] },
      node: { type: 'string' },
      claimedAt: { type: 'string', format: 'date-time' },
      endedAt: { type: ['string', 'null'], format: 'date-time' },
      reconId: { type: ['string', 'null'] },
      message: { type: ['string', 'null'] },
    },
  },
  SchedulerJob: {
    type: 'object',
    required: ['_id', 'enabled', 'persisted', 'type', 'invokeService', 'invokeContext', 'triggers', 'nextRunDate', 'previousRunDate'],
    properties: {
      _id: { type: 'string' },
      ...settable,
      invokeService: { enum: ['org.forgerock.openidm.sync', 'org.forgerock.openidm.script'] },
      triggers: { type: 'array', items: ref('SchedulerTrigger') },
      nextRunDate: { type: ['string', 'null'], format: 'date-time' },
      previousRunDate: { type: ['string', 'null'], format: 'date-time' },
      lastRun: ref('SchedulerLastRun'),
    },
  },
  SchedulerJobQueryResult: {
    type: 'object',
    required: ['result', 'resultCount', 'pagedResultsCookie', 'totalPagedResultsPolicy', 'totalPagedResults', 'remainingPagedResults'],
    properties: {
      result: { type: 'array', items: { type: 'object', description: 'A SchedulerJob, or the _fields asked for' } },
      resultCount: { type: 'integer' },
      pagedResultsCookie: { type: ['string', 'null'] },
      totalPagedResultsPolicy: { enum: ['NONE', 'EXACT', 'ESTIMATE'] },
      totalPagedResults: { type: 'integer' },
      remainingPagedResults: { type: 'integer' },
    },
  },
  SchedulerSuccess: { type: 'object', required: ['success'], properties: { success: { const: true } } },
  SchedulerError: {
    type: 'object',
    required: ['code', 'reason', 'message'],
    properties: { code: { type: 'integer' }, reason: { type: 'string' }, message: { type: 'string' }, detail: {} },
  },
};
