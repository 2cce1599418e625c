// Backward compatibility of stored states, as bpmn-engine's own tests do it: every release's
// fixtures (test/fixtures/state/<release>/states.json, written by generate.ts, never regenerated)
// must load and complete with the engine installed now — approve, reject, timers — with templates
// on and off. A reference expands by the template record stored with it, as the repository keeps it.
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, fireDueTimers, parseDefinition, useTemplateStore, type RunResult } from '../../../src/workflow/engine';
import type { StateFixture, StateFixtureFile, Step } from '../../fixtures/state/fixture';

const DIR = path.resolve(__dirname, '../../fixtures/state');
const releases = fs
  .readdirSync(DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.existsSync(path.join(DIR, e.name, 'states.json')))
  .map((e) => e.name)
  .sort();

const cases = releases.flatMap((release) => {
  const file = JSON.parse(fs.readFileSync(path.join(DIR, release, 'states.json'), 'utf8')) as StateFixtureFile;
  return file.fixtures.flatMap((f) => Object.entries(f.scenarios).flatMap(([scenario, steps]) => [true, false].map((templates) => ({ release, fixture: f, scenario, steps, templates }))));
});

async function run(release: string, f: StateFixture, steps: Step[], templates: boolean): Promise<void> {
  const def = await parseDefinition(fs.readFileSync(path.join(DIR, release, f.definition), 'utf8'), f.definition);
  // What Definitions does with the workflow_template rows of the definition version.
  if (f.template) useTemplateStore(def, undefined, [f.template]);
  let state: Buffer = Buffer.from(f.state, 'base64');
  let variables = f.variables;
  let tasks = f.openTasks;
  for (const [i, step] of steps.entries()) {
    let result: RunResult;
    if (step.do === 'complete') {
      const task = tasks.find((t) => t.taskDefinitionKey === step.task);
      if (!task) throw new Error(`step ${i}: ${step.task} is not waiting (waiting: ${tasks.map((t) => t.taskDefinitionKey).join(', ')})`);
      result = await completeTask(def, state, task.executionId, step.values ?? {}, { variables, templates });
    } else {
      result = await fireDueTimers(def, state, step.at!, { variables, templates });
    }
    const e = step.expect;
    expect({ step: i, status: result.status, error: result.error }).toEqual({ step: i, status: e.status, error: undefined });
    if (e.endActivityId !== undefined) expect(result.endActivityId).toBe(e.endActivityId);
    if (e.jobs) expect(result.jobs.map((j) => j.topic)).toEqual(e.jobs);
    if (e.openTasks) expect(result.openTasks.map((t) => t.taskDefinitionKey)).toEqual(e.openTasks);
    if (e.variables) expect(result.variables).toMatchObject(e.variables);
    expect(result.variables).toMatchObject(f.variables);
    if (result.status !== 'waiting') {
      expect(i).toBe(steps.length - 1);
      return;
    }
    state = result.state!;
    variables = result.variables;
    tasks = result.openTasks;
  }
}

/* eslint-disable @typescript-eslint/no-require-imports */
const elements = require('bpmn-elements') as { Definition: { prototype: { getState(): Record<string, unknown> } } };
/* eslint-enable @typescript-eslint/no-require-imports */

describe('stored states of earlier releases load and complete', () => {
  it('there are fixtures: the shipped approval in both forms, escalated, and with a boundary timer', () => {
    const names = cases.map((c) => `${c.fixture.name}:${c.fixture.form}`);
    expect(names).toEqual(expect.arrayContaining(['approval-reference:reference', 'approval-full:full', 'approval-escalated:full', 'timer-boundary-reference:reference']));
  });

  it.each(cases.map((c) => [`${c.release} ${c.fixture.name} (${c.fixture.form}): ${c.scenario}, templates ${c.templates ? 'on' : 'off'}`, c] as const))('%s', async (_name, c) => {
    await run(c.release, c.fixture, c.steps, c.templates);
  });

  it('a reference still loads on an engine whose saved state differs (one field more): it expands by its stored template', async () => {
    const original = elements.Definition.prototype.getState;
    elements.Definition.prototype.getState = function getState(this: unknown) {
      return { ...original.call(this), addedInMinorRelease: true };
    };
    try {
      for (const c of cases.filter((x) => x.fixture.form === 'reference' && x.templates)) await run(c.release, c.fixture, c.steps, true);
    } finally {
      elements.Definition.prototype.getState = original;
    }
  });
});
