// The shortcut proves itself (issue 15, deliverable 5): every BPMN file of the project and of the
// conformance suite runs through the same scripted drive with the start template / completion plan
// on (RunOptions.templates, the default) and off (bpmn-engine on every step), and both must give
// the same tasks, timers, variables, ends, jobs and failures. With templates on, each drive runs
// twice on the same parsed definition: the first teaches the completion plan a path, the second is
// answered by it. A file that cannot be parsed or is refused is compared as a refusal.
import fs from 'node:fs';
import path from 'node:path';
import { CONTINUE_TOPIC } from '../../../src/workflow/asyncBoundaries';
import {
  completeTask, continueAsync, fireDueTimers, parseDefinition, startInstance, type OpenTask, type ParsedDefinition, type RunResult,
} from '../../../src/workflow/engine';

const ROOT = path.resolve(__dirname, '../../..');
// test/conformance/files is another slice's (it may not exist yet): globbed when present.
const FOLDERS = ['test/fixtures/bpmn', 'docs/examples', 'processes', 'test/conformance/files'];
const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const MAX_STEPS = 12;

function bpmnFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...bpmnFiles(rel));
    else if (/\.(bpmn|bpmn20\.xml)$/.test(e.name)) out.push(rel);
  }
  return out.sort();
}

const BASE = { reconId: 'r1', mapping: 'systemCsvfileAccounts_managedUser', situation: 'ABSENT', action: 'CREATE', sourceId: 'bjensen', linkQualifier: 'default' };
/** Start variables: plain ones, a given duration, the two texts the shortcut once handled differently. */
const STARTS: Record<string, Record<string, unknown>> = {
  plain: BASE,
  duration: { ...BASE, escalationDuration: 'PT2H' },
  whitespace: { ...BASE, escalationDuration: ' PT1H ' },
  placeholders: { ...BASE, note: '@@D:escalationTimer@@', whole: '@@V@@', token: '_@@0@@' },
  reserved: { ...BASE, content: 'x' },
};
/** choice: which option of each boolean/enum field; timersFirst: fire due timers before completing. */
const DRIVES = [
  { name: 'first choices', choice: 0, timersFirst: false },
  { name: 'second choices', choice: 1, timersFirst: false },
  { name: 'timers first', choice: 0, timersFirst: true },
];

/** The values a scripted approver submits: the `choice`-th option of each choice field, a value for the rest. */
function valuesFor(task: OpenTask, choice: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of task.formProperties) {
    if (!p.writable) continue;
    const pick = <T,>(options: T[]) => options[choice % options.length];
    switch (p.type.name) {
      case 'boolean':
        out[p.id] = pick([true, false]);
        break;
      case 'enum':
        out[p.id] = pick(Object.keys(p.type.values ?? {}));
        break;
      case 'long':
        out[p.id] = 1 + choice;
        break;
      case 'date':
        out[p.id] = new Date(T0).toISOString();
        break;
      default:
        if (p.required) out[p.id] = `text${choice}`;
    }
  }
  return out;
}

/** What both paths must agree on, step by step. */
function observed(r: RunResult): unknown {
  const { state, ...rest } = r;
  return { ...rest, waiting: state !== undefined };
}

type Step = { step: string; outcome: unknown };

/** One drive: start, then complete tasks / fire timers / continue until the instance stops waiting. */
async function drive(def: ParsedDefinition, variables: Record<string, unknown>, d: (typeof DRIVES)[number], templates: boolean): Promise<Step[]> {
  const steps: Step[] = [];
  const record = async (step: string, fn: () => Promise<RunResult | undefined>): Promise<RunResult | undefined> => {
    try {
      const r = await fn();
      steps.push({ step, outcome: r ? observed(r) : 'nothing to do' });
      return r;
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown; field?: unknown };
      steps.push({ step, outcome: { thrown: err.code ?? 'error', message: String(err.message), field: err.field } });
      return undefined;
    }
  };
  let now = T0;
  const opts = () => ({ now: () => now, templates });
  let current = await record('start', () => startInstance(def, variables, { ...opts(), externalVariables: true }));
  for (let i = 0; current?.status === 'waiting' && current.state && i < MAX_STEPS; i++) {
    const state = current.state;
    const vars = current.variables;
    if (current.jobs.some((j) => j.topic === CONTINUE_TOPIC)) {
      current = await record('continue', () => continueAsync(def, state, { ...opts(), variables: vars }));
      continue;
    }
    const [task] = [...current.openTasks].sort((a, b) => a.taskDefinitionKey.localeCompare(b.taskDefinitionKey));
    const timer = current.timers[0];
    if (timer && (d.timersFirst || !task)) {
      now = Math.max(now, timer.expireAt);
      current = await record(`fire ${timer.activityId}`, () => fireDueTimers(def, state, now, { ...opts(), variables: vars }));
      continue;
    }
    if (!task) break; // another kind of wait: compared as it is
    const values = valuesFor(task, d.choice);
    current = await record(`complete ${task.taskDefinitionKey} ${JSON.stringify(values)}`, () => completeTask(def, state, task.executionId, values, { ...opts(), variables: vars }));
  }
  return steps;
}

/** Key order says nothing about a run: objects are compared with sorted keys. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]));
}

/** Execution ids are random per instance (bpmn-elements: up to 10 hex digits, fewer when the random number ends in zeros): numbered in order of appearance. */
function normalized(value: unknown): string {
  const ids = new Map<string, string>();
  return JSON.stringify(sortedKeys(value), null, 1).replace(/_[0-9a-f]{6,10}(?![0-9A-Za-z])/g, (m) => {
    if (!ids.has(m)) ids.set(m, `_#${ids.size}`);
    return ids.get(m)!;
  });
}

async function load(xml: string, file: string): Promise<ParsedDefinition | { refused: string }> {
  try {
    const def = await parseDefinition(xml, path.basename(file));
    return def.unrunnable ? { refused: def.unrunnable.message } : def;
  } catch (e) {
    return { refused: (e as Error).message };
  }
}

const files = FOLDERS.flatMap(bpmnFiles);

describe('templates on and off give the same runs', () => {
  it('finds the BPMN files of the project', () => {
    expect(files).toEqual(expect.arrayContaining(['processes/managedUserApproval.bpmn', 'docs/examples/twoStageApproval.bpmn', 'test/fixtures/bpmn/approval-escalation.bpmn']));
  });

  it.each(files)('%s', async (file) => {
    const xml = fs.readFileSync(path.join(ROOT, file), 'utf8');
    // Each side parses for itself: nothing learned with templates on reaches the engine side.
    const withTemplates = await load(xml, file);
    const engineOnly = await load(xml, file);
    if ('refused' in withTemplates || 'refused' in engineOnly) {
      expect(withTemplates).toEqual(engineOnly);
      return;
    }
    const conformance = file.startsWith('test/conformance/');
    const starts = conformance ? { plain: STARTS.plain } : STARTS;
    for (const [startName, variables] of Object.entries(starts)) {
      for (const d of DRIVES) {
        const expected = normalized(await drive(engineOnly, variables, d, false));
        const taught = normalized(await drive(withTemplates, variables, d, true));
        const planned = normalized(await drive(withTemplates, variables, d, true));
        const label = `${file}, start ${startName}, ${d.name}`;
        expect({ label, run: taught }).toEqual({ label, run: expected });
        expect({ label, run: planned }).toEqual({ label, run: expected });
      }
    }
  });
});
