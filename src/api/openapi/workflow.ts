// workflow/processdefinition, workflow/processinstance (and its history) and workflow/taskinstance
// (src/api/workflow.ts). Process variables are the process's own: open objects.
import { action, json, op, param, pathId, QUERY_PARAMS, queryResult } from './components';

const s = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const TAGS = ['workflow'];

export const paths = {
  '/workflow/processdefinition': {
    get: op({
      summary: 'Query the deployed process definitions (every version)',
      tags: TAGS,
      parameters: QUERY_PARAMS,
      responses: { 200: json(queryResult(s('ProcessDefinition')), 'The definitions') },
      errors: [400],
    }),
    post: op({
      summary: 'Deploy a BPMN file as a new version (administrators); the same XML again is not a new version',
      tags: TAGS,
      parameters: [{ name: 'resourceName', in: 'query', description: 'The file name to record', schema: str }],
      requestBody: {
        required: true,
        description: 'The BPMN XML, at most 5 MB, in the encoding its declaration names',
        content: { 'application/xml': { schema: str }, 'text/xml': { schema: str }, 'application/octet-stream': { schema: str } },
      },
      responses: { 200: json(s('ProcessDefinitionDetail'), 'Already deployed: that version'), 201: json(s('ProcessDefinitionDetail'), 'Deployed') },
      errors: [400, 403, 409, 413, 415],
    }),
  },
  '/workflow/processdefinition/{id}': {
    parameters: [pathId('id', 'The definition id (key:version:seq)')],
    get: op({
      summary: 'A definition with its start form, user tasks and end events; _fields=xml adds the XML (administrators)',
      tags: TAGS,
      parameters: [param('fields')],
      responses: { 200: json(s('ProcessDefinitionDetail'), 'The definition') },
      errors: [400, 403, 404],
    }),
    delete: op({
      summary: 'Remove a definition version that no instance uses (administrators)',
      tags: TAGS,
      responses: { 200: json(s('ProcessDefinition'), 'Removed') },
      errors: [403, 404, 409],
    }),
  },
  '/workflow/processinstance': {
    get: op({
      summary: 'Query the active process instances (administrators)',
      tags: TAGS,
      parameters: QUERY_PARAMS,
      responses: { 200: json(queryResult(s('ProcessInstance')), 'The instances') },
      errors: [400, 403],
    }),
    post: op({
      summary: 'Start a process instance (administrators): _action=create with _key or _processDefinitionId; the other fields are its variables',
      tags: TAGS,
      parameters: [action('create')],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { _key: str, _processDefinitionId: str, _businessKey: strOrNull },
              additionalProperties: true,
            },
          },
        },
      },
      responses: { 201: json(s('StartedInstance'), 'Started') },
      errors: [403, 404, 409],
      jsonBody: true,
    }),
  },
  '/workflow/processinstance/{id}': {
    parameters: [pathId('id', 'The instance id')],
    get: op({
      summary: 'An active instance with its open tasks (administrators)',
      tags: TAGS,
      parameters: [param('fields')],
      responses: { 200: json(s('ProcessInstanceWithTasks'), 'The instance') },
      errors: [400, 403, 404],
    }),
    delete: op({
      summary: 'Cancel an active instance (administrators)',
      tags: TAGS,
      responses: { 200: json(s('ProcessInstance'), 'Canceled: the instance as it now is') },
      errors: [403, 404, 409],
    }),
  },
  '/workflow/processinstance/history': {
    get: op({
      summary: 'Query every instance, active or ended (administrators)',
      tags: TAGS,
      parameters: QUERY_PARAMS,
      responses: { 200: json(queryResult(s('ProcessInstance')), 'The instances') },
      errors: [400, 403],
    }),
  },
  '/workflow/processinstance/history/{id}': {
    parameters: [pathId('id', 'The instance id')],
    get: op({
      summary: 'An instance, active or ended, with its approval and the activities it passed (administrators, or the approval\'s decider)',
      tags: TAGS,
      parameters: [param('fields')],
      responses: { 200: json(s('ProcessInstanceHistory'), 'The instance') },
      errors: [400, 403, 404],
    }),
  },
  '/workflow/taskinstance': {
    get: op({
      summary: "Query the open tasks the caller may work on (an administrator: all)",
      tags: TAGS,
      parameters: QUERY_PARAMS,
      responses: { 200: json(queryResult(s('Task')), 'The tasks') },
      errors: [400],
    }),
    post: op({
      summary: 'Complete every task the caller may work on that matches _queryFilter now, with the same values (a durable bulk operation; its progress at workflow/bulk/{id})',
      description:
        'The ids of the matching tasks are fixed by this request (a task opened later is not included); each is completed as a single completion would be (its form checked, as the caller), a batch at a time through the job queue. A task completed meanwhile by someone else counts as failed ("already completed"). Values the first matching task refuses answer 400 at once; no matching task answers 400.',
      tags: TAGS,
      parameters: [action('complete'), { name: '_queryFilter', in: 'query', required: true, description: 'CREST filter on the open tasks (as the query)', schema: str }],
      requestBody: {
        required: false,
        content: { 'application/json': { schema: { type: 'object', description: 'The form values, and an optional _comment (at most 2000 characters) stored with each decision', additionalProperties: true } } },
      },
      responses: { 202: { ...json(s('BulkOperation'), 'Started'), headers: { Location: { schema: str, description: '/openidm/workflow/bulk/{_id}' } } } },
      errors: [400, 403],
      jsonBody: true,
    }),
  },
  '/workflow/bulk/{id}': {
    parameters: [pathId('id', 'The bulk operation id')],
    get: op({
      summary: 'A bulk operation: its state, exact counts and the first 100 failures (its starter or an administrator)',
      tags: TAGS,
      responses: { 200: json(s('BulkOperationDetail'), 'The operation') },
      errors: [400, 404],
    }),
    post: op({
      summary: 'Cancel a bulk operation: it stops before its next task (the tasks not reached stay open); an ended one answers its state unchanged',
      tags: TAGS,
      parameters: [action('cancel')],
      responses: { 200: json(s('BulkOperationDetail'), 'The operation after the cancel') },
      errors: [400, 404],
    }),
  },
  '/workflow/taskinstance/{id}': {
    parameters: [pathId('id', 'The task id')],
    get: op({
      summary: 'A task with its form and, for an approval, what is to be approved',
      tags: TAGS,
      parameters: [param('fields')],
      responses: { 200: { ...json(s('TaskDetail'), 'The task'), headers: { ETag: { schema: str } } } },
      errors: [400, 404],
    }),
    put: op({
      summary: "Change a task's assignee, owner, name or description (administrators)",
      tags: TAGS,
      parameters: [param('ifMatch')],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { type: 'object', properties: { assignee: strOrNull, owner: strOrNull, name: strOrNull, description: strOrNull } },
          },
        },
      },
      responses: {
        200: json({ type: 'object', required: ['Task updated'], additionalProperties: false, properties: { 'Task updated': str } }, 'Updated'),
      },
      errors: [403, 404, 409, 412],
      jsonBody: true,
    }),
    post: op({
      summary: 'Complete a task with its form values, or claim it (assignee: userId or the caller)',
      tags: TAGS,
      parameters: [action('complete', 'claim')],
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              description:
                'complete: the form values (a task with free variables: any variables), and an optional _comment (a string of at most 2000 characters, neither a form field nor a process variable) stored with the decision of an approval; claim: {userId}',
              additionalProperties: true,
            },
          },
        },
      },
      responses: {
        200: json(
          { type: 'object', required: ['Task action performed'], additionalProperties: false, properties: { 'Task action performed': { enum: ['complete', 'claim'] } } },
          'Done',
        ),
      },
      errors: [403, 404, 409],
      jsonBody: true,
    }),
  },
};

