// system/<connector>/<objectType>: the source read through its connector, for administrators
// (src/api/system.ts). The objects are the source's own rows: open objects.
import { json, op, param, pathId, QUERY_PARAMS, queryResult } from './components';

const sourceObject = { $ref: '#/components/schemas/SourceObject' };

export const paths = {
  '/system/{name}/{type}': {
    parameters: [pathId('name', 'The connector (conf/provisioner.openicf-<name>.json)'), pathId('type', 'The object type (account)')],
    get: op({
      summary: "Query the source's objects",
      tags: ['system'],
      parameters: QUERY_PARAMS,
      responses: { 200: json(queryResult(sourceObject), 'The matching objects') },
      errors: [400, 403, 404],
    }),
  },
  '/system/{name}/{type}/{id}': {
    parameters: [pathId('name', 'The connector'), pathId('type', 'The object type'), pathId()],
    get: op({
      summary: 'Read one source object',
      tags: ['system'],
      parameters: [param('fields')],
      responses: { 200: json(sourceObject, 'The object') },
      errors: [400, 403, 404],
    }),
  },
};

export const schemas = {
  SourceObject: {
    type: 'object',
    description: "A source row: _id (the connector's headerUid) and the row's columns",
    required: ['_id'],
    additionalProperties: true,
    properties: { _id: { type: 'string' } },
  },
};
