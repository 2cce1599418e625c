// workflow/incident: dead jobs, failed instance steps and external tasks out of retries, for
// administrators (src/api/incidents.ts).
import { action, json, op, pathId, queryParamsSortingOn, queryResult } from './components';
import { INCIDENT_SORT_KEYS } from '../incidents';

const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const incident = { $ref: '#/components/schemas/Incident' };

export const paths = {
  '/workflow/incident': {
    get: op({
      summary: 'Query the incidents',
      tags: ['incidents'],
      parameters: queryParamsSortingOn(INCIDENT_SORT_KEYS),
      responses: { 200: json(queryResult(incident), 'The incidents') },
      errors: [400, 403],
    }),
    post: op({
      summary: 'Retry every incident matching _queryFilter (_action=retry)',
      description:
        'Synchronous, one incident at a time, at most 1,000: more, or none matching, is 400 with nothing retried. The answer lists what happened to each; when none could be retried it is 409 with that list as detail.',
      tags: ['incidents'],
      parameters: [action('retry'), { name: '_queryFilter', in: 'query', required: true, schema: str }],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['matched', 'retried', 'failed', 'results'],
            additionalProperties: false,
            properties: {
              matched: { type: 'integer', minimum: 1 },
              retried: { type: 'integer', minimum: 1 },
              failed: { type: 'integer', minimum: 0 },
              results: {
                type: 'array',
                items: { type: 'object', required: ['_id', 'status'], additionalProperties: false, properties: { _id: str, status: { enum: ['retried', 'failed'] }, message: str } },
              },
            },
          },
          'At least one retried; each incident\'s outcome',
        ),
      },
      errors: [400, 403, 409],
    }),
  },
  '/workflow/incident/{id}': {
    parameters: [pathId('id', 'job-<n>, instance-<n> or externalTask-<n>')],
    get: op({ summary: 'An incident', tags: ['incidents'], responses: { 200: json(incident, 'The incident') }, errors: [403, 404] }),
    post: op({
      summary: 'Retry what failed (_action=retry)',
      tags: ['incidents'],
      parameters: [action('retry')],
      responses: {
        200: json({ type: 'object', required: ['_id', 'status'], additionalProperties: false, properties: { _id: str, status: { const: 'retried' } } }, 'Retried'),
      },
      errors: [400, 403, 404, 409],
    }),
  },
};

export const schemas = {
  Incident: {
    type: 'object',
    required: ['_id', 'type', 'processInstanceId', 'processDefinitionId', 'activityId', 'jobId', 'jobType', 'cause', 'time', 'attempts'],
    additionalProperties: false,
    properties: {
      _id: str,
      type: { enum: ['failedJob', 'failedInstance', 'failedExternalTask'] },
      processInstanceId: strOrNull,
      processDefinitionId: strOrNull,
      activityId: strOrNull,
      jobId: strOrNull,
      jobType: strOrNull,
      externalTaskId: str,
      cause: str,
      time: str,
      attempts: { type: 'integer', minimum: 0 },
    },
  },
};
