// ?_api: this description itself (src/api/apiDescription.ts), as IDM serves its API explorer's.
import { json, op } from './components';

export const paths = {
  // Keyed with its own server "/", so that "/" stays the web UI's root (ui.ts).
  '/openidm/': {
    servers: [{ url: '/' }],
    get: op({
      summary: 'This OpenAPI description (any signed-in user)',
      description:
        'GET /openidm/?_api answers the whole description; GET /openidm/<resource>?_api (e.g. /openidm/managed/user?_api) answers it cut to the paths under that resource, 404 when none. OpenAPI cannot key an operation on a query parameter, so the per-resource form is described here only (and this path names its server, /, to leave the key / to the web UI).',
      tags: ['api'],
      parameters: [{ name: '_api', in: 'query', required: true, allowEmptyValue: true, schema: { type: 'string' } }],
      responses: { 200: json({ $ref: '#/components/schemas/OpenApiDocument' }, 'An OpenAPI 3.1 document') },
      errors: [404],
    }),
  },
};

export const schemas = {
  OpenApiDocument: {
    type: 'object',
    required: ['openapi', 'info', 'paths', 'components'],
    properties: {
      openapi: { type: 'string', pattern: '^3\\.1\\.' },
      info: { type: 'object', required: ['title', 'version'] },
      servers: { type: 'array' },
      paths: { type: 'object', minProperties: 1 },
      components: { type: 'object' },
    },
  },
};
