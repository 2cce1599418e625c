// Planned completion: the counterpart of the start template (template.ts) for the way out of the
// template's user task. An instance whose state is still a template reference waits exactly where
// its template waits; when everything after that task is sequence flows, exclusive gateways with
// `${…}` conditions on process variables, and end events (plain, or message ends with an external
// job), the outcome of completing it depends only on its variables and the submitted values.
//
// The plan walks that graph with bpmn-elements' rules (flows in document order, the default flow
// last, the first true condition taken, none taken is an error) and the engine's own expression
// handler. It is trusted for a path only after the real engine, completing a real instance along
// that same path, produced the same result; one disagreement turns the plan off for the
// definition version. Everything else — another shape, a condition that fails or reads engine
// internals, a state the engine has stored since (a fired timer) — runs the engine.
import { engineExpressions, truthy } from './expressions';
import type { CompiledDefinition } from './parse';
import type { RunResult } from './interfaces';
import type { TemplateRef } from './stateCodec';
import { guardStartVariables, submittedVariables } from './taskDefinitions';
import { mentionsEngine } from './template';

type Obj = Record<string, unknown>;

interface FlowDef {
  id: string;
  targetId: string;
  isDefault?: boolean;
  behaviour?: { conditionExpression?: { body?: unknown; language?: unknown } };
}

interface ActivityDef {
  id: string;
  type: string;
  behaviour?: Obj;
}

interface ContextApi {
  getActivities(): ActivityDef[];
  getOutboundSequenceFlows(id: string): FlowDef[];
}

/** The slice of the start template a plan needs. */
export interface PlannableTemplate {
  readonly taskId: string;
  taskExecutionId(ref: TemplateRef): string;
}

export interface Prediction {
  result: RunResult;
  /** The flows taken, e.g. "toDecisionMerge>toApprovalGateway>approvedFlow". */
  path: string;
}

const MAX_STEPS = 64;

export class CompletionPlan {
  private readonly verified = new Set<string>();
  private activitiesById: Map<string, ActivityDef> | undefined;
  /** Why the plan stopped answering, once the engine disagreed with it. */
  disabled: string | undefined;

  constructor(
    private readonly compiled: CompiledDefinition,
    private readonly template: PlannableTemplate,
  ) {}

  private get ctx(): ContextApi {
    return this.compiled.sourceContext as unknown as ContextApi;
  }

  /**
   * What the engine would return for completing `executionId` of this template-started instance,
   * or undefined when only the engine can tell.
   */
  predict(ref: TemplateRef, variables: Obj, executionId: string, values: Obj): Prediction | undefined {
    if (this.disabled || executionId !== this.template.taskExecutionId(ref)) return undefined;
    const task = this.compiled.tasks.get(this.template.taskId);
    // Throws the same form errors the engine's signal would; a template-started instance's variables
    // are all start variables (see template.ts).
    const submitted = submittedVariables(task, values);
    guardStartVariables(Object.keys(variables), variables, submitted);
    const vars = { ...variables, ...submitted };
    const activities = (this.activitiesById ??= new Map(this.ctx.getActivities().map((a) => [a.id, a])));
    const taken: string[] = [];
    const passed = [this.template.taskId]; // RunResult.passed: the task, then each node reached
    const jobs: RunResult['jobs'] = [];
    // A task (not a gateway) takes every true outbound flow: only one unconditional flow is one token.
    const out = this.ctx.getOutboundSequenceFlows(this.template.taskId);
    if (out.length !== 1 || out[0].behaviour?.conditionExpression) return undefined;
    let flow: FlowDef | undefined = out[0];
    for (let steps = 0; flow && steps < MAX_STEPS; steps++) {
      taken.push(flow.id);
      const node = activities.get(flow.targetId);
      if (!node) return undefined;
      passed.push(node.id);
      if (node.type === 'bpmn:EndEvent') {
        const defs = (node.behaviour?.eventDefinitions as unknown[] | undefined) ?? [];
        const topic = this.compiled.jobTopics.get(node.id);
        if (defs.length > 1 || (defs.length === 1 && !topic)) return undefined; // terminate, error, escalation, …
        if (topic) jobs.push({ topic, activityId: node.id });
        return {
          path: taken.join('>'),
          result: { status: 'ended', openTasks: [], timers: [], variables: vars, jobs, endActivityId: node.id, passed },
        };
      }
      if (node.type !== 'bpmn:ExclusiveGateway') return undefined;
      flow = this.exclusiveChoice(node.id, vars);
    }
    return undefined;
  }

  /** bpmn-elements' exclusive gateway: document order, default last, first true condition wins. */
  private exclusiveChoice(gatewayId: string, variables: Obj): FlowDef | undefined {
    const flows = this.ctx.getOutboundSequenceFlows(gatewayId).slice();
    const d = flows.findIndex((f) => f.isDefault);
    if (d >= 0) flows.push(...flows.splice(d, 1));
    for (const f of flows) {
      if (f.isDefault) return f;
      const condition = f.behaviour?.conditionExpression;
      if (!condition) return f;
      if (condition.language !== undefined || typeof condition.body !== 'string' || mentionsEngine(condition.body)) return undefined;
      let value: unknown;
      try {
        value = engineExpressions.resolveExpression(condition.body, { environment: { variables, output: {}, settings: {} } });
      } catch {
        return undefined; // the engine reports the failure in its own words
      }
      if (truthy(value)) return f; // JUEL's Boolean coercion, as the engine's flows (elementTypes.ts)
    }
    return undefined; // "no conditional flow taken": the engine's error
  }

  isVerified(path: string): boolean {
    return !this.disabled && this.verified.has(path);
  }

  /** Compares a prediction with the engine's result for the same completion. */
  confirm(predicted: Prediction, actual: RunResult): boolean {
    if (this.disabled) return false;
    const same =
      actual.status === predicted.result.status &&
      actual.endActivityId === predicted.result.endActivityId &&
      actual.openTasks.length === 0 &&
      actual.timers.length === 0 &&
      stableJson(actual.jobs) === stableJson(predicted.result.jobs) &&
      stableJson(actual.passed ?? []) === stableJson(predicted.result.passed ?? []) &&
      stableJson(actual.variables) === stableJson(predicted.result.variables);
    if (same) this.verified.add(predicted.path);
    else this.disabled = `the engine disagreed on path ${predicted.path}`;
    return same;
  }
}

function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}
