// conf/authentication.json: reconflow's own keys and IDM's serverAuthContext
// (https://docs.pingidentity.com/pingidm/7.2/auth-guide/appendix-auth-modules.html). What each
// module means is checked and mapped in src/config/idmAuthentication.ts; this says which keys exist.
import { Schema } from './framework';

const positiveNumber = { type: 'number', exclusiveMinimum: 0 };
/** IDM writes minutes as strings ("120"). */
const minutes = { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[1-9][0-9]*$' }] };
const roleRefs = { type: 'array', items: { type: 'string' } };
const legacy = { 'x-noEffect': 'OpenIDM 3 root-level setting; IDM 4+ and reconflow read serverAuthContext.authModules' };
const noJwt = 'reconflow keeps sessions in its repository and signs no JWT, so no key is used';

const moduleProperties: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    queryOnResource: { type: 'string' },
    queryId: { type: 'string' },
    propertyMapping: {
      type: 'object',
      additionalProperties: false,
      properties: { authenticationId: { type: 'string' }, userCredential: { type: 'string' }, userRoles: { type: 'string' } },
    },
    defaultUserRoles: roleRefs,
    username: { type: 'string' },
    password: {
      anyOf: [
        { type: 'string' },
        { type: 'object', 'x-refuse': 'a secret reference ($crypto/$purpose) is not read by reconflow: write the password, or &{openidm.admin.password} with the property in boot.properties' },
      ],
    },
    augmentSecurityContext: { type: 'object' },
    runAsProperties: { 'x-refuse': 'X-OpenIDM-RunAs is not implemented by reconflow: remove runAsProperties' },
    groupMembership: { 'x-refuse': 'group membership of an external system is not read by reconflow: remove it' },
    groupRoleMapping: { 'x-refuse': 'group membership of an external system is not read by reconflow: remove it' },
    managedUserLink: { 'x-refuse': 'pass-through authentication is not implemented by reconflow: remove it' },
  },
};

export const authenticationSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // reconflow's own form
    internalUsers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['_id', 'password', 'authzRoles'],
        properties: {
          _id: { type: 'string', minLength: 1 },
          password: { type: 'string', minLength: 1 },
          authzRoles: { type: 'array', items: { type: 'object', required: ['_ref'], properties: { _ref: { type: 'string' } } } },
        },
      },
    },
    loginRateLimit: { type: 'object', additionalProperties: false, properties: { maxFailures: positiveNumber, windowSeconds: positiveNumber } },
    sessions: { type: 'object' }, // checked key by key in conf.ts
    passwordPolicy: { type: 'object' },
    passwordHashing: { type: 'object' },
    // IDM's form
    serverAuthContext: {
      type: 'object',
      additionalProperties: false,
      properties: {
        sessionModule: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { enum: ['JWT_SESSION'] },
            enabled: { type: 'boolean' },
            properties: {
              type: 'object',
              additionalProperties: false,
              properties: {
                maxTokenLifeMinutes: minutes,
                tokenIdleTimeMinutes: minutes,
                sessionOnly: { type: 'boolean', 'x-noEffect': "different: reconflow's session cookie carries Max-Age = maxTokenLifeMinutes; the session itself ends on the server after the idle or maximum time either way" },
                isHttpOnly: { const: true, 'x-note': 'the session cookie is always HttpOnly' },
                enableDynamicRoles: { type: 'boolean', 'x-noEffect': 'reconflow reads the roles of the account at every request (dynamic roles, always)' },
                keyAlias: { type: 'string', 'x-noEffect': noJwt },
                privateKeyPassword: { 'x-noEffect': noJwt },
                keystoreType: { 'x-noEffect': noJwt },
                keystoreFile: { 'x-noEffect': noJwt },
                keystorePassword: { 'x-noEffect': noJwt },
              },
            },
          },
        },
        authModules: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: { name: { type: 'string' }, enabled: { type: 'boolean' }, properties: { type: 'object' } },
            // A disabled module is not read: its properties may be anything IDM knows.
            if: { required: ['enabled'], properties: { enabled: { const: false } } },
            then: {},
            else: { properties: { properties: moduleProperties } },
          },
        },
      },
    },
    // OpenIDM 3's root-level module settings: OpenIDM 4 and later read only serverAuthContext.
    queryId: legacy,
    queryOnResource: legacy,
    propertyMapping: legacy,
    defaultUserRoles: legacy,
  },
};
