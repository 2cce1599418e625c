// managed/user: CREST create, read, replace, patch, delete and query (src/api/managed.ts).
import { action, json, op, param, pathId, QUERY_PARAMS, queryResult } from './components';

const user = { $ref: '#/components/schemas/ManagedUser' };
const userAnswer = (description: string) => ({ ...json(user, description), headers: { ETag: { description: 'The revision, quoted', schema: { type: 'string' } } } });

export const paths = {
  '/managed/user': {
    get: op({
      summary: 'Query managed users (administrators)',
      tags: ['managed/user'],
      parameters: QUERY_PARAMS,
      responses: { 200: json(queryResult(user), 'The matching users') },
      errors: [400, 403],
    }),
    post: op({
      summary: 'Create a managed user (administrators): with or without _action=create (CREST create by POST), the id from _id or the body, else generated',
      tags: ['managed/user'],
      parameters: [{ ...action('create'), required: false }, { name: '_id', in: 'query', schema: { type: 'string' } }],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ManagedUserInput' } } } },
      responses: { 201: userAnswer('Created') },
      errors: [403, 409, 412],
      jsonBody: true,
    }),
  },
  '/managed/user/{id}': {
    parameters: [pathId()],
    get: op({
      summary: 'Read a managed user (the user itself or an administrator)',
      description: 'The answer carries ETag: "<_rev>". With If-None-Match naming that revision (or *), the answer is 304 Not Modified without a body (CREST conditional requests).',
      tags: ['managed/user'],
      parameters: [param('fields'), { name: 'If-None-Match', in: 'header', description: 'One or more revisions ("<rev>", comma-separated) or *', schema: { type: 'string' } }],
      responses: {
        200: userAnswer('The user'),
        304: { description: 'Not Modified: the revision named by If-None-Match is current', headers: { ETag: { schema: { type: 'string' } } } },
      },
      errors: [400, 403, 404],
    }),
    put: op({
      summary: 'Replace a managed user, or create it with If-None-Match: * (administrators)',
      description: 'A user may replace itself but not change userName, authzRoles, accountStatus, effectiveRoles or effectiveAssignments; a password change carries X-OpenIDM-Reauth-Password.',
      tags: ['managed/user'],
      parameters: [param('ifMatch'), { name: 'If-None-Match', in: 'header', schema: { const: '*' } }, param('reauthPassword')],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ManagedUserInput' } } } },
      responses: { 200: userAnswer('Replaced'), 201: userAnswer('Created') },
      errors: [403, 404, 409, 412, 428, 429],
      jsonBody: true,
    }),
    patch: op({
      summary: 'Patch a managed user (JSON patch in CREST form)',
      tags: ['managed/user'],
      parameters: [param('ifMatch'), param('reauthPassword')],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PatchOperations' } } } },
      responses: { 200: userAnswer('Patched') },
      errors: [403, 404, 409, 412, 428, 429],
      jsonBody: true,
    }),
    post: op({
      summary: 'Patch a managed user as an action (_action=patch, the body a PATCH)',
      tags: ['managed/user'],
      parameters: [action('patch'), param('ifMatch'), param('reauthPassword')],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PatchOperations' } } } },
      responses: { 200: userAnswer('Patched') },
      errors: [403, 404, 409, 412, 428, 429],
      jsonBody: true,
    }),
    delete: op({
      summary: 'Delete a managed user (administrators)',
      tags: ['managed/user'],
      parameters: [param('ifMatch')],
      responses: { 200: userAnswer('Deleted: the user as it was') },
      errors: [403, 404, 409, 412],
    }),
  },
};

export const schemas = {
  ManagedUser: {
    type: 'object',
    description: "A managed user: conf/managed.json's properties (a project may add its own); the password is never returned",
    required: ['_id', '_rev'],
    additionalProperties: true,
    properties: {
      _id: { type: 'string' },
      _rev: { type: 'string' },
      userName: { type: 'string' },
      givenName: { type: 'string' },
      sn: { type: 'string' },
      mail: { type: 'string' },
      accountStatus: { type: 'string' },
      authzRoles: { type: 'array', items: { $ref: '#/components/schemas/Reference' } },
      effectiveRoles: { type: 'array' },
      effectiveAssignments: { type: 'array' },
      password: false,
    },
  },
  ManagedUserInput: {
    type: 'object',
    description: "A managed user's properties (conf/managed.json); password in clear, stored hashed",
    additionalProperties: true,
    properties: { _id: { type: 'string' }, userName: { type: 'string' }, password: { type: 'string' } },
  },
  PatchOperations: {
    type: 'array',
    items: {
      type: 'object',
      required: ['operation', 'field'],
      properties: {
        operation: { enum: ['add', 'remove', 'replace', 'increment', 'transform', 'copy', 'move'] },
        field: { type: 'string' },
        value: {},
        from: { type: 'string' },
      },
    },
  },
};
