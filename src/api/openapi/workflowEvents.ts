// workflow/execution, workflow/message and workflow/signal (src/api/workflowEvents.ts):
// administrators resume waits other than user tasks and timers.
import { action, json, op, pathId, queryParamsSortingOn, queryResult } from './components';
import { EXECUTION_SORT_KEYS } from '../workflowEvents';

const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const TAGS = ['workflow events'];
const variables = { type: 'object', description: 'Plain values, or Camunda\'s typed form {"x": {"value": 1, "type": "Integer"}}', additionalProperties: true };

export const paths = {
  '/workflow/execution': {
    get: op({
      summary: 'Query the executions waiting for a trigger, a message or a signal (administrators)',
      tags: TAGS,
      parameters: queryParamsSortingOn(EXECUTION_SORT_KEYS),
      responses: { 200: json(queryResult({ $ref: '#/components/schemas/WaitingExecution' }), 'The waiting executions') },
      errors: [400, 403],
    }),
  },
  '/workflow/execution/{id}': {
    parameters: [pathId('id', 'The waiting execution id')],
    post: op({
      summary: 'Trigger a waiting manual or receive task (_action=trigger)',
      tags: TAGS,
      parameters: [action('trigger')],
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { variables } } } } },
      responses: { 200: json({ $ref: '#/components/schemas/TriggeredInstance' }, 'The instance after the trigger') },
      errors: [403, 404, 409],
      jsonBody: true,
    }),
  },
  '/workflow/message': {
    post: op({
      summary: "Correlate a message (Camunda's shape): resume the waits for it, or start the processes it starts",
      tags: TAGS,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['messageName'],
              additionalProperties: false,
              properties: { messageName: str, businessKey: strOrNull, correlationKeys: variables, processVariables: variables, all: { type: 'boolean' } },
            },
          },
        },
      },
      responses: {
        200: json(
          {
            type: 'array',
            items: { type: 'object', required: ['processInstanceId', 'started'], additionalProperties: false, properties: { processInstanceId: str, started: { type: 'boolean' } } },
          },
          'The instances resumed or started',
        ),
      },
      errors: [403, 404, 409],
      jsonBody: true,
    }),
  },
  '/workflow/signal': {
    post: op({
      summary: 'Broadcast a signal to every wait for it and every process it starts',
      tags: TAGS,
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: str, variables } } } },
      },
      responses: {
        200: json(
          {
            type: 'object',
            required: ['name', 'count', 'processInstanceIds', 'started'],
            additionalProperties: false,
            properties: { name: str, count: { type: 'integer', minimum: 0 }, processInstanceIds: { type: 'array', items: str }, started: { type: 'array', items: str } },
          },
          'What the signal reached',
        ),
      },
      errors: [403],
      jsonBody: true,
    }),
  },
};

export const schemas = {
  WaitingExecution: {
    type: 'object',
    required: ['_id', 'id', 'processInstanceId', 'processDefinitionId', 'activityId', 'executionId', 'kind', 'name', 'businessKey', 'created'],
    additionalProperties: false,
    properties: {
      _id: str,
      id: str,
      processInstanceId: str,
      processDefinitionId: str,
      activityId: str,
      executionId: strOrNull,
      kind: str,
      name: strOrNull,
      businessKey: strOrNull,
      created: str,
    },
  },
  TriggeredInstance: {
    description: 'The instance as workflow/processinstance shows it; with its open tasks while active',
    anyOf: [{ $ref: '#/components/schemas/ProcessInstance' }, { $ref: '#/components/schemas/ProcessInstanceWithTasks' }],
  },
};
