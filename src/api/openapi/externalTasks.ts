// external-task: Camunda 7's external task REST API under /openidm, for administrators
// (src/api/externalTasks.ts). Errors keep the CREST shape; statuses are Camunda's.
import { json, op, pathId } from './components';

const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const TAGS = ['external-task'];
const typedMap = { $ref: '#/components/schemas/TypedVariables' };
const noContent = { 204: { description: 'Done' } };
const body = (properties: Record<string, unknown>, required: string[]) => ({
  required: true,
  content: { 'application/json': { schema: { type: 'object', required, additionalProperties: false, properties } } },
});
const duration = { type: 'integer', minimum: 1, description: 'ms' };
const filters = [
  'externalTaskId', 'topicName', 'workerId', 'processInstanceId', 'processDefinitionId', 'processDefinitionKey', 'activityId', 'executionId',
].map((name) => ({ name, in: 'query', schema: str }));
const flags = ['locked', 'notLocked', 'withRetriesLeft', 'noRetriesLeft'].map((name) => ({ name, in: 'query', schema: { enum: ['true', 'false'] } }));
const paging = [
  { name: 'firstResult', in: 'query', schema: { type: 'integer', minimum: 0 } },
  { name: 'maxResults', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 10000, default: 1000 } },
];
const taskPath = (summary: string, requestBody: Record<string, unknown> | undefined, errors: number[] = [400, 403, 404]) => ({
  parameters: [pathId('id', 'The external task id')],
  post: op({ summary, tags: TAGS, ...(requestBody ? { requestBody } : {}), responses: noContent, errors, jsonBody: true }),
});

export const paths = {
  '/external-task/fetchAndLock': {
    post: op({
      summary: 'Lock tasks of the given topics for a worker (long polling: asyncResponseTimeout, at most 60 s)',
      tags: TAGS,
      requestBody: body(
        {
          workerId: str,
          maxTasks: { type: 'integer', minimum: 0, maximum: 1000 },
          usePriority: { type: 'boolean' },
          asyncResponseTimeout: { type: 'integer', minimum: 0 },
          topics: {
            type: 'array',
            maxItems: 100,
            items: {
              type: 'object',
              required: ['topicName', 'lockDuration'],
              additionalProperties: false,
              properties: {
                topicName: str,
                lockDuration: duration,
                variables: { type: ['array', 'null'], items: str },
                localVariables: { type: 'boolean' },
                businessKey: strOrNull,
                processDefinitionId: strOrNull,
                processDefinitionIdIn: { type: ['array', 'null'], items: str },
                processDefinitionKey: strOrNull,
                processDefinitionKeyIn: { type: ['array', 'null'], items: str },
                processDefinitionVersionTag: { type: ['string', 'null'], description: 'reconflow has no version tags: a tag matches no task' },
                processVariables: { type: ['object', 'null'], maxProperties: 0, description: 'Filtering by variable values is not supported (400)' },
                processInstanceIdIn: { type: ['array', 'null'], items: { type: 'string', pattern: '^\\d{1,15}$' } },
                includeExtensionProperties: { type: 'boolean' },
                deserializeValues: { type: 'boolean' },
                withoutTenantId: { type: 'boolean' },
                tenantIdIn: { type: ['array', 'null'], items: str, description: 'reconflow has no tenants: a tenant matches no task' },
              },
            },
          },
          sorting: {
            type: ['array', 'null'],
            maxItems: 1,
            items: { type: 'object', required: ['sortBy', 'sortOrder'], properties: { sortBy: { const: 'createTime' }, sortOrder: { enum: ['asc', 'desc'] } } },
          },
        },
        ['workerId'],
      ),
      responses: { 200: json({ type: 'array', items: { $ref: '#/components/schemas/LockedExternalTask' } }, 'The tasks locked (possibly none)') },
      errors: [400, 403],
      jsonBody: true,
    }),
  },
  '/external-task': {
    get: op({
      summary: 'Query external tasks',
      tags: TAGS,
      parameters: [...filters, ...flags, ...paging],
      responses: { 200: json({ type: 'array', items: { $ref: '#/components/schemas/ExternalTask' } }, 'The tasks') },
      errors: [400, 403],
    }),
  },
  '/external-task/count': {
    get: op({
      summary: 'Count external tasks',
      tags: TAGS,
      parameters: [...filters, ...flags],
      responses: { 200: json({ type: 'object', required: ['count'], additionalProperties: false, properties: { count: { type: 'integer', minimum: 0 } } }, 'The count') },
      errors: [400, 403],
    }),
  },
  '/external-task/{id}': {
    parameters: [pathId('id', 'The external task id')],
    get: op({ summary: 'An external task', tags: TAGS, responses: { 200: json({ $ref: '#/components/schemas/ExternalTask' }, 'The task') }, errors: [400, 403, 404] }),
  },
  '/external-task/{id}/errorDetails': {
    parameters: [pathId('id', 'The external task id')],
    get: op({
      summary: "The last failure's error details",
      tags: TAGS,
      responses: { 200: { description: 'The details (empty when none)', content: { 'text/plain': { schema: str } } } },
      errors: [400, 403, 404],
    }),
  },
  '/external-task/{id}/complete': taskPath('Complete a locked task', body({ workerId: str, variables: typedMap, localVariables: typedMap }, ['workerId'])),
  '/external-task/{id}/failure': taskPath(
    'Report a failure: retries left schedule it again after retryTimeout; none left raise an incident',
    body({ workerId: str, errorMessage: strOrNull, errorDetails: strOrNull, retries: { type: 'integer', minimum: 0 }, retryTimeout: { type: 'integer', minimum: 0 } }, ['workerId']),
  ),
  '/external-task/{id}/bpmnError': taskPath(
    'Throw a BPMN error at the task',
    body({ workerId: str, errorCode: str, errorMessage: strOrNull, variables: typedMap }, ['workerId', 'errorCode']),
  ),
  '/external-task/{id}/extendLock': taskPath('Extend the lock', body({ workerId: str, newDuration: duration }, ['workerId', 'newDuration'])),
  '/external-task/{id}/lock': taskPath('Lock a task for a worker', body({ workerId: str, lockDuration: duration }, ['workerId', 'lockDuration'])),
  '/external-task/{id}/unlock': taskPath('Unlock a task', undefined),
  '/external-task/{id}/retries': {
    parameters: [pathId('id', 'The external task id')],
    put: op({
      summary: "Set a task's retries (0 raises an incident; more resolves it)",
      tags: TAGS,
      requestBody: body({ retries: { type: 'integer', minimum: 0 } }, ['retries']),
      responses: noContent,
      errors: [400, 403, 404],
      jsonBody: true,
    }),
  },
};

