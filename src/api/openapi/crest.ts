// OpenAPI 3.1 fragment for the OpenIDM-compatible endpoints added for issue 16 (Deliver 5): plain
// objects, merged into the served description by src/api/openapi (wired at merge).
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const error = { description: 'CREST error', ...json(ref('CrestError')) };
const queryParams = [
  { name: '_queryFilter', in: 'query', schema: { type: 'string' } },
  { name: '_queryId', in: 'query', schema: { type: 'string' }, description: 'query-all-ids answers _id (and _rev) only' },
  { name: '_sortKeys', in: 'query', schema: { type: 'string' }, description: 'comma-separated, + or - prefix; an unknown key is 400' },
  { name: '_pageSize', in: 'query', schema: { type: 'integer' } },
  { name: '_pagedResultsCookie', in: 'query', schema: { type: 'string' } },
  { name: '_totalPagedResultsPolicy', in: 'query', schema: { enum: ['NONE', 'EXACT', 'ESTIMATE'] } },
  { name: '_fields', in: 'query', schema: { type: 'string' } },
];
const queryResult = (item: unknown) => json({
  type: 'object',
  properties: {
    result: { type: 'array', items: item }, resultCount: { type: 'integer' }, pagedResultsCookie: { type: ['string', 'null'] },
    totalPagedResultsPolicy: { type: 'string' }, totalPagedResults: { type: 'integer' }, remainingPagedResults: { type: 'integer' },
  },
});

export const paths = {
  '/info/version': {
    get: { summary: "reconflow's version (OpenIDM InfoService)", responses: { 200: { description: 'version', ...json(ref('VersionInfo')) }, 401: error } },
  },
  '/system': {
    post: {
      summary: 'Test every connector (_action=test)',
      parameters: [{ name: '_action', in: 'query', required: true, schema: { const: 'test' } }],
      responses: { 200: { description: 'one status per connector', ...json({ type: 'array', items: ref('ConnectorStatus') }) }, 400: error },
    },
  },
  '/system/{name}': {
    post: {
      summary: 'Test one connector (_action=test)',
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }, { name: '_action', in: 'query', required: true, schema: { const: 'test' } }],
      responses: { 200: { description: 'status', ...json(ref('ConnectorStatus')) }, 404: error },
    },
  },
  '/repo/link': {
    get: { summary: 'Query the links of every mapping', parameters: queryParams, responses: { 200: { description: 'links', ...queryResult(ref('Link')) }, 400: error, 403: error } },
  },
  '/workflow/processdefinition/{id}/taskdefinition': {
    get: {
      summary: "A definition's task definitions (OpenIDM TaskDefinitionResource; query-all-ids answers whole definitions, as OpenIDM's)",
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, ...queryParams],
      responses: { 200: { description: 'task definitions', ...queryResult(ref('TaskDefinition')) }, 404: error },
    },
  },
  '/workflow/processdefinition/{id}/taskdefinition/{taskId}': {
    get: {
      summary: 'One task definition',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, { name: 'taskId', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { 200: { description: 'task definition', ...json(ref('TaskDefinition')) }, 404: error },
    },
  },
  '/workflow/taskinstance/history': {
    get: {
      summary: "Finished and open tasks (OpenIDM TaskInstanceHistoryResource); _queryId=filtered-query with finished, unfinished, processInstanceId, assignee, var-<name>…",
      parameters: queryParams,
      responses: { 200: { description: 'tasks', ...queryResult(ref('HistoricTask')) }, 400: error },
    },
  },
  '/endpoint/gettasksview': {
    get: {
      summary: "The caller's tasks as IDM's UI reads them (gettasksview.js)",
      parameters: [{ name: '_queryId', in: 'query', schema: { type: 'string' } }, { name: 'viewType', in: 'query', schema: { enum: ['assignee'] } }],
      responses: { 200: { description: 'one view object keyed by task _id', ...queryResult({ type: 'object', additionalProperties: { type: 'object', properties: { name: { type: ['string', 'null'] }, tasks: { type: 'array', items: { type: 'object' } } } } }) } },
    },
    post: {
      summary: 'Not an action endpoint: IDM\'s gettasksview.js answers reads only',
      responses: { 403: error },
    },
  },
  '/endpoint/getprocessesforuser': {
    get: {
      summary: 'The definitions the caller may start (conf/process-access.json, IDM default when absent)',
      responses: { 200: { description: 'processes', ...json({ type: 'object', properties: { processes: { type: 'array', items: { type: 'object' } } } }) } },
    },
  },
};

