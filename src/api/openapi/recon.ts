// recon (runs), sync (performAction) and audit/recon, for administrators (src/api/recon.ts).
import { ACTIONS, SITUATIONS } from '../../recon/interfaces';
import { action, json, op, param, pathId, queryParamsSortingOn, queryResult } from './components';
import { AUDIT_SORT_KEYS, RUN_SORT_KEYS } from '../../recon/reconciler';

const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const TAGS = ['recon'];
const mapping = { name: 'mapping', in: 'query', description: 'The mapping of conf/sync.json', schema: str };

export const paths = {
  '/recon': {
    get: op({
      summary: 'The reconciliation runs',
      description:
        "Without _queryFilter or _queryId: IDM's answer, {reconciliations: [...]} with the latest 100 runs, newest first. With either: a CREST query over the runs (filter and _sortKeys on the run's scalar fields, then newest first; paging; _totalPagedResultsPolicy=EXACT counts the matching runs).",
      tags: TAGS,
      parameters: queryParamsSortingOn(RUN_SORT_KEYS),
      responses: {
        200: json(
          {
            oneOf: [
              { type: 'object', required: ['reconciliations'], additionalProperties: false, properties: { reconciliations: { type: 'array', items: { $ref: '#/components/schemas/ReconRun' } } } },
              queryResult({ $ref: '#/components/schemas/ReconRun' }),
            ],
          },
          'The latest runs (IDM), or a page of the matching runs (CREST query)',
        ),
      },
      errors: [400, 403],
    }),
    post: op({
      summary: 'Start a reconciliation of a mapping (recon), or of some source ids (reconById)',
      description:
        "Both answer {_id, state} as OpenIDM's ReconciliationService does: at once (ACTIVE), or with waitForCompletion=true once the run has ended (its final state); the run itself is recon/{id}. recon: confirmDeletions=<count> lets this run remove up to that many targets past the deletionThreshold. reconById: ids (or id), comma-separated.",
      tags: TAGS,
      parameters: [
        action('recon', 'reconById'),
        { ...mapping, required: true },
        { name: 'waitForCompletion', in: 'query', schema: { enum: ['true', 'false'] } },
        { name: 'confirmDeletions', in: 'query', schema: { type: 'integer', minimum: 0 } },
        { name: 'id', in: 'query', schema: str },
        { name: 'ids', in: 'query', schema: str },
      ],
      responses: {
        200: json({ $ref: '#/components/schemas/ReconStarted' }, "The run's id and state (its final state with waitForCompletion=true)"),
      },
      errors: [400, 403, 404, 409],
    }),
  },
  '/recon/{id}': {
    parameters: [pathId('id', 'The run id')],
    get: op({
      summary: 'A run with its progress and situation counts',
      tags: TAGS,
      parameters: [param('fields')],
      responses: { 200: json({ $ref: '#/components/schemas/ReconRun' }, 'The run') },
      errors: [400, 403, 404],
    }),
    post: op({
      summary: 'Cancel a run (_action=cancel)',
      tags: TAGS,
      parameters: [action('cancel')],
      responses: {
        200: json(
          { type: 'object', required: ['_id', 'action', 'status'], additionalProperties: false, properties: { _id: str, action: { const: 'cancel' }, status: { const: 'SUCCESS' }, state: { type: 'string', description: "reconflow's: the run's state after the cancel (a finished run keeps its final state)" } } },
          'Canceled',
        ),
      },
      errors: [400, 403, 404, 409],
    }),
  },
  '/sync': {
    post: op({
      summary: 'Apply an action to one source object, or (targetId only) one target, now (_action=performAction)',
      tags: TAGS,
      parameters: [
        action('performAction'),
        { ...mapping, required: true },
        { name: 'sourceId', in: 'query', schema: str, description: 'Required unless targetId is given' },
        { name: 'targetId', in: 'query', schema: str, description: "Without sourceId: the target of a target-phase situation (OpenIDM's TargetSyncOperation)" },
        { name: 'action', in: 'query', required: true, schema: { enum: [...ACTIONS] } },
        { name: 'reconId', in: 'query', schema: str },
        { name: 'situation', in: 'query', schema: { enum: [...SITUATIONS] } },
        { name: 'linkQualifier', in: 'query', schema: str, description: "The link qualifier to sync under (OpenIDM's performAction; default \"default\"): one of the mapping's linkQualifiers" },
      ],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['sourceId', 'targetId', 'situation', 'action', 'status'],
            additionalProperties: false,
            properties: {
              sourceId: { ...strOrNull, description: "null for a target without a source row's link" },
              targetId: strOrNull,
              situation: { enum: [...SITUATIONS] },
              action: { enum: [...ACTIONS] },
              status: { enum: ['OK'], description: "IDM's SyncService answer; a failure is 409" },
              message: strOrNull,
            },
          },
          'What was done',
        ),
      },
      errors: [400, 403, 404, 409],
    }),
  },
  '/audit/recon': {
    get: op({
      summary: "Query the reconciliation audit: one entry per row a run classified",
      tags: TAGS,
      parameters: queryParamsSortingOn(AUDIT_SORT_KEYS),
      responses: { 200: json(queryResult({ $ref: '#/components/schemas/ReconAuditEntry' }), 'The entries') },
      errors: [400, 403],
    }),
  },
};

const count = { type: 'integer', minimum: 0 };

export const schemas = {
  ReconRun: {
    type: 'object',
    required: ['_id', 'mapping', 'state', 'stage', 'stageDescription', 'progress', 'situationSummary', 'statusSummary', 'durationSummary', 'parameters', 'started', 'ended', 'duration'],
    additionalProperties: false,
    properties: {
      _id: str,
      mapping: str,
      state: { enum: ['ACTIVE', 'SUCCESS', 'FAILED', 'CANCELED'] },
      stage: str,
      stageDescription: str,
      progress: { type: 'object', description: "The run's counts so far (source, target, links)" },
      situationSummary: { type: 'object', additionalProperties: count },
      statusSummary: { type: 'object', additionalProperties: count },
      durationSummary: { type: 'object' },
      parameters: { type: 'object' },
      started: str,
      ended: { type: 'string', description: 'Empty while running' },
      duration: { type: 'integer', description: 'ms' },
      message: str,
    },
  },
  ReconStarted: {
    type: 'object',
    required: ['_id', 'state'],
    additionalProperties: false,
    properties: { _id: str, state: { enum: ['ACTIVE', 'SUCCESS', 'FAILED', 'CANCELED'] } },
  },
  ReconAuditEntry: {
    type: 'object',
    required: ['_id', 'reconId', 'mapping', 'sourceObjectId', 'targetObjectId', 'situation', 'action', 'status', 'message', 'timestamp'],
    additionalProperties: false,
    properties: {
      _id: str,
      reconId: str,
      mapping: str,
      sourceObjectId: strOrNull,
      targetObjectId: strOrNull,
      situation: { enum: [...SITUATIONS, null] },
      action: strOrNull,
      status: { enum: ['SUCCESS', 'FAILURE'] },
      message: strOrNull,
      linkQualifier: str,
      ambiguousTargetObjectIds: { ...strOrNull, description: "IDM's: the correlated target ids of an AMBIGUOUS source (or of an invalid one correlating to several), comma-separated" },
      timestamp: str,
    },
  },
};
