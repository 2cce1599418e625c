// Node identities on a real repository: a restarted node takes its id back at once, a live holder
// keeps it (a default id moves on to ~2, an explicit one refuses), a silent heartbeat frees it.
import os from 'node:os';
import { claimNodeIdentity, NodeIdInUse } from '../../src/config/nodeIdentity';
import { defaultNodeId } from '../../src/config/project';
import { quietLogger } from '../../src/log';
import { readDbNow } from '../../src/repo/dialect';
import { createTestDb, TestDb } from '../helpers/db';

describe('node identity', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db.destroy();
  });

  it('the default id is stable for a host, project folder and database, and differs between them', () => {
    const a = defaultNodeId('/srv/p1', 'postgres://u:secret@db/x');
    expect(a).toBe(defaultNodeId('/srv/p1', 'postgres://u:other@db/x')); // the password is not part of it
    expect(a).toMatch(new RegExp(`^${os.hostname()}:[0-9a-f]{10}$`));
    expect(defaultNodeId('/srv/p2', 'postgres://u@db/x')).not.toBe(a);
    expect(defaultNodeId('/srv/p1', 'postgres://u@db/y')).not.toBe(a);
    expect(defaultNodeId('/srv/p1', 'postgres://u@db/x', 's2')).not.toBe(a);
  });

  it('a live holder keeps its id: a default id moves on to ~2, an explicit NODE_ID refuses to start', async () => {
    const first = await claimNodeIdentity(db.knex, 'host:abc', true, quietLogger);
    const second = await claimNodeIdentity(db.knex, 'host:abc', true, quietLogger);
    expect([first.nodeId, second.nodeId]).toEqual(['host:abc', 'host:abc~2']);
    await expect(claimNodeIdentity(db.knex, 'host:abc', false, quietLogger)).rejects.toBeInstanceOf(NodeIdInUse);
    // A clean stop frees the id for the next start at once.
    await first.release();
    const again = await claimNodeIdentity(db.knex, 'host:abc', true, quietLogger);
    expect(again.nodeId).toBe('host:abc');
    await Promise.all([second.release(), again.release()]);
  });

  it('a SIGKILLed predecessor on this host (its pid gone) or a heartbeat silent past the window frees the id at once', async () => {
    const now = await readDbNow(db.knex);
    const mine = await claimNodeIdentity(db.knex, 'probe', false, quietLogger);
    const ns = (await db.knex('node').where({ id: 'probe' }).first()).pid_ns;
    await mine.release();
    // A dead pid (beyond pid_max) on this host, beating a moment ago.
    await db.knex('node').insert({ id: 'dead-pid', instance: 'x', host: os.hostname(), pid: 2 ** 22 + 7, pid_ns: ns, heartbeat: now, started_at: now });
    // Another machine, silent for a minute by the database's clock.
    await db.knex('node').insert({ id: 'silent', instance: 'y', host: 'elsewhere', pid: 1, pid_ns: null, heartbeat: now - 60_000, started_at: now - 90_000 });
    const started = Date.now();
    const a = await claimNodeIdentity(db.knex, 'dead-pid', false, quietLogger);
    const b = await claimNodeIdentity(db.knex, 'silent', false, quietLogger);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await db.knex('node').where({ id: 'dead-pid' }).first()).pid).toBe(process.pid);
    await Promise.all([a.release(), b.release()]);
  });
});
