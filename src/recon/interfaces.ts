// Shared types of the reconciliation pipeline: CSV source records, OpenIDM sync.json mappings
// (raw and compiled), situations, actions and policies.

import type { CompiledScript } from './script';
import type { MappingHooks } from './hooks';

/** A source object as IDM exposes it: `_id` and `name` come from the connector's uid/name columns. */
export type SourceObject = { _id: string; name: string; [k: string]: unknown };

/**
 * One data row of a source. A bad row is reported, not thrown, so a run can go on past it.
 * `line` is the physical line (1-based, header = line 1) where the row starts.
 */
export type SourceRecord =
  | { ok: true; line: number; object: SourceObject; hash: string /* sha256 of the canonical row */ }
  | { ok: false; line: number; error: string; raw?: string };

export type CsvConnectorConfig = {
  /** Absolute path (loadCsvConnectorConfig resolves it against the project folder). */
  csvFile: string;
  /** Column giving both `_id` and (unless headerName is set) `name`. */
  headerUid: string;
  /** Column giving `name`, when it is not the uid column. */
  headerName?: string;
  /** A Node Buffer encoding; default utf8. */
  encoding?: string;
  /** Longest accepted field, in characters; longer fields make their row an error row. */
  maxFieldLength: number;
};

export const SITUATIONS = [
  'CONFIRMED',
  'FOUND',
  'FOUND_ALREADY_LINKED',
  'ABSENT',
  'UNQUALIFIED',
  'AMBIGUOUS',
  'MISSING',
  'SOURCE_IGNORED',
  'UNASSIGNED',
  'SOURCE_MISSING',
  'TARGET_IGNORED',
] as const;
export type Situation = (typeof SITUATIONS)[number];

export const ACTIONS = ['CREATE', 'UPDATE', 'DELETE', 'LINK', 'UNLINK', 'EXCEPTION', 'IGNORE', 'REPORT', 'NOREPORT', 'ASYNC'] as const;
export type Action = (typeof ACTIONS)[number];

/** A policy action script (src/recon/policyScript.ts) compiled for a mapping. */
export interface PolicyScript {
  /** Its file (or sync.json location), for messages and logs. */
  name: string;
  source: string;
  /** Its require() prelude (src/scripts/modules.ts). */
  modules?: string;
  /** The script object's other keys (IDM: the script's own variables, e.g. workflowName). */
  globals: Record<string, unknown>;
  linkQualifier: string;
}

/** `postAction`: the policy's script run after its action (OpenIDM's Policy.evaluatePostAction). */
export type PolicyAction = (
  | { kind: 'action'; action: Action }
  | { kind: 'workflow'; workflowName: string; /** reconflow's approvedAction: what the approval performs instead of the situation's default. */ approvedAction?: Action }
  | { kind: 'script'; script: PolicyScript }
) & { postAction?: CompiledScript };

/** An inline script as sync.json writes it. Only `text/javascript` with an inline `source` is supported. */
export type ScriptConfig = { type: 'text/javascript' | 'groovy'; source?: string; [k: string]: unknown };

export type PropertyConfig = {
  /** Source property (a name or JSON pointer); absent = the whole source object. */
  source?: string;
  /** Target property (a name or JSON pointer). */
  target: string;
  /** `pure`: the result depends on the source value alone, so it may be remembered per value. */
  transform?: { type: 'text/javascript' | 'groovy'; source?: string; pure?: boolean };
  default?: unknown;
  /** Script evaluated with `object` = the whole source; the property is skipped unless it returns true. */
  condition?: ScriptConfig;
};

export type PolicyConfig = {
  situation: Situation;
  /** An action name, the built-in workflow trigger ({workflowName}), or an action script (with its `source`). */
  action: Action | { workflowName?: string; source?: string; [k: string]: unknown };
  /** A queryFilter string or a script over `object` (the source) and `linkQualifier`: the policy applies only when true. */
  condition?: string | ScriptConfig;
  postAction?: ScriptConfig;
};

