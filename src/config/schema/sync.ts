// conf/sync.json: which keys of IDM's mappings reconflow reads. Values are checked by the
// hand-written validator (src/recon/mapping.ts validateSyncConfig); this schema makes sure that no
// key IDM defines is accepted and silently left unread (issue 16: runTargetPhase and linkQualifiers
// were). Keys follow PingIDM's "Synchronization reference" (sync.json mapping properties).
import { Schema } from './framework';

const notYet = (what: string) => `${what} is not implemented by reconflow yet: remove it`;

const script: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: {},
    source: {},
    file: {},
    // reconflow's: a transform that depends on its source alone may be memoized
    pure: {},
    globals: { 'x-refuse': 'script globals are not passed by reconflow: put the values in the script' },
  },
};

const property: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    source: {},
    target: {},
    transform: script,
    condition: { anyOf: [{ type: 'string' }, script] },
    default: {},
    comment: { 'x-noEffect': 'a comment' },
  },
};

const policy: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    situation: {},
    action: {
      anyOf: [
        { type: 'string' },
        {
          // An action script (src/recon/policyScript.ts): as in IDM, its other keys (and "globals")
          // are the script's variables, e.g. workflowName; askAgainAfterRejection is reconflow's.
          type: 'object',
          additionalProperties: true,
          properties: { type: {}, file: {}, source: {}, workflowName: {}, askAgainAfterRejection: {}, approvedAction: {}, globals: {} },
        },
      ],
    },
    // checked by the hand-written validator (a queryFilter string or a script; postAction: a script)
    condition: {},
    postAction: script,
  },
};

const mapping: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: {},
    source: {},
    target: {},
    properties: { type: 'array', items: property },
    policies: { type: 'array', items: policy },
    correlation: { type: 'object', additionalProperties: false, properties: { targetField: {}, sourceField: {} } },
    correlationQuery: {},
    correlationScript: script,
    validSource: script,
    validTarget: script,
    sourceCondition: {},
    linkQualifier: {},
    allowEmptySourceSet: {},
    deletionThreshold: {},
    displayName: { 'x-noEffect': "IDM's admin UI only" },
    icon: { 'x-noEffect': "IDM's admin UI only" },
    description: { 'x-noEffect': 'a description' },
    taskThreads: { 'x-noEffect': 'reconflow sizes its own reconciliation work' },
    // Pages the source of a clustered run (below); without clustering it has no effect (the `else`).
    reconSourceQueryPageSize: {},
    reconSourceQueryPaging: { 'x-noEffect': 'reconflow streams the source without paging it' },
    enableSync: { 'x-noEffect': 'reconflow has no implicit (live) synchronization to turn off' },
    runTargetPhase: {},
    linkQualifiers: {},
    onCreate: script,
    onUpdate: script,
    onDelete: script,
    onLink: script,
    onUnlink: script,
    result: script,
    clusteredSourceReconEnabled: {},
    sourceQuery: { 'x-refuse': notYet('sourceQuery (a query restricting the source)') },
    targetQuery: { 'x-refuse': notYet('targetQuery (a query restricting the target)') },
    sourceQueryFullEntry: { 'x-refuse': notYet('sourceQueryFullEntry') },
    correlateEmptyTargetSet: { 'x-refuse': notYet('correlateEmptyTargetSet') },
    prefetchLinks: { 'x-noEffect': 'reconflow reads links in batches itself' },
    enableLinking: { enum: [true], 'x-note': 'reconflow always links; enableLinking: false is not implemented' },
    consentRequired: { 'x-refuse': notYet('consentRequired (privacy consent)') },
  },
  if: { required: ['clusteredSourceReconEnabled'], properties: { clusteredSourceReconEnabled: { const: true } } },
  then: {},
  else: { properties: { reconSourceQueryPageSize: { 'x-noEffect': 'reconflow streams the source of a run that is not clustered (clusteredSourceReconEnabled: true pages it)' } } },
};

export const syncSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mappings: { type: 'array', items: mapping },
  },
};
