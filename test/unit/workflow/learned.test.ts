// What the engine layer learns about a definition (its start template and completion plan) is kept
// on that parsed definition, not in the process: two parses of the same file learn separately, and
// a template reference is expanded only by a definition that produces it.
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, completionPlanState, expandState, parseDefinition, startInstance } from '../../../src/workflow/engine';
import type { CompiledDefinition } from '../../../src/workflow/parse';
import { decodeState, isTemplateRef, StateFormatError } from '../../../src/workflow/stateCodec';

const xml = fs.readFileSync(path.resolve(__dirname, '../../../processes/managedUserApproval.bpmn'), 'utf8');
const VARS = { sourceId: 'bjensen', mapping: 'm', reconId: 'r1' };
const learned = (def: { context: unknown }) => (def.context as CompiledDefinition).learned;

describe('learned state', () => {
  it('belongs to the parsed definition: a second parse of the same XML starts from nothing', async () => {
    const a = await parseDefinition(xml, 'a.bpmn');
    const b = await parseDefinition(xml, 'b.bpmn');
    expect(learned(a)).not.toBe(learned(b));
    const s = await startInstance(a, VARS);
    await completeTask(a, s.state!, s.openTasks[0].executionId, { requestApproved: 'true' });
    expect(learned(a).template).toBeDefined();
    expect(await completionPlanState(a)).toBe('active');
    expect(learned(b).template).toBeUndefined();
    expect(learned(b).plan).toBeUndefined();
  });

  it('a template reference is expanded by its definition (expandState), never by the bare codec', async () => {
    const def = await parseDefinition(xml);
    const s = await startInstance(def, VARS);
    expect(isTemplateRef(s.state!)).toBe(true);
    expect(() => decodeState(s.state!)).toThrow(StateFormatError);
    expect(() => decodeState(s.state!)).toThrow(/template reference: expand it with its definition \(expandState\)/);
    const full = await expandState(def, s.state!);
    expect(full.timers).toEqual(s.timers);
    expect(full.engine.definitions).toHaveLength(1);
    // Another parse has built no template yet: it builds its own, with the same deterministic fingerprint.
    const other = await parseDefinition(xml);
    expect((await expandState(other, s.state!)).timers).toEqual(s.timers);
  });
});
