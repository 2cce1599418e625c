// jobs: the durable queue, for administrators (src/api/jobs.ts).
import { action, json, op, pathId, queryParamsSortingOn, queryResult } from './components';
import { JOB_SORT_KEYS } from '../../jobs';

const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const job = { $ref: '#/components/schemas/Job' };
const STATES = ['queued', 'running', 'done', 'dead'];

export const paths = {
  '/jobs': {
    get: op({
      summary: 'Query the jobs',
      tags: ['jobs'],
      parameters: queryParamsSortingOn(JOB_SORT_KEYS),
      responses: { 200: json(queryResult(job), 'The jobs') },
      errors: [400, 403],
    }),
  },
  '/jobs/_summary': {
    get: op({
      summary: 'How many jobs are in each state',
      tags: ['jobs'],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['_id', 'states'],
            additionalProperties: false,
            properties: { _id: { const: '_summary' }, states: { type: 'object', propertyNames: { enum: STATES }, additionalProperties: { type: 'integer', minimum: 0 } } },
          },
          'Counts by state',
        ),
      },
      errors: [403],
    }),
  },
  '/jobs/{id}': {
    parameters: [pathId('id', 'The job id')],
    get: op({ summary: 'A job', tags: ['jobs'], responses: { 200: json(job, 'The job') }, errors: [403, 404] }),
    post: op({
      summary: 'Retry a dead job (_action=retry)',
      tags: ['jobs'],
      parameters: [action('retry')],
      responses: { 200: json(job, 'Queued again') },
      errors: [400, 403, 404, 409],
    }),
  },
};

export const schemas = {
  Job: {
    type: 'object',
    required: ['_id', 'key', 'type', 'state', 'attempts', 'maxAttempts', 'runAt', 'lockedBy', 'lastError', 'payload', 'result', 'createdAt', 'updatedAt'],
    additionalProperties: false,
    properties: {
      _id: str,
      key: str,
      type: str,
      state: { enum: STATES },
      attempts: { type: 'integer', minimum: 0 },
      maxAttempts: { type: 'integer', minimum: 0 },
      runAt: str,
      lockedBy: strOrNull,
      lastError: strOrNull,
      payload: { type: 'object' },
      result: { description: "The handler's result once done" },
      createdAt: str,
      updatedAt: str,
    },
  },
};
