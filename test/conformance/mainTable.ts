// docs/modeling.md's main table ("Supported BPMN elements and attributes") against the suite: each
// row, by its first cell, names the conformance element keys (elements.ts) that a passing case must
// cover, whatever its "supported" cell says (a "no, refused at deploy" row names the refusal keys). A
// row the suite cannot cover says so in its own "supported" cell ("not covered by the conformance
// suite"), and `uncovered` here says why and which tests cover it instead. conformance.test.ts checks
// both directions: every row is mapped, every mapped row is in the table.
import type { ElementKey } from './elements';

export const NOT_COVERED = 'not covered by the conformance suite';

export type MainTableRow = { keys: ElementKey[] } | { uncovered: string };

export const MAIN_TABLE: Record<string, MainTableRow> = {
  '`startEvent` (none)': { keys: ['events.none'] },
  '`endEvent` (none)': { keys: ['events.none'] },
  '`endEvent` / `intermediateThrowEvent` with `messageEventDefinition camunda:type="external" camunda:topic="T"`': {
    uncovered: "reconflow's own job-enqueuing extension (OpenIDM's createUser): no public file uses it; test/process/kit.test.ts, test/process/storedTemplates.test.ts",
  },
  '`userTask`': { keys: ['userTask', 'assignment.extensions'] },
  '`exclusiveGateway`': { keys: ['exclusiveGateway', 'gateway.default', 'juel.conditions'] },
  '`sequenceFlow`': { keys: ['exclusiveGateway', 'juel.conditions'] },
  '`boundaryEvent` with `timerEventDefinition`': { keys: ['boundary.timer', 'boundary.timer.nonInterrupting', 'timer.duration', 'timer.cycle', 'timer.date'] },
  '`intermediateCatchEvent` with `timerEventDefinition`': { keys: ['timer.duration', 'timer.date', 'timer.cron'] },
  '`scriptTask` (`scriptFormat="javascript"`, also `js`, `ecmascript`)': { keys: ['scriptTask.javascript', 'refuse.script'] },
  '`serviceTask`, `sendTask`, `businessRuleTask` with `camunda:type="external" camunda:topic="T"` (or `flowable:type="external-worker" flowable:topic="T"`)': { keys: ['externalTask'] },
  '`serviceTask`, `sendTask`, `businessRuleTask`, any other form': { keys: ['refuse.javaDelegate', 'refuse.connector'] },
  'task and execution listeners in JavaScript, `camunda:inputOutput`': { keys: ['listener.javascript', 'inputOutput', 'refuse.classListener', 'refuse.listenerEvent'] },
  'script tasks, conditions and listeners in Groovy (`scriptFormat="groovy"`, `language="groovy"`)': { keys: ['scriptTask.groovy', 'listener.groovy'] },
  '`camunda:asyncBefore` / `asyncAfter` / `async`, `activiti:async`, `flowable:async`': {
    uncovered: 'the process-testing kit runs no workflow.continue jobs, so the suite cannot drive a continuation (Camunda\'s AsyncTaskTest files carry class listeners too); test/process/asyncContinuation.test.ts',
  },
  '`subProcess` (nested)': { keys: ['userTask.subProcess', 'userTask.nestedSubProcess'] },
  'event `subProcess` started by an error or escalation, `transaction`': {
    uncovered: 'no case of the suite drives one yet; test/unit/workflow/boundaryEvents.test.ts and the h-tasks tests',
  },
  '`multiInstanceLoopCharacteristics` on a user task or sub-process (parallel, `isSequential="true"`)': {
    keys: ['userTask.multiInstance', 'multiInstance.parallel', 'multiInstance.sequential', 'multiInstance.loopCardinality', 'multiInstance.collection', 'multiInstance.completionCondition', 'multiInstance.subProcess'],
  },
  '`parallelGateway`, `inclusiveGateway`': { keys: ['parallelGateway', 'inclusiveGateway'] },
  '`boundaryEvent` with `errorEventDefinition` / `escalationEventDefinition`, `endEvent` with `errorEventDefinition` / `terminateEventDefinition`, `intermediateThrowEvent` with `escalationEventDefinition`': {
    keys: ['boundary.error', 'boundary.escalation', 'errorEnd', 'terminateEnd'],
  },
  '`manualTask`, `receiveTask` (with or without `messageRef`), `intermediateCatchEvent` without an event definition': { keys: ['manualTask', 'receiveTask'] },
  '`intermediateCatchEvent` with `messageEventDefinition` / `signalEventDefinition`': { keys: ['messageCatch', 'signalCatch'] },
  '`startEvent` with `messageEventDefinition` / `signalEventDefinition`': { keys: ['messageStart', 'signalStart'] },
  '`boundaryEvent` with `messageEventDefinition` / `signalEventDefinition`': { keys: ['boundary.message', 'boundary.signal'] },
  '`eventBasedGateway`': { keys: ['eventBasedGateway'] },
  '`callActivity`': { keys: ['callActivity'] },
};

/** The rows of the table under `heading` in a markdown document: first cell → second cell. */
export function tableRows(doc: string, heading: string): Map<string, string> {
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/modeling.md has no "${heading}"`);
  const rows = new Map<string, string>();
  let inTable = false;
  for (const line of doc.slice(start + heading.length + 2).split('\n')) {
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    // Cells are split at " | " (the first cells hold no such text; a later one may hold `|`).
    const cells = line.slice(2).split(' | ');
    if (cells[0] === 'element' || /^-+$/.test(cells[0].trim())) continue;
    rows.set(cells[0].trim(), (cells[1] ?? '').trim());
  }
  return rows;
}
