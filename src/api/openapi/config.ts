// config/<name>: the project's configuration for administrators (src/api/config.ts): read, and for
// the objects that change at run time (sync, schedule/<name>, metrics: src/config/live.ts)
// replaced, created and deleted as OpenIDM's ConfigObjectService does.
import { json, op, pathId } from './components';

const doc = { type: 'object', required: ['_id'], properties: { _id: { type: 'string' } }, additionalProperties: true };
const etag = { ETag: { description: 'The revision: the version stored over REST, "0" for the conf file read at start', schema: { type: 'string' } } };
const withEtag = (r: Record<string, unknown>) => ({ ...r, headers: etag });
const body = { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } };
const ifMatch = { $ref: '#/components/parameters/ifMatch' };
const ifNoneMatch = { name: 'If-None-Match', in: 'header', description: '* : create only (412 when the object exists)', schema: { const: '*' } };
const change = {
  put: op({
    summary: 'Replace or create a configuration object and apply it on every node (sync, schedule/<name>, metrics); any other answers 501 (read at start only: restart)',
    description: 'Checked as start-up checks its conf file: an invalid document is 400 naming the key, and nothing changes. Stored in the repository (it replaces the conf file at every later start) and applied here at once, on the other nodes within seconds.',
    tags: ['config'],
    parameters: [ifMatch, ifNoneMatch],
    requestBody: body,
    responses: { 200: withEtag(json(doc, 'Replaced and applied')), 201: withEtag(json(doc, 'Created and applied')) },
    errors: [403, 404, 409, 412, 501],
    jsonBody: true,
  }),
  delete: op({
    summary: 'Delete a configuration object that changes at run time (sync: no mappings; schedule/<name>: the schedule; metrics: the defaults); any other answers 501',
    tags: ['config'],
    parameters: [ifMatch],
    responses: { 200: withEtag(json(doc, 'The object as it was')) },
    errors: [400, 403, 404, 409, 412, 501],
  }),
};

export const paths = {
  '/config': {
    get: op({
      summary: 'List the configurations (OpenIDM ConfigObjectService)',
      tags: ['config'],
      responses: { 200: json({ $ref: '#/components/schemas/ConfigList' }, 'list') },
      errors: [403],
    }),
    post: op({
      summary: "Create a configuration object (_action=create, the id in the body's _id); as PUT with If-None-Match: *",
      tags: ['config'],
      parameters: [{ name: '_action', in: 'query', required: true, schema: { const: 'create' } }],
      requestBody: body,
      responses: { 201: withEtag(json(doc, 'Created and applied')) },
      errors: [403, 409, 412, 501],
      jsonBody: true,
    }),
  },
  '/config/sync': {
    get: op({
      summary: 'sync.json as in effect (the conf file, or the version stored by PUT), every mapping with all its keys (IDM: config/sync)',
      tags: ['config'],
      responses: { 200: withEtag(json({ $ref: '#/components/schemas/SyncConfigSummary' }, 'The mappings')) },
      errors: [403],
    }),
    ...change,
  },
  '/config/{name}': {
    parameters: [pathId('name', 'conf/<name>.json (authentication is never returned)')],
    get: op({
      summary: 'A configuration object as in effect (administrators)',
      tags: ['config'],
      responses: { 200: withEtag(json(doc, "The file's JSON with its _id")) },
      errors: [403, 404],
    }),
    ...change,
  },
  '/config/{factoryPid}/{alias}': {
    parameters: [pathId('factoryPid', 'e.g. schedule, provisioner.openicf'), pathId('alias', 'conf/<factoryPid>-<alias>.json')],
    get: op({
      summary: 'A factory configuration object as in effect (administrators)',
      tags: ['config'],
      responses: { 200: withEtag(json(doc, "The file's JSON with its _id")) },
      errors: [403, 404],
    }),
    ...change,
  },
};

export const schemas = {
  SyncConfigSummary: {
    type: 'object',
    required: ['_id', 'mappings'],
    additionalProperties: false,
    properties: {
      _id: { const: 'sync' },
      mappings: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'source', 'target'],
          additionalProperties: true,
          properties: { name: { type: 'string' }, source: { type: 'string' }, target: { type: 'string' } },
        },
      },
    },
  },
};
