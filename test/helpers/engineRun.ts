// Drives a parsed definition through the engine layer as the runtime does: every step recovers the
// stored state in a fresh Engine (startInstance / completeTask / fireDueTimers), nothing in memory.
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, fireDueTimers, parseDefinition, startInstance, type OpenTask, type ParsedDefinition, type RunResult } from '../../src/workflow/engine';

export const fixturePath = (name: string) => path.resolve(__dirname, '../fixtures/bpmn', name);
export const loadFixture = (name: string): Promise<ParsedDefinition> => parseDefinition(fs.readFileSync(fixturePath(name), 'utf8'), name);

export class EngineRun {
  result!: RunResult;
  constructor(
    readonly def: ParsedDefinition,
    public now = Date.UTC(2030, 0, 1),
  ) {}

  static async start(def: ParsedDefinition, variables: Record<string, unknown> = {}, now?: number): Promise<EngineRun> {
    const run = new EngineRun(def, now);
    run.result = await startInstance(def, variables, { now: () => run.now, templates: false });
    return run;
  }

  get tasks(): OpenTask[] {
    return this.result.openTasks;
  }

  /** taskDefinitionKey of every open task, sorted. */
  get keys(): string[] {
    return this.tasks.map((t) => t.taskDefinitionKey).sort();
  }

  task(key: string, pick: (t: OpenTask) => boolean = () => true): OpenTask {
    const matching = this.tasks.filter((t) => t.taskDefinitionKey === key && pick(t));
    if (!matching.length) throw new Error(`no open task ${key}: ${this.describe()}`);
    return matching[0];
  }

  describe(): string {
    const r = this.result;
    return `${r.status} ${r.endActivityId ?? ''} ${r.error?.message ?? ''} [${this.tasks.map((t) => `${t.taskDefinitionKey}/${t.executionId}`).join(', ')}]`;
  }

  async complete(key: string | OpenTask, values: Record<string, unknown> = {}): Promise<RunResult> {
    if (this.result.status !== 'waiting') throw new Error(`instance is not waiting: ${this.describe()}`);
    const task = typeof key === 'string' ? this.task(key) : key;
    this.result = await completeTask(this.def, this.result.state!, task.executionId, values, { now: () => this.now, templates: false });
    return this.result;
  }

  async advance(ms: number): Promise<RunResult> {
    this.now += ms;
    this.result = await fireDueTimers(this.def, this.result.state!, this.now, { templates: false });
    return this.result;
  }
}
