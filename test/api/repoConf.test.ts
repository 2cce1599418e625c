// conf/repo.json (src/config/repo.ts): SQLite's synchronous level is what the running server's
// connection really has (read back with PRAGMA synchronous), and a wrong value stops start-up
// naming the file and the key.
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { startTestServer } from '../helpers/server';

jest.setTimeout(60_000);

const sqlite = !/^(postgres|mysql|mariadb)/.test(process.env.DATABASE_URL ?? '');
/** PRAGMA synchronous's numbers (sqlite.org/pragma.html#pragma_synchronous). */
const LEVEL: Record<string, number> = { NORMAL: 1, FULL: 2, EXTRA: 3 };

describe('conf/repo.json sqlite.synchronous', () => {
  let project: TestProject;
  beforeEach(() => { project = makeProject(); });
  afterEach(() => project.remove());
  const write = (json: unknown) => fs.writeFileSync(path.join(project.dir, 'conf', 'repo.json'), JSON.stringify(json));

  (sqlite ? it.each([[undefined, 'NORMAL'], ['FULL', 'FULL'], ['extra', 'EXTRA'], ['NORMAL', 'NORMAL']]) : it.skip.each([[undefined, 'NORMAL']]))(
    'sqlite.synchronous %s: the server connection runs synchronous = %s',
    async (value, level) => {
      if (value !== undefined) write({ sqlite: { synchronous: value } });
      const t = await startTestServer({ projectDir: project.dir, workers: false });
      try {
        const rows = await t.server.ctx.db.knex.raw('PRAGMA synchronous');
        expect(rows).toEqual([{ synchronous: LEVEL[level] }]);
        // And the repository still runs in WAL (the level's meaning assumes it).
        expect(await t.server.ctx.db.knex.raw('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      } finally {
        await t.close();
      }
    },
  );

  (sqlite ? it.skip : it)('on PostgreSQL or MariaDB, a sqlite.synchronous is a start-up warning that it has no effect', async () => {
    write({ sqlite: { synchronous: 'FULL' } });
    const warnings: string[] = [];
    const t = await startTestServer({ projectDir: project.dir, workers: false, log: { info: () => undefined, error: () => undefined, warn: (m: string) => warnings.push(m) } });
    await t.close();
    expect(warnings).toContainEqual(expect.stringMatching(/repo\.json: sqlite\.synchronous has no effect on (PostgreSQL|MariaDB|MySQL)/));
  });

  it.each([
    [{ sqlite: { synchronous: 'OFF' } }, /repo\.json: sqlite\.synchronous must be one of NORMAL, FULL, EXTRA/],
    [{ sqlite: { synchronous: 2 } }, /repo\.json: sqlite\.synchronous must be one of NORMAL, FULL, EXTRA/],
    [{ sqlite: { synchronus: 'FULL' } }, /repo\.json: .*synchronus/],
    [{ query: { maxUnpagedResults: 0 } }, /repo\.json: .*maxUnpagedResults/],
  ])('refuses %j at start, naming file and key', async (json, message) => {
    write(json);
    const db = await createTestDb();
    try {
      await expect(startTestServer({ projectDir: project.dir, workers: false, db })).rejects.toThrow(message);
    } finally {
      await db.destroy();
    }
  });
});
