// Batch lookups (whereAnyOf: an IN list on SQLite, one text[] parameter on PostgreSQL), the
// links-with-target-rev read and the bulk audit insert, on a real repository of either backend.
import * as links from '../../../src/repo/links';
import { insertManagedUser, readManagedUsers } from '../../../src/repo/managedUsers';
import { insertAudit, type AuditEntry } from '../../../src/repo/reconAudit';
import { createTestDb, type TestDb } from '../../helpers/db';

// Ids an array literal or an IN list could trip over.
const IDS = ['plain', 'with space', 'quote"inside', "apos'trophe", 'back\\slash', '{brace,comma}', 'NULL', '', 'Zoë 用户 😀'];

describe('batch lookups and bulk inserts', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    for (const [i, id] of IDS.entries()) await insertManagedUser(db.knex, { id, rev: String(i), obj: { userName: `u${i}` }, passwordHash: null });
    for (const id of IDS.slice(0, 5)) await links.insertLink(db.knex, { linkType: 'm', linkQualifier: 'default', firstId: `src-${id}`, secondId: id });
  });
  afterAll(() => db.destroy());

  it('finds exactly the asked-for rows, whatever their ids contain', async () => {
    const found = await readManagedUsers(db.knex, [...IDS, 'absent', 'plain ']);
    expect([...found.keys()].sort()).toEqual([...IDS].sort());
    expect(found.get('quote"inside')?.rev).toBe('2');
    expect((await readManagedUsers(db.knex, ['back\\slash'])).get('back\\slash')?.obj).toEqual({ userName: 'u4' });
  });

  it("reads links with their target's current rev, null once the target is gone", async () => {
    await db.knex('managed_user').where({ id: 'plain' }).del();
    const byFirst = await links.linksBySource(db.knex, 'm', 'default', IDS.map((id) => `src-${id}`));
    expect(byFirst.size).toBe(5);
    expect(byFirst.get('src-plain')).toMatchObject({ secondId: 'plain', currentTargetRev: null });
    expect(byFirst.get('src-quote"inside')).toMatchObject({ secondId: 'quote"inside', currentTargetRev: '2' });
    const bySecond = await links.linksByTarget(db.knex, 'm', 'default', ['back\\slash', "apos'trophe", 'none']);
    expect([...bySecond.keys()].sort()).toEqual(["apos'trophe", 'back\\slash']);
  });

  it('stores every audit entry of a bulk insert, values intact', async () => {
    const entries: AuditEntry[] = Array.from({ length: 901 }, (_, i) => ({
      reconId: 'r-bulk', mapping: 'm', sourceObjectId: IDS[i % IDS.length], targetObjectId: i % 2 ? null : `t${i}`,
      situation: 'CONFIRMED', action: 'UPDATE', status: 'SUCCESS', message: i === 7 ? 'a "quoted" \\ message' : null, timestamp: `2026-11-27T00:00:${String(i % 60).padStart(2, '0')}.000Z`,
    }));
    await insertAudit(db.knex, entries);
    const rows = await db.knex('recon_audit').where({ recon_id: 'r-bulk' }).orderBy('id');
    expect(rows).toHaveLength(901);
    expect(rows[7]).toMatchObject({ source_object_id: IDS[7], target_object_id: null, message: 'a "quoted" \\ message', link_qualifier: 'default' });
    expect(rows[900]).toMatchObject({ source_object_id: IDS[900 % IDS.length], target_object_id: 't900' });
  });
});
