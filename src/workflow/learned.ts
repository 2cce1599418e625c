// What the engine layer learns about one definition version while it runs it: the waiting template
// new instances start from (template.ts) and the completion plan built on it (completionPlan.ts),
// both found by running bpmn-engine and kept so that later runs can skip it.
//
// It belongs to the parsed definition (CompiledDefinition.learned, made by parseDefinition), not to
// the process: whoever holds the ParsedDefinition owns what was learned about it — Definitions'
// cache in a server (one per version id), engineWorker.ts's map in a worker thread, a test's
// variable — and it goes away with it. Two parses of the same XML learn separately, so nothing one
// runtime (or test) learns leaks into another.
import type { CompletionPlan } from './completionPlan';
import type { WorkflowTemplate } from './template';

export class LearnedState {
  /** The start template; built on first use, undefined when the definition has none. */
  template: Promise<WorkflowTemplate | undefined> | undefined;
  /** The completion plan over that template; undefined when there is no template. */
  plan: Promise<CompletionPlan | undefined> | undefined;
}
