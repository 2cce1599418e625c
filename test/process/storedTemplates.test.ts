// Stored state that survives engine upgrades (issue 15): a template-started instance stores a
// reference to its definition's template, and the template is stored in the repository once per
// definition version, before the first instance refers to it. After an engine release whose saved
// state differs (simulated: bpmn-elements' Definition.getState adds one field), the old references
// still expand to the exact state the old engine produced, and complete, escalate and end. Runs on
// SQLite, and on PostgreSQL with DATABASE_URL=postgres://….
import path from 'node:path';
import { quietLogger } from '../../src/log';
import { Definitions } from '../../src/workflow/definitions';
import { WorkflowRuntime } from '../../src/workflow/runtime';
import { decodeTemplateRef, isTemplateRef } from '../../src/workflow/stateCodec';
import { createTestDb, TestDb } from '../helpers/db';

/* eslint-disable @typescript-eslint/no-require-imports */
const elements = require('bpmn-elements') as { Definition: { prototype: { getState(): Record<string, unknown> } } };
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.resolve(__dirname, '..', '..');
const admin = { component: 'internal/user' as const, id: 'openidm-admin', userName: 'openidm-admin', roles: ['openidm-admin'] };
const vars = (sourceId: string) => ({ sourceId, mapping: 'm', reconId: 'r1', escalationDuration: 'PT1H' });

/** Runs fn with an engine whose saved definition state carries one field more (a minor release). */
async function withUpgradedEngine<T>(fn: () => Promise<T>): Promise<T> {
  const original = elements.Definition.prototype.getState;
  elements.Definition.prototype.getState = function getState(this: unknown) {
    return { ...original.call(this), addedInMinorRelease: true };
  };
  try {
    return await fn();
  } finally {
    elements.Definition.prototype.getState = original;
  }
}

describe('stored workflow templates', () => {
  let db: TestDb;
  let now = Date.UTC(2030, 0, 1);
  const clock = { now: () => now };
  const node = () => new WorkflowRuntime(db, new Definitions(db, quietLogger), quietLogger, {}, clock);
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db.destroy();
  });

  const stateOf = async (id: number) => (await db.knex('process_instance').where({ id }).first()).state as Buffer;
  const taskOf = async (id: number) => {
    const row = await db.knex('task').where({ process_instance_id: id }).first();
    return { id: Number(row.id), task_definition_key: row.task_definition_key as string };
  };

  it('a started instance refers to a template stored in the repository; an upgraded engine still completes and escalates it', async () => {
    const before = node();
    expect((await before.definitions.deployDirectory(path.join(ROOT, 'processes'))).failed).toEqual([]);
    const ids: number[] = [];
    for (const s of ['a', 'b', 'c']) ids.push((await before.start({ key: 'managedUserApproval', variables: vars(s) })).instance.id);
    const state = await stateOf(ids[0]);
    expect(isTemplateRef(state)).toBe(true);
    const rows = await db.knex('workflow_template').select('definition_id', 'fingerprint', 'body');
    expect(rows).toHaveLength(1);
    expect(rows[0].fingerprint).toBe(decodeTemplateRef(state).fingerprint);
    expect(JSON.parse(rows[0].body)).toMatchObject({ v: 1, taskId: 'evaluateRequest' });

    // A "restart" on an engine whose saved state has one field more: a fresh process, fresh parse.
    const freshId = await withUpgradedEngine(async () => {
      const after = node();
      // It builds another template (another fingerprint) and stores it for its own new instances.
      const { instance: fresh } = await after.start({ key: 'managedUserApproval', variables: vars('d') });
      const freshRef = decodeTemplateRef(await stateOf(fresh.id));
      expect(freshRef.fingerprint).not.toBe(rows[0].fingerprint);
      expect((await db.knex('workflow_template').select('fingerprint')).map((r) => r.fingerprint).sort()).toEqual([rows[0].fingerprint, freshRef.fingerprint].sort());

      // The old references: approve, reject, and the escalation timer.
      expect(await after.complete((await taskOf(ids[0])).id, { requestApproved: 'true' }, admin)).toMatchObject({ status: 'ended', endActivityId: 'approved' });
      expect(await after.complete((await taskOf(ids[1])).id, { requestApproved: 'false' }, admin)).toMatchObject({ status: 'ended', endActivityId: 'rejected' });
      now += 2 * 3_600_000;
      expect(await after.fireTimers(ids[2])).toBe(true);
      const escalated = await taskOf(ids[2]);
      expect(escalated.task_definition_key).toBe('escalatedReview');
      expect(await after.complete(escalated.id, { requestApproved: 'true' }, admin)).toMatchObject({ status: 'ended', endActivityId: 'approved' });
      // And its own new instance.
      expect(await after.complete((await taskOf(fresh.id)).id, { requestApproved: 'true' }, admin)).toMatchObject({ status: 'ended', endActivityId: 'approved' });
      return fresh.id;
    });
    const jobs = await db.knex('job').where({ type: 'createUser' }).select('key');
    expect(jobs.map((j) => j.key).sort()).toEqual([ids[0], ids[2], freshId].map((id) => `createUser:${id}`).sort());
  });

  it('references stored before templates were: stored at server start, then loadable after an upgrade', async () => {
    const before = node();
    await before.definitions.deployDirectory(path.join(ROOT, 'processes'));
    const { instance } = await before.start({ key: 'managedUserApproval', variables: vars('legacy') });
    // What a repository of the previous release holds: the reference, no template row.
    await db.knex('workflow_template').del();
    const restarted = node();
    expect(await restarted.definitions.storeTemplatesOfActiveDefinitions()).toBeGreaterThanOrEqual(1);
    expect((await db.knex('workflow_template').select('fingerprint')).map((r) => r.fingerprint)).toContain(decodeTemplateRef(await stateOf(instance.id)).fingerprint);
    await withUpgradedEngine(async () => {
      const upgraded = node();
      expect(await upgraded.complete((await taskOf(instance.id)).id, { requestApproved: 'false' }, admin)).toMatchObject({ status: 'ended', endActivityId: 'rejected' });
    });
  });

  it('a reference whose template was never stored, on an engine that builds another one, fails naming why (STATE_INVALID)', async () => {
    const before = node();
    await before.definitions.deployDirectory(path.join(ROOT, 'processes'));
    const { instance } = await before.start({ key: 'managedUserApproval', variables: vars('lost') });
    await db.knex('workflow_template').del();
    await withUpgradedEngine(async () => {
      const upgraded = node();
      await expect(upgraded.complete((await taskOf(instance.id)).id, { requestApproved: 'true' }, admin)).rejects.toMatchObject({
        code: 'STATE_INVALID',
        message: expect.stringMatching(/workflow template [0-9a-f]{16}, which is not stored for this definition and which the installed engine does not produce/),
      });
    });
  });

  it('a definition version removed takes its templates with it', async () => {
    const rt = node();
    const defs = await rt.definitions.list();
    for (const d of defs) {
      await db.knex('task').where({ definition_id: d.id }).del();
      await db.knex('process_instance').where({ definition_id: d.id }).update({ status: 'ended', state: null });
      await rt.definitions.remove(d.id);
    }
    expect(await db.knex('workflow_template').select('fingerprint')).toEqual([]);
  });
});