const formProperties = { type: 'array', items: s('FormProperty') };

const definition = {
  _id: str,
  key: str,
  name: strOrNull,
  category: strOrNull,
  version: { type: 'integer' },
  deploymentId: str,
  resourceName: strOrNull,
  deploymentTime: str,
  suspended: { const: false },
};

const instance = {
  _id: str,
  processInstanceId: str,
  processDefinitionId: str,
  processDefinitionKey: str,
  businessKey: strOrNull,
  status: { enum: ['active', 'ended', 'failed', 'canceled'] },
  startTime: str,
  startUserId: strOrNull,
  startActivityId: strOrNull,
  endTime: strOrNull,
  endActivityId: strOrNull,
  deleteReason: strOrNull,
  error: strOrNull,
  processVariables: s('Variables'),
  superProcessInstanceId: strOrNull,
};
const INSTANCE_REQUIRED = Object.keys(instance);

const task = {
  _id: str,
  _rev: str,
  name: strOrNull,
  assignee: strOrNull,
  owner: strOrNull,
  taskDefinitionKey: str,
  processInstanceId: str,
  processDefinitionId: str,
  executionId: strOrNull,
  createTime: str,
  dueDate: strOrNull,
  priority: { type: ['integer', 'null'] },
  description: strOrNull,
  category: { type: 'null' },
  suspended: { const: false },
  delegationState: { type: 'null' },
  tenantId: { const: '' },
  formResourceKey: strOrNull,
  processVariables: s('Variables'),
  taskLocalVariables: { type: 'object' },
};