export type MappingConfig = {
  name: string;
  source: string;
  target: string;
  properties: PropertyConfig[];
  /** reconflow's declarative correlation: target[targetField] === source[sourceField]. */
  correlation?: { targetField: string; sourceField: string };
  correlationQuery?: ScriptConfig;
  /** OpenIDM's Correlation: returns the candidates (or, in reconflow, a query for them). */
  correlationScript?: ScriptConfig;
  policies: PolicyConfig[];
  onCreate?: ScriptConfig;
  onUpdate?: ScriptConfig;
  onDelete?: ScriptConfig;
  onLink?: ScriptConfig;
  onUnlink?: ScriptConfig;
  result?: ScriptConfig;
  validSource?: ScriptConfig;
  validTarget?: ScriptConfig;
  sourceCondition?: ScriptConfig;
  /** reconflow's: the `linkQualifier` scripts see; links keep the qualifier "default". */
  linkQualifier?: string;
  /** IDM's: one assessment per qualifier, each with its own link (a list, or a script over `object`/`returnAll`). */
  linkQualifiers?: string[] | ScriptConfig;
  /** IDM's key: a run whose source yields no objects fails unless this is true (default false). */
  allowEmptySourceSet?: boolean;
  /** IDM's key (ReconTypeBase): false skips the target phase of a full run (default true). */
  runTargetPhase?: boolean;
  /** reconflow's: the most targets one run may delete or unlink without confirmDeletions. */
  deletionThreshold?: Partial<DeletionThreshold>;
  /** IDM's key: a full run's source is split into pages, durable jobs any node claims (src/recon/clustered.ts). */
  clusteredSourceReconEnabled?: boolean;
  /** IDM's key: source records per page of a clustered run (default 1000, as IDM's). */
  reconSourceQueryPageSize?: number;
};

/** A run may remove max(minimum, floor(percent% of the mapping's links at its start)) targets. */
export type DeletionThreshold = { percent: number; minimum: number };

export interface CompiledMapping {
  name: string;
  /** Changes whenever the mapping's configuration does (sha256 of it). */
  fingerprint: string;
  source: string;
  target: string;
  /**
   * The mapped target properties only (not merged with existingTarget); `existingTarget` is what
   * the property conditions see as `target`.
   */
  map(source: SourceObject, existingTarget?: Record<string, unknown>): Record<string, unknown>;
  /**
   * Declarative correlation (`targetField`, `value`), or, with `script`, a correlationQuery /
   * correlationScript run per entry (src/recon/correlation.ts; `value` then gives undefined).
   */
  correlation: {
    targetField: string;
    value(source: SourceObject): unknown;
    script?: { key: 'correlationQuery' | 'correlationScript'; mapping: string; linkQualifier: string; script: CompiledScript };
  };
  /**
   * The first policy for the situation whose condition holds for `source` (OpenIDM's
   * SyncOperation.determineAction), else the situation's default action.
   */
  policyFor(situation: Situation, source?: SourceObject | null): PolicyAction;
  /** Every configured policy, whatever its condition (e.g. to check that its workflow is deployed). */
  configuredPolicies: ReadonlyArray<{ situation: Situation; policy: PolicyAction }>;
  /** The mapping's script hooks (src/recon/hooks.ts), with what their bindings need. */
  hooks: MappingHooks;
  /** What scripts see as `linkQualifier`. */
  linkQualifier: string;
  /** The qualifier this view's links and audit entries carry ("default" without linkQualifiers). */
  qualifier: string;
  /**
   * IDM's ObjectMapping.getLinkQualifiers: null when the mapping has no linkQualifiers (this view
   * only); else the qualifiers of `source`, or all of them for null (the target phase, returnAll).
   */
  qualifiersOf(source: SourceObject | null): string[] | null;
  /** The mapping as seen under one qualifier (scripts bind it, links and audit carry it). */
  forQualifier(qualifier: string): CompiledMapping;
  /** The mapping's configuration (the hooks' `mappingConfig`). */
  config: MappingConfig;
  isValidSource(source: SourceObject): boolean;
  isValidTarget(target: Record<string, unknown>): boolean;
  allowEmptySourceSet: boolean;
  runTargetPhase: boolean;
  /** Source records per page when the run is clustered (clusteredSourceReconEnabled), else null. */
  clusteredPageSize: number | null;
  deletionThreshold: DeletionThreshold;
}