export const schemas = {
  VersionInfo: {
    type: 'object',
    properties: { _id: { const: 'version' }, productVersion: { type: 'string' }, productBuildDate: { type: 'string', pattern: '^\\d{14}$' }, productRevision: { type: ['string', 'null'] } },
  },
  ConfigList: {
    type: 'object',
    properties: {
      _id: { const: '' },
      configurations: { type: 'array', items: { type: 'object', properties: { _id: { type: 'string' }, pid: { type: 'string' }, factoryPid: { type: ['string', 'null'] } } } },
    },
  },
  ConnectorStatus: {
    type: 'object',
    properties: {
      name: { type: 'string' }, enabled: { type: 'boolean' }, config: { type: 'string' }, objectTypes: { type: 'array', items: { type: 'string' } },
      connectorRef: { type: ['object', 'null'] }, displayName: { type: 'string' }, ok: { type: 'boolean' }, error: { type: 'string' },
    },
  },
  Link: {
    type: 'object',
    properties: { _id: { type: 'string' }, linkType: { type: 'string' }, linkQualifier: { type: 'string' }, firstId: { type: 'string' }, secondId: { type: 'string' } },
  },
  Expression: { type: ['object', 'null'], properties: { expressionText: { type: 'string' } } },
  FormPropertyHandler: {
    type: 'object',
    properties: {
      _id: { type: 'string' }, name: { type: 'string' },
      type: { type: 'object', properties: { name: { type: 'string' }, values: { type: ['object', 'null'] }, datePattern: { type: ['string', 'null'] } } },
      readable: { type: 'boolean' }, writable: { type: 'boolean' }, required: { type: 'boolean' }, variableName: { type: 'string' },
      variableExpression: ref('Expression'), defaultExpression: ref('Expression'),
    },
  },
  TaskDefinition: {
    type: 'object',
    properties: {
      _id: { type: 'string' }, name: ref('Expression'), assignee: ref('Expression'),
      taskCandidateUser: { type: 'array', items: ref('Expression') }, taskCandidateGroup: { type: 'array', items: ref('Expression') },
      dueDate: ref('Expression'), priority: ref('Expression'), formResourceKey: { type: ['string', 'null'] },
      formProperties: { type: 'object', properties: { formKey: ref('Expression'), formPropertyHandlers: { type: 'array', items: ref('FormPropertyHandler') } } },
      freeVariables: { type: 'boolean' },
    },
  },
  HistoricTask: {
    type: 'object',
    properties: {
      _id: { type: 'string' }, processDefinitionId: { type: 'string' }, processInstanceId: { type: 'string' }, executionId: { type: 'string' },
      taskDefinitionKey: { type: 'string' }, name: { type: ['string', 'null'] }, description: { type: ['string', 'null'] }, owner: { type: ['string', 'null'] },
      assignee: { type: ['string', 'null'] }, startTime: { type: 'string' }, endTime: { type: ['string', 'null'] }, durationInMillis: { type: ['integer', 'null'] },
      deleteReason: { enum: ['completed', 'deleted', null] }, priority: { type: 'integer' }, dueDate: { type: ['string', 'null'] }, category: { type: 'null' }, tenantId: { type: 'string' },
    },
  },
  PatchOperation: {
    type: 'object',
    required: ['operation', 'field'],
    properties: { operation: { enum: ['add', 'remove', 'replace', 'increment', 'copy', 'move'] }, field: { type: 'string' }, from: { type: 'string' }, value: {} },
  },
};
