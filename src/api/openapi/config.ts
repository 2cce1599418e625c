// config/<name>: the project's configuration, read-only, for administrators (src/api/config.ts).
import { json, op, pathId } from './components';

export const paths = {
  '/config/sync': {
    get: op({
      summary: 'conf/sync.json as written, every mapping with all its keys (IDM: config/sync)',
      tags: ['config'],
      responses: { 200: json({ $ref: '#/components/schemas/SyncConfigSummary' }, 'The mappings') },
      errors: [403],
    }),
  },
  '/config/{name}': {
    parameters: [pathId('name', 'conf/<name>.json (authentication is never returned)')],
    get: op({
      summary: 'A configuration file as loaded (administrators)',
      tags: ['config'],
      responses: { 200: json({ type: 'object', required: ['_id'], properties: { _id: { type: 'string' } }, additionalProperties: true }, "The file's JSON with its _id") },
      errors: [403, 404],
    }),
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
