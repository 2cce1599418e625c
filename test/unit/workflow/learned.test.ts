// What the engine layer learns about a definition (its start template and completion plan) is kept
// on that parsed definition, not in the process: two parses of the same file learn separately, and
// a template reference is expanded only by a definition that produces it.
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, completionPlanState, expandState, parseDefinition, referencedTemplate, startInstance, useTemplateStore, type TemplateRecord } from '../../../src/workflow/engine';
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

  it('a template is saved to the store before the first instance refers to it; a store that fails means a full state', async () => {
    const def = await parseDefinition(xml);
    const saved: TemplateRecord[] = [];
    let fail = true;
    useTemplateStore(def, {
      save: async (r) => {
        if (fail) throw new Error('disk full');
        saved.push(r);
      },
      load: async () => undefined,
    });
    const first = await startInstance(def, VARS);
    expect(isTemplateRef(first.state!)).toBe(false);
    expect(saved).toEqual([]);
    fail = false;
    const second = await startInstance(def, VARS);
    const third = await startInstance(def, VARS);
    expect(isTemplateRef(second.state!) && isTemplateRef(third.state!)).toBe(true);
    expect(saved.map((r) => r.fingerprint)).toEqual([(await referencedTemplate(def, second.state!))!.fingerprint]);
  });

  it('a reference expands by its stored record, even where the installed engine builds another template', async () => {
    const a = await parseDefinition(xml);
    const s = await startInstance(a, VARS);
    const record = (await referencedTemplate(a, s.state!))!;
    // Another "release": its parse holds the record only, and its own template is not built yet.
    const b = await parseDefinition(xml);
    const loads: string[] = [];
    useTemplateStore(b, { save: async () => undefined, load: async (fp) => (loads.push(fp), fp === record.fingerprint ? record : undefined) });
    expect((await expandState(b, s.state!)).timers).toEqual(s.timers);
    expect(loads).toEqual([record.fingerprint]);
    expect(learned(b).template).toBeUndefined();
    // A record whose content was altered is refused, naming it.
    const c = await parseDefinition(xml);
    const body = JSON.parse(record.body);
    body.json = body.json.replace('"stopped":false', '"stopped":true');
    expect(() => useTemplateStore(c, undefined, [{ fingerprint: record.fingerprint, body: JSON.stringify(body) }])).toThrow(/does not match its fingerprint/);
  });
});