const approval = {
  mapping: str,
  sourceId: { type: ['string', 'null'], description: 'null for an approval of the target phase (SOURCE_MISSING, UNASSIGNED, TARGET_IGNORED)' },
  sourceHash: strOrNull,
  target: {
    type: ['object', 'null'],
    description: 'CREATE: the user that will be created (a snapshot of the source row as mapped); UPDATE: the values that will be written; other actions: the target as it was when asked (the user a DELETE removes, an UNLINK detaches)',
  },
  roles: { type: 'array', items: str },
  earlierDecisions: {
    type: 'array',
    items: {
      type: 'object',
      required: ['decision', 'decidedBy', 'decidedAt', 'outcome'],
      additionalProperties: false,
      properties: { decision: str, decidedBy: strOrNull, decidedAt: strOrNull, outcome: strOrNull },
    },
    description: 'The same approvals as `earlier`, oldest first, without their details',
  },
  earlier: {
    type: 'array',
    maxItems: 10,
    description: 'Up to 10 earlier decided approvals of the same mapping, source row (target, in the target phase) and link qualifier, newest first',
    items: {
      type: 'object',
      required: ['processInstanceId', 'decision', 'decidedBy', 'decidedAt', 'outcome', 'outcomeMessage', 'comment', 'target'],
      additionalProperties: false,
      properties: {
        processInstanceId: str,
        decision: { enum: ['approved', 'rejected'] },
        decidedBy: strOrNull,
        decidedAt: strOrNull,
        outcome: { type: ['string', 'null'], description: 'created | performed | superseded | failed; pending while approved and not yet run; null when rejected' },
        outcomeMessage: strOrNull,
        comment: strOrNull,
        target: { type: ['object', 'null'], description: "That request's snapshot" },
      },
    },
  },
  comment: { type: ['string', 'null'], maxLength: 2000, description: "The decider's _comment, stored with the decision (null while undecided or without one)" },
};

/** Present only on approvals of another action than CREATE (issue 16). */
const approvalAction = {
  action: { type: 'string', description: "The action approving performs (recon.actionParam.action: the situation's default, or the policy's approvedAction)" },
  situation: strOrNull,
  targetId: strOrNull,
  linkQualifier: { type: 'string', description: "Only under a mapping's linkQualifiers: the qualifier this approval is for (one approval per qualifier); absent for the default one" },
};

const bulk = {
  _id: str,
  state: { enum: ['ACTIVE', 'SUCCESS', 'CANCELED', 'FAILED'], description: 'FAILED only when the operation itself broke (a batch that could not be done); a task that fails does not fail it' },
  total: { type: 'integer', minimum: 1, description: 'The tasks matched when it was asked' },
  processed: { type: 'integer', minimum: 0 },
  succeeded: { type: 'integer', minimum: 0 },
  failed: { type: 'integer', minimum: 0 },
};

