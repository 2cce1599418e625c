// internal/user (read, change password) and internal/role (query) (src/api/internal.ts).
import { json, op, param, pathId, queryParamsSortingOn, queryResult } from './components';
import { ROLE_SORT_KEYS } from '../internal';

const internalUser = { $ref: '#/components/schemas/InternalUser' };

export const paths = {
  '/internal/user/{id}': {
    parameters: [pathId()],
    get: op({
      summary: 'Read an internal user (itself or an administrator)',
      tags: ['internal'],
      responses: { 200: json(internalUser, 'The user') },
      errors: [403, 404],
    }),
    patch: op({
      summary: "Change an internal user's password (replace /password); X-OpenIDM-Reauth-Password carries the current one",
      tags: ['internal'],
      parameters: [param('ifMatch'), param('reauthPassword')],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PatchOperations' } } } },
      responses: { 200: json(internalUser, 'Changed') },
      errors: [403, 404, 409, 412, 428, 429],
      jsonBody: true,
    }),
  },
  '/internal/role': {
    get: op({
      summary: 'Query the internal roles (administrators)',
      tags: ['internal'],
      parameters: queryParamsSortingOn(ROLE_SORT_KEYS),
      responses: { 200: json(queryResult({ $ref: '#/components/schemas/InternalRole' }), 'The roles') },
      errors: [400, 403],
    }),
  },
};

export const schemas = {
  InternalUser: {
    type: 'object',
    required: ['_id', '_rev', 'authzRoles'],
    additionalProperties: false,
    properties: { _id: { type: 'string' }, _rev: { type: 'string' }, authzRoles: { type: 'array', items: { $ref: '#/components/schemas/Reference' } } },
  },
  InternalRole: {
    type: 'object',
    required: ['_id', '_rev', 'description'],
    additionalProperties: false,
    properties: { _id: { type: 'string' }, _rev: { type: 'string' }, description: { type: ['string', 'null'] } },
  },
};
