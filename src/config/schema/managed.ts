// conf/managed.json: reconflow's form (a property's "required": true) and IDM's JSON-schema form
// (schema.required arrays, policies, relationships, UI keys). Which policies run, and how, is
// src/managed/policies.ts; checks that need a property's name are in src/config/conf.ts.
import { Schema } from './framework';

/** OpenIDM's policy ids (bin/defaults/script/policy.js) that src/managed/policies.ts implements. */
export const IMPLEMENTED_POLICIES = [
  'required', 'not-empty', 'unique', 'valid-type', 'valid-email-address-format', 'valid-phone-format', 'valid-name-format', 'valid-date',
  'minimum-length', 'maximum-length', 'max-length', 'at-least-X-capitals', 'at-least-X-numbers', 'cannot-contain-others',
  'cannot-contain-characters', 'cannot-contain-duplicates', 'regexpMatches',
] as const;

const ui = "IDM's admin and end-user UIs only";
const relationshipNote =
  'different: reconflow stores and returns the _ref objects and checks that each points into resourceCollection; it keeps no reverse property, does not check that the target exists and sends no notifications';
const scriptRefusal = (key: string) => `${key} scripts are not run by reconflow: remove ${key} (the object would be stored without them)`;

const typeName = { enum: ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null', 'relationship'] };

const property: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { anyOf: [typeName, { type: 'array', items: typeName, minItems: 1 }] },
    // true: reconflow's (JSON Schema draft 3) form; an array: the required sub-properties of an object property.
    required: { anyOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string' } }] },
    default: {},
    nullable: { type: 'boolean' },
    scope: { const: 'private' },
    returnByDefault: { type: 'boolean' },
    encryption: { anyOf: [{ const: 'hash' }, { type: 'object' }], 'x-note': 'password only: hashed with scrypt, never stored reversibly' },
    secureHash: { type: 'object', 'x-note': 'password only: hashed with scrypt whatever the algorithm' },
    isProtected: { type: 'boolean', 'x-note': 'password only: its owner must give the current password to change it, as reconflow always asks' },
    searchable: { type: 'boolean', 'x-note': 'reconflow can query every property' },
    policies: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['policyId'],
        properties: { policyId: { enum: [...IMPLEMENTED_POLICIES] }, params: { type: 'object' } },
      },
    },
    minLength: { type: 'integer', minimum: 0 },
    maxLength: { type: 'integer', minimum: 0 },
    pattern: { type: 'string' },
    items: { $ref: '#/$defs/property' },
    properties: { type: 'object', additionalProperties: { $ref: '#/$defs/property' } },
    resourceCollection: {
      type: 'array',
      items: { type: 'object', required: ['path'], properties: { path: { type: 'string' }, label: { 'x-noEffect': ui }, query: { 'x-noEffect': ui }, notify: { 'x-noEffect': relationshipNote }, conditionalAssociationField: { 'x-refuse': 'conditional relationships are not implemented by reconflow: remove it' } }, additionalProperties: false },
    },
    reverseRelationship: { type: 'boolean', 'x-noEffect': relationshipNote },
    reversePropertyName: { type: 'string', 'x-noEffect': relationshipNote },
    validate: { type: 'boolean', 'x-noEffect': relationshipNote },
    notify: { type: 'boolean', 'x-noEffect': relationshipNote },
    notifySelf: { type: 'boolean', 'x-noEffect': relationshipNote },
    notifyRelationships: { type: 'array', 'x-noEffect': relationshipNote },
    isVirtual: { type: 'boolean', 'x-noEffect': 'different: not computed by reconflow; the stored value (the default when none) is returned' },
    queryConfig: { type: 'object', 'x-noEffect': 'different: virtual properties are not computed by reconflow; the stored value is returned' },
    onRetrieve: { 'x-refuse': scriptRefusal('onRetrieve') },
    onStore: { 'x-refuse': scriptRefusal('onStore') },
    onValidate: { 'x-refuse': scriptRefusal('onValidate') },
    conditionalPolicies: { 'x-refuse': 'conditional policies are not implemented by reconflow: remove them' },
    fallbackPolicies: { 'x-refuse': 'conditional policies are not implemented by reconflow: remove them' },
    title: { type: 'string', 'x-noEffect': ui },
    description: { type: 'string', 'x-noEffect': ui },
    viewable: { type: 'boolean', 'x-noEffect': ui },
    userEditable: { type: 'boolean', 'x-noEffect': ui },
    usageDescription: { type: 'string', 'x-noEffect': ui },
    isPersonal: { type: 'boolean', 'x-noEffect': ui },
    order: { type: 'array', 'x-noEffect': ui },
    label: { type: 'string', 'x-noEffect': ui },
    format: { type: 'string', 'x-noEffect': ui },
  },
};

const objectScripts = ['onCreate', 'onRead', 'onUpdate', 'onDelete', 'postCreate', 'postUpdate', 'postDelete', 'onValidate', 'onRetrieve', 'onStore', 'onSync'];

export const managedSchema: Schema = {
  $defs: { property },
  type: 'object',
  additionalProperties: false,
  required: ['objects'],
  properties: {
    objects: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'schema'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
          schema: {
            type: 'object',
            additionalProperties: false,
            required: ['properties'],
            properties: {
              properties: { type: 'object', additionalProperties: { $ref: '#/$defs/property' } },
              required: { type: 'array', items: { type: 'string' } },
              type: { const: 'object' },
              $schema: { type: 'string', 'x-note': 'the form is read as described in docs/openidm-compatibility.md whatever the draft named' },
              id: { type: 'string', 'x-noEffect': ui },
              title: { type: 'string', 'x-noEffect': ui },
              description: { type: 'string', 'x-noEffect': ui },
              icon: { type: 'string', 'x-noEffect': ui },
              'mat-icon': { type: 'string', 'x-noEffect': ui },
              order: { type: 'array', 'x-noEffect': ui },
              viewable: { type: 'boolean', 'x-noEffect': ui },
            },
          },
          ...Object.fromEntries(objectScripts.map((k) => [k, { 'x-refuse': scriptRefusal(k) }])),
          actions: { 'x-refuse': 'managed-object actions are not implemented by reconflow: remove actions' },
          properties: { 'x-refuse': "OpenIDM 3's object-level properties list is not read: move encryption/secureHash into schema.properties.<name>" },
          iconClass: { type: 'string', 'x-noEffect': ui },
          icon: { type: 'string', 'x-noEffect': ui },
          'mat-icon': { type: 'string', 'x-noEffect': ui },
          meta: { 'x-refuse': 'meta-data objects are not implemented by reconflow: remove meta' },
          notifications: { 'x-refuse': 'notifications are not implemented by reconflow: remove notifications' },
        },
      },
    },
  },
};