export const schemas = {
  BulkOperation: { type: 'object', required: Object.keys(bulk), additionalProperties: false, properties: bulk },
  BulkOperationDetail: {
    type: 'object',
    required: [...Object.keys(bulk), 'failures', 'error'],
    additionalProperties: false,
    properties: {
      ...bulk,
      failures: {
        type: 'array',
        maxItems: 100,
        description: 'The first 100 failed tasks in task order (failed counts them all)',
        items: { type: 'object', required: ['taskId', 'message'], additionalProperties: false, properties: { taskId: str, message: str } },
      },
      error: { type: ['string', 'null'], description: 'Why the operation failed (state FAILED); null otherwise' },
    },
  },
  ProcessDefinition: { type: 'object', required: Object.keys(definition), additionalProperties: false, properties: definition },
  ProcessDefinitionDetail: {
    type: 'object',
    required: [...Object.keys(definition), 'description', 'formProperties', 'taskDefinitions', 'endEvents'],
    additionalProperties: false,
    properties: {
      ...definition,
      description: strOrNull,
      formProperties: { type: 'array', items: s('FormPropertyHandler'), description: "The start form's handlers (ProcessDefinitionResource)" },
      taskDefinitions: { type: 'object', description: 'By task id (ProcessDefinitionEntity.getTaskDefinitions())', additionalProperties: s('TaskDefinition') },
      endEvents: {
        type: 'array',
        items: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: str, name: str, jobTopic: str } },
      },
      xml: { type: 'string', description: 'With _fields=xml (administrators)' },
    },
  },
  ProcessInstance: { type: 'object', required: INSTANCE_REQUIRED, additionalProperties: false, properties: instance },
  ProcessInstanceWithTasks: {
    type: 'object',
    required: [...INSTANCE_REQUIRED, 'tasks'],
    additionalProperties: false,
    properties: { ...instance, tasks: { type: 'array', items: s('Task') } },
  },
  ProcessInstanceHistory: {
    type: 'object',
    required: [...INSTANCE_REQUIRED, 'approval', 'passed'],
    additionalProperties: false,
    properties: {
      ...instance,
      approval: {
        description: 'The approval a reconciliation asked for, its decision and the createUser outcome; null for other processes',
        oneOf: [
          { type: 'null' },
          {
            type: 'object',
            required: [...Object.keys(approval), 'decision', 'decidedBy', 'decidedAt', 'outcome', 'outcomeMessage'],
            additionalProperties: false,
            properties: { ...approval, ...approvalAction, decision: strOrNull, decidedBy: strOrNull, decidedAt: strOrNull, outcome: strOrNull, outcomeMessage: strOrNull },
          },
        ],
      },
      passed: { type: 'array', items: str, description: 'The activities and events completed so far, in order' },
    },
  },
  StartedInstance: {
    type: 'object',
    required: ['_id', 'processInstanceId', 'status', 'businessKey', 'processDefinitionId'],
    additionalProperties: false,
    properties: {
      _id: str,
      processInstanceId: str,
      status: { enum: ['suspended', 'ended', 'canceled'], description: 'suspended: waiting (a task, a timer, a message…)' },
      businessKey: strOrNull,
      processDefinitionId: str,
    },
  },
  Task: {
    type: 'object',
    required: Object.keys(task),
    additionalProperties: false,
    properties: {
      ...task,
      approvalTarget: {
        type: 'object',
        additionalProperties: false,
        description: "reconflow's, in task lists: who the task's approval is about, from its request's snapshot (only these name fields); absent for tasks of other processes",
        properties: { userName: str, displayName: str, givenName: str, sn: str },
      },
    },
  },
  TaskDetail: {
    type: 'object',
    required: [...Object.keys(task), 'formProperties', 'form', 'variables', 'candidates', 'escalationDeadline', 'approval'],
    additionalProperties: false,
    properties: {
      ...task,
      formProperties: {
        type: 'array',
        description: "IDM's: one {<field id>: <value>} per form property (TaskInstanceResource.readInstance)",
        items: { type: 'object', minProperties: 1, maxProperties: 1 },
      },
      form: { ...formProperties, description: "reconflow's: each field with its label, type and flags, as the inbox renders it" },
      variables: s('Variables'),
      candidates: {
        type: 'object',
        required: ['candidateUsers', 'candidateGroups'],
        additionalProperties: false,
        properties: { candidateUsers: { type: 'array', items: str }, candidateGroups: { type: 'array', items: str } },
      },
      escalationDeadline: {
        type: ['string', 'null'],
        format: 'date-time',
        description: "reconflow's: when the earliest pending timer boundary event attached to the task's activity fires (the task escalates); null when it has none",
      },
      approval: {
        description: 'What the approver is asked to approve; null for tasks of other processes',
        oneOf: [{ type: 'null' }, { type: 'object', required: Object.keys(approval), additionalProperties: false, properties: { ...approval, ...approvalAction } }],
      },
    },
  },
};
