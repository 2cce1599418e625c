// The bpmn-elements behaviours reconflow replaces, given to moddle-context-serializer's TypeResolver
// (parse.ts): sequence flow conditions coerced as JUEL does, an inclusive gateway that joins, and
// Camunda-style multi-instance.
import { truthy } from './expressions';
import { MultiInstanceLoop } from './multiInstance';

/* eslint-disable @typescript-eslint/no-require-imports */
const { Activity, SequenceFlow } = require('bpmn-elements') as {
  Activity: new (behaviour: unknown, activityDef: Record<string, unknown>, context: unknown) => unknown;
  SequenceFlow: new (flowDef: unknown, context: unknown) => FlowLike;
};
const { InclusiveGatewayBehaviour } = require('bpmn-elements/gateways') as { InclusiveGatewayBehaviour: unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

type Callback = (err: unknown, result?: unknown) => void;
interface FlowLike {
  isDefault?: boolean;
  getCondition(): { type: string; execute(message: unknown, callback: Callback): unknown } | null;
  evaluate(fromMessage: unknown, callback: Callback): unknown;
}

/**
 * bpmn-elements takes a flow when its condition's value is JavaScript-truthy: `#{approved}` with the
 * String "false" would be taken. JUEL coerces the value to Boolean (expressions.ts truthy); a
 * script condition (language="javascript") keeps JavaScript's rule.
 */
class JuelSequenceFlow extends SequenceFlow {
  override evaluate(fromMessage: unknown, callback: Callback): unknown {
    const condition = this.isDefault ? null : this.getCondition();
    if (condition?.type !== 'expression') return super.evaluate(fromMessage, callback);
    return condition.execute(fromMessage, (err, result) => (err ? callback(err) : callback(null, truthy(result))));
  }
}

/**
 * bpmn-elements' inclusive gateway passes every arriving token straight on: as a join it would run
 * what follows once per branch. Converging, it waits as a parallel join does — for every incoming
 * flow taken or discarded — which is the inclusive join's rule where branches not taken are
 * discarded downstream (bpmn-elements' dead-path elimination: a flow a gateway does not take sends
 * a discard token along its path).
 */
function InclusiveGateway(activityDef: Record<string, unknown> & { id: string }, context: { getInboundSequenceFlows(id: string): unknown[] }): unknown {
  const joins = context.getInboundSequenceFlows(activityDef.id).length > 1;
  return new Activity(InclusiveGatewayBehaviour, joins ? { ...activityDef, isParallelGateway: true } : activityDef, context);
}

/** moddle-context-serializer's TypeResolver extender. */
export function extendTypes(typeMapper: Record<string, unknown>): void {
  typeMapper['bpmn:SequenceFlow'] = JuelSequenceFlow;
  typeMapper['bpmn:InclusiveGateway'] = InclusiveGateway;
  typeMapper['bpmn:MultiInstanceLoopCharacteristics'] = MultiInstanceLoop;
}
