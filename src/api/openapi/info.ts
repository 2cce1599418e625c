// info/ping (no credentials) and info/login (src/api/info.ts).
import { json, op } from './components';

export const paths = {
  '/info/ping': {
    get: op({
      summary: 'Whether the server is up (no credentials needed)',
      tags: ['info'],
      public: true,
      responses: { 200: json({ $ref: '#/components/schemas/Ping' }, 'Ready') },
    }),
  },
  '/info/login': {
    get: op({
      summary: 'Who the caller is',
      tags: ['info'],
      responses: { 200: json({ $ref: '#/components/schemas/LoginInfo' }, 'The signed-in principal') },
    }),
  },
};

export const schemas = {
  Ping: {
    type: 'object',
    required: ['_id', 'state', 'shortDesc'],
    additionalProperties: false,
    properties: { _id: { const: '' }, state: { const: 'ACTIVE_READY' }, shortDesc: { type: 'string' } },
  },
  LoginInfo: {
    type: 'object',
    required: ['_id', 'authenticationId', 'authorization'],
    additionalProperties: false,
    properties: {
      _id: { const: 'login' },
      authenticationId: { type: 'string' },
      authorization: {
        type: 'object',
        required: ['id', 'component', 'roles'],
        additionalProperties: false,
        properties: {
          id: { type: 'string' },
          component: { enum: ['internal/user', 'managed/user'] },
          roles: { type: 'array', items: { type: 'string', pattern: '^internal/role/' } },
        },
      },
    },
  },
};
