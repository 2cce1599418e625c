// authentication: the web UI's sign-in, session and sign-out (src/api/session.ts).
import { action, json, op } from './components';

const session = (id: string) => ({
  type: 'object',
  required: ['_id', 'authenticationId', 'roles', 'component', 'id', 'csrfToken'],
  additionalProperties: false,
  properties: {
    _id: { const: id },
    authenticationId: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    component: { enum: ['internal/user', 'managed/user'] },
    id: { type: 'string' },
    csrfToken: { type: 'string', description: 'Send as X-CSRF-Token on every unsafe request made with the session cookie' },
  },
});

export const paths = {
  '/authentication': {
    get: op({
      summary: "The session cookie's principal and CSRF token",
      tags: ['authentication'],
      public: true,
      errors: [401],
      security: [{ session: [] }],
      responses: { 200: json({ $ref: '#/components/schemas/Session' }, 'Signed in') },
    }),
    post: op({
      summary: 'Sign in (login: sets the reconflow_session cookie), sign out (logout) or check the password again (reauthenticate)',
      description: 'login takes {username, password} (or the X-OpenIDM-Username/Password headers); the answer sets an HttpOnly, SameSite=Strict session cookie. reauthenticate checks X-OpenIDM-Reauth-Password against the signed-in account (IDM: {reauthenticated: true}, else 403).',
      tags: ['authentication'],
      parameters: [action('login', 'logout', 'reauthenticate'), { name: 'X-OpenIDM-Reauth-Password', in: 'header', schema: { type: 'string' } }],
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: { type: 'object', properties: { username: { type: 'string', maxLength: 255 }, password: { type: 'string', maxLength: 1024 } } },
          },
        },
      },
      responses: {
        200: {
          description: 'Signed in (login) or out (logout)',
          headers: { 'Set-Cookie': { schema: { type: 'string' } } },
          content: { 'application/json': { schema: { anyOf: [{ $ref: '#/components/schemas/Session' }, { $ref: '#/components/schemas/Logout' }, { $ref: '#/components/schemas/Reauthenticated' }] } } },
        },
      },
      public: true,
      errors: [401, 403, 429],
      jsonBody: true,
    }),
  },
};

export const schemas = {
  Session: { ...session('session'), description: 'GET answers _id "session"; login answers _id "login"', properties: { ...session('session').properties, _id: { enum: ['session', 'login'] } } },
  Logout: { type: 'object', description: "IDM's logout answer", required: ['success'], additionalProperties: false, properties: { success: { const: true } } },
  Reauthenticated: { type: 'object', required: ['reauthenticated'], additionalProperties: false, properties: { reauthenticated: { const: true } } },
};
