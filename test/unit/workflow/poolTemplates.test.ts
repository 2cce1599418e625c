// Engine worker threads (pool.ts, engineWorker.ts) expand a template reference by the stored
// template the calling thread sends with it, not by what their own engine would build. Runs the
// compiled pool and worker (dist/: npm test builds it first), as a server does.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.join(ROOT, 'dist', 'src', 'workflow');
/* eslint-disable @typescript-eslint/no-require-imports */
const elements = require('bpmn-elements') as { Definition: { prototype: { getState(): Record<string, unknown> } } };
/* eslint-enable @typescript-eslint/no-require-imports */
const xml = fs.readFileSync(path.join(ROOT, 'processes', 'managedUserApproval.bpmn'), 'utf8');
const VARS = { sourceId: 'bjensen', mapping: 'm', reconId: 'r1' };

describe('engine worker threads and template references', () => {
  if (!fs.existsSync(path.join(DIST, 'engineWorker.js'))) throw new Error('dist/ is missing: run npm run build (npm test does)');
  /* eslint-disable @typescript-eslint/no-require-imports */
  const engine = require(path.join(DIST, 'engine')) as typeof import('../../../src/workflow/engine');
  const { EnginePool } = require(path.join(DIST, 'pool')) as typeof import('../../../src/workflow/pool');
  const { decodeTemplateRef, isTemplateRef } = require(path.join(DIST, 'stateCodec')) as typeof import('../../../src/workflow/stateCodec');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const pool = new EnginePool(1);
  afterAll(() => pool.close());

  it('a worker completes a reference to a template its own engine does not build, from the record it is sent', async () => {
    // The calling thread's template comes from an engine whose saved state has one field more (the
    // worker's does not have it): only the record the worker is sent can expand the reference.
    const original = elements.Definition.prototype.getState;
    elements.Definition.prototype.getState = function getState(this: unknown) {
      return { ...original.call(this), addedInMinorRelease: true };
    };
    let def: Awaited<ReturnType<typeof engine.parseDefinition>>;
    let started: Awaited<ReturnType<typeof engine.startInstance>>;
    try {
      def = await engine.parseDefinition(xml);
      started = await engine.startInstance(def, VARS, { externalVariables: true });
    } finally {
      elements.Definition.prototype.getState = original;
    }
    expect(isTemplateRef(started.state!)).toBe(true);
    const record = await engine.referencedTemplate(def, started.state!);
    expect(record!.fingerprint).toBe(decodeTemplateRef(started.state!).fingerprint);
    expect(record!.body).toContain('addedInMinorRelease');
    const req = { op: 'complete' as const, definitionId: 'managedUserApproval:1:1', state: started.state!, executionId: started.openTasks[0].executionId, values: { requestApproved: 'true' }, variables: VARS, now: Date.now() };
    const done = await pool.run(req, xml, def);
    expect(done).toMatchObject({ status: 'ended', endActivityId: 'approved', jobs: [{ topic: 'createUser', activityId: 'approved' }] });
    // Sent once per worker: a second instance of the same template goes without it, and completes.
    const second = await engine.startInstance(def, VARS, { externalVariables: true });
    const rejected = await pool.run({ ...req, state: second.state!, executionId: second.openTasks[0].executionId, values: { requestApproved: 'false' } }, xml, def);
    expect(rejected).toMatchObject({ status: 'ended', endActivityId: 'rejected' });
  });
});
