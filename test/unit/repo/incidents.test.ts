// Failed-instance incidents (src/repo/incidents.ts): a failed instance, or an active one whose timer
// run failed, and nothing else; read through the partial index process_instance_incident (migration
// 20261207000026), so the Incidents tab does not read every running instance (issue 17, BENCHMARKS.md).
import { countIncidents, incidentInstances, listIncidents } from '../../../src/repo/incidents';
import { createTestDb, TestDb } from '../../helpers/db';

describe('failed-instance incidents', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db.destroy());

  const instance = (id: number, status: string, error: string | null) => ({
    id, definition_id: 'p:1:1', definition_key: 'p', status, error, variables: '{}', start_time: '2026-12-07T00:00:00.000Z',
  });

  it('lists failed instances and active ones whose timer run failed, and counts the same', async () => {
    await db.knex('process_instance').insert([
      instance(1, 'failed', 'boom'), instance(2, 'active', 'timer run failed at t1: no'), instance(3, 'active', null), instance(4, 'ended', null), instance(5, 'canceled', 'why'),
    ]);
    const listed = (await listIncidents(db.knex)).filter((i) => i.type === 'failedInstance');
    expect(listed.map((i) => [i._id, i.activityId])).toEqual([['instance-1', null], ['instance-2', 't1']]);
    expect((await countIncidents(db.knex)).failedInstance).toBe(2);
  });

  it('reads them through the partial index whose predicate the query repeats', async () => {
    const { sql, bindings } = incidentInstances(db.knex).select('id').orderBy('id').limit(10).toSQL();
    if (db.dialect === 'pg') {
      const plan = await db.knex.transaction(async (trx) => {
        await trx.raw('SET LOCAL enable_seqscan = off');
        return (await trx.raw(`EXPLAIN ${sql}`, bindings)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toContain('process_instance_incident');
    } else if (db.dialect === 'mysql') {
      // The generated column's index (no partial indexes there).
      const [rows] = (await db.knex.raw(`EXPLAIN ${sql}`, bindings as never)) as unknown as [{ key: string | null }[]];
      expect(rows.map((r) => r.key)).toContain('process_instance_incident');
    } else {
      const plan = (await db.knex.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings as never)) as { detail: string }[];
      expect(plan.map((r) => r.detail).join('\n')).toContain('USING INDEX process_instance_incident');
    }
  });
});
