// The meaning of a _queryFilter must not depend on the backend: one table of filters and the ids
// they find, run against whichever backend DATABASE_URL selects (SQLite, PostgreSQL, MariaDB/MySQL)
// and through matchesFilter in memory. test/unit/filterToSql.test.ts holds the general cases; these
// are the ones where the databases' own string rules differ (case and accent folding, trailing
// spaces, code-point versus UTF-16 order, number text), and the integer, number and boolean
// columns of other resources.
import { Filter, matchesFilter, parseQueryFilter } from '../../../src/crest/queryFilter';
import { applyFilter, FieldResolver, managedUserResolver, orderByField } from '../../../src/repo/filterToSql';
import { jobResolver } from '../../../src/jobs/sql/queryJobs';
import { createTestDb, TestDb } from '../../helpers/db';

const USERS: Record<string, Record<string, unknown>> = {
  p1: { userName: 'a', sn: 'e', note: 'a', n: 1 },
  p2: { userName: 'a ', sn: 'é', note: 'a ', n: 1.0000001 },
  p3: { userName: 'A', sn: 'E', note: 'A', n: 10 },
  p4: { userName: 'á', sn: 'ß', note: 'á', n: 9007199254740991 },
  p5: { userName: 'ss', sn: 'ss', note: 'ss', n: -1e-7 },
  p6: { userName: '😀', sn: '\uffff', note: '😀', n: '1' },
  p7: { userName: 'ﬀ', sn: 'ff', note: 'ﬀ', n: 0.1 },
  p8: { userName: ' a', sn: 'a\tb', note: ' a', n: true },
};
const ALL = Object.keys(USERS);
const objects: Record<string, unknown>[] = Object.entries(USERS).map(([id, u]) => ({ _id: id, _rev: '1', ...u }));

/** [filter, ids of the users it finds]: the same on every backend and in memory. */
const CASES: [string, string[]][] = [
  // Exact: no case, accent or compatibility folding, and trailing spaces count (PAD SPACE would not).
  ['userName eq "a"', ['p1']],
  ['userName eq "a "', ['p2']],
  ['userName eq "A"', ['p3']],
  ['userName eq "á"', ['p4']],
  ['sn eq "ss"', ['p5']],
  ['sn eq "ß"', ['p4']],
  ['sn eq "ff"', ['p7']],
  ['sn eq "e"', ['p1']],
  ['/note eq "a"', ['p1']],
  ['/note eq "a "', ['p2']],
  ['/note eq "A"', ['p3']],
  ['/note eq "ss"', ['p5']],
  // Contains and starts-with count characters, not bytes, and do not fold either.
  ['userName sw "a"', ['p1', 'p2']],
  ['userName sw " "', ['p8']],
  ['userName co " "', ['p2', 'p8']],
  ['userName co "á"', ['p4']],
  ['userName sw "😀"', ['p6']],
  ['/note sw "a"', ['p1', 'p2']],
  ['/note co " "', ['p2', 'p8']],
  ['/note sw "😀"', ['p6']],
  [String.raw`sn co "\t"`, ['p8']],
  // Order is code point: "a" < "a " (not equal), and U+1F600 sorts after U+FFFF.
  ['userName gt "a"', ['p2', 'p4', 'p5', 'p6', 'p7']],
  ['userName lt "a "', ['p1', 'p3', 'p8']],
  ['/note gt "a"', ['p2', 'p4', 'p5', 'p6', 'p7']],
  ['/note le "A"', ['p3', 'p8']],
  [String.raw`userName gt "\uffff"`, ['p6']],
  [String.raw`/note gt "\uffff"`, ['p6']],
  [String.raw`sn ge "\uffff"`, ['p6']],
  // Numbers: compared as numbers, never as their text; strings and booleans are not numbers.
  ['/n eq 1', ['p1']],
  ['/n gt 1', ['p2', 'p3', 'p4']],
  ['/n lt 0', ['p5']],
  ['/n eq 9007199254740991', ['p4']],
  ['/n ge 0.1', ['p1', 'p2', 'p3', 'p4', 'p7']],
  ['/n eq "1"', ['p6']],
  ['/n eq true', ['p8']],
  ['/n pr', ALL],
];

/** Jobs: an integer id shown as a string, a number column and text columns. */
const JOB_CASES: [string, number[]][] = [
  ['_id eq "2"', [2]],
  ['_id eq 2', [2]],
  ['_id eq "02"', [2]],
  ['_id eq "x"', []],
  ['_id gt 2', [3, 4]],
  ['attempts ge 2', [3, 4]],
  ['attempts eq "2"', []],
  ['key eq "k "', [2]],
  ['key eq "k"', [1]],
  ['key sw "K"', [3]],
  ['state eq "dead" or attempts lt 1', [1, 4]],
];

const describeName = /^(mysql|mariadb):/.test(process.env.DATABASE_URL ?? '') ? 'MariaDB/MySQL' : process.env.DATABASE_URL?.startsWith('postgres') ? 'PostgreSQL' : 'SQLite';

describe(`query filter parity on ${describeName}`, () => {
  let db: TestDb;

  beforeAll(async () => {
    db = await createTestDb();
    await db.knex('managed_user').insert(objects.map((o) => ({
      id: o._id, rev: o._rev, user_name: o.userName, sn: o.sn, obj: JSON.stringify(o),
    })));
    const job = (id: number, key: string, state: string, attempts: number) => ({
      id, key, type: 't', payload: '{}', state, attempts, max_attempts: 8, run_at: 0, created_at: 'x', updated_at: 'x',
    });
    await db.knex('job').insert([job(1, 'k', 'queued', 0), job(2, 'k ', 'queued', 1), job(3, 'K', 'running', 2), job(4, 'k2', 'dead', 8)]);
  });
  afterAll(async () => {
    await db.destroy();
  });

  async function ids(filter: Filter, resolve: FieldResolver = managedUserResolver): Promise<string[]> {
    const rows = await applyFilter(db.knex('managed_user').select('id'), filter, resolve, db.dialect).orderBy('id');
    return rows.map((r: { id: string }) => r.id);
  }

  it.each(CASES)('%s', async (text, expected) => {
    const filter = parseQueryFilter(text);
    expect(objects.filter((o) => matchesFilter(filter, o)).map((o) => o._id)).toEqual(expected);
    expect(await ids(filter)).toEqual(expected);
  });

  it.each(JOB_CASES)('jobs: %s', async (text, expected) => {
    const rows = await applyFilter(db.knex('job').select('id'), parseQueryFilter(text), jobResolver, db.dialect).orderBy('id');
    expect(rows.map((r: { id: unknown }) => Number(r.id))).toEqual(expected);
  });

  it('sorts strings by code point, columns and JSON alike', async () => {
    const byCodePoint = [...objects].sort((a, b) => cmp(String(a.userName), String(b.userName))).map((o) => o._id);
    for (const field of [['userName'], ['note']]) {
      const qb = db.knex('managed_user').select('id');
      orderByField(qb, field, false, managedUserResolver, db.dialect);
      expect((await qb.orderBy('id')).map((r: { id: string }) => r.id)).toEqual(byCodePoint);
    }
  });

  it('sorts a JSON field numbers first (by value), then strings, then booleans', async () => {
    const qb = db.knex('managed_user').select('id');
    orderByField(qb, ['n'], false, managedUserResolver, db.dialect);
    expect((await qb.orderBy('id')).map((r: { id: string }) => r.id)).toEqual(['p5', 'p7', 'p1', 'p2', 'p3', 'p4', 'p6', 'p8']);
  });
});

/** Code-point order (JavaScript's < compares UTF-16 units). */
function cmp(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