const camundaDate = { type: ['string', 'null'], description: "yyyy-MM-dd'T'HH:mm:ss.SSS+0000" };
const task = {
  id: str,
  topicName: str,
  workerId: strOrNull,
  lockExpirationTime: camundaDate,
  createTime: camundaDate,
  processInstanceId: str,
  processDefinitionId: str,
  processDefinitionKey: str,
  processDefinitionVersionTag: { type: 'null' },
  activityId: str,
  activityInstanceId: strOrNull,
  executionId: strOrNull,
  retries: { type: ['integer', 'null'] },
  errorMessage: strOrNull,
  suspended: { const: false },
  tenantId: { type: 'null' },
  priority: { type: 'integer' },
  businessKey: strOrNull,
};
const { suspended: _suspended, ...lockedTask } = task;

export const schemas = {
  TypedVariables: {
    type: ['object', 'null'],
    description: 'Camunda\'s typed variables: {"name": {"type": "String", "value": "x", "valueInfo": {}}}',
    additionalProperties: { type: 'object', properties: { type: { type: ['string', 'null'] }, value: {}, valueInfo: { type: ['object', 'null'] } } },
  },
  ExternalTask: { type: 'object', required: Object.keys(task), additionalProperties: false, properties: task },
  LockedExternalTask: {
    type: 'object',
    required: [...Object.keys(lockedTask), 'errorDetails', 'variables'],
    additionalProperties: false,
    properties: {
      ...lockedTask,
      errorDetails: strOrNull,
      variables: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          required: ['type', 'value', 'valueInfo'],
          additionalProperties: false,
          properties: { type: { enum: ['Null', 'String', 'Boolean', 'Integer', 'Long', 'Double', 'Json'] }, value: {}, valueInfo: { type: 'object' } },
        },
      },
      extensionProperties: { type: 'object', additionalProperties: str },
    },
  },
};
