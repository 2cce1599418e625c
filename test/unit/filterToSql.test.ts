// Runs every filter against a real database (SQLite, or PostgreSQL or MariaDB when DATABASE_URL says so) and
// through matchesFilter, and requires both to find the same users.
import { crestErrorOf } from '../../src/api/errors';
import { CrestError } from '../../src/crest/errors';
import { DomainError, InvalidInput } from '../../src/errors';

/** The HTTP status a refusal answers with (the query parser throws CREST errors, the SQL translation domain ones). */
const statusOf = (e: unknown) => (e instanceof CrestError ? e.code : e instanceof DomainError ? crestErrorOf(e).code : undefined);
import { Filter, matchesFilter, parseQueryFilter } from '../../src/crest/queryFilter';
import { applyFilter, assertSafeSegment, FieldResolver, managedUserResolver, orderByField } from '../../src/repo/filterToSql';
import { createTestDb, TestDb } from '../helpers/db';

const USERS: Record<string, Record<string, unknown>> = {
  u1: {
    userName: 'alice', givenName: 'Alice', sn: 'Smith', mail: 'alice@example.com', accountStatus: 'active',
    age: 30, score: 9.5, active: true, address: { city: 'Paris', zip: '75001' }, tags: ['admin', 'dev'],
    note: `O'Brien "quoted"`, 'key.with.dots': 'dotted',
  },
  u2: {
    userName: 'Bob', givenName: 'Bob', sn: "O'Brien", mail: 'bob%_@example.com', accountStatus: 'active',
    age: 10, active: false, address: { city: 'paris' }, code: '10', note: '100%',
  },
  u3: {
    userName: 'carol; DROP TABLE managed_user; --', givenName: 'Carol', sn: '100%', mail: 'carol@example.com',
    accountStatus: 'inactive', age: -5, note: '50_50', active: 'true',
  },
  u4: { userName: 'dave', givenName: '日本語', sn: 'Ünïcödé', mail: null, accountStatus: 'active', age: '30', emoji: '😀', note: 'ﬀ' },
  u5: {
    userName: 'ALICE', givenName: 'alice', sn: 'smith', mail: 'ALICE@EXAMPLE.COM', accountStatus: 'inactive',
    age: 1000, score: 1, deep: { a: { b: { c: 1 } } },
  },
  u6: {
    userName: 'eve_', givenName: 'Eve', sn: '--', mail: 'eve_@example.com', accountStatus: 'active',
    age: 2.5, 'a-b@c$d:e': 'weird', nullField: null, null: 'strkey',
  },
  u7: { userName: 'frank', sn: 'Frank', accountStatus: 'staged', flags: { admin: true } },
  u8: { userName: `x"y'z`, givenName: '"quoted"', sn: 'a\\b', mail: 'x@example.com', accountStatus: 'active', age: 0, active: true, score: -0.5 },
};
const ALL = Object.keys(USERS);
const except = (...ids: string[]) => ALL.filter((id) => !ids.includes(id));
const objects: Record<string, unknown>[] = Object.entries(USERS).map(([id, u]) => ({ _id: id, _rev: '1', ...u }));

/** [filter, ids of the users it finds] */
const CASES: [string, string[]][] = [
  // Columns: exact, case-sensitive, no LIKE wildcards.
  ['userName eq "alice"', ['u1']],
  ['userName eq "ALICE"', ['u5']],
  ['userName co "lic"', ['u1']],
  ['userName co "LIC"', ['u5']],
  ['userName sw "a"', ['u1']],
  ['userName sw "A"', ['u5']],
  ['userName co "_"', ['u3', 'u6']],
  ['userName co ""', ALL],
  ['mail co "%"', ['u2']],
  ['mail co "%_"', ['u2']],
  ['mail sw "%"', []],
  ['mail sw "_"', []],
  ['sn eq "O\'Brien"', ['u2']],
  [String.raw`sn eq 'O\'Brien'`, ['u2']],
  ['sn co "%"', ['u3']],
  ['sn eq "--"', ['u6']],
  [String.raw`sn eq "a\\b"`, ['u8']],
  ['userName eq "carol; DROP TABLE managed_user; --"', ['u3']],
  ['userName co "; DROP"', ['u3']],
  [String.raw`userName eq "x\"y'z"`, ['u8']],
  [String.raw`givenName eq "\"quoted\""`, ['u8']],
  ['givenName eq "日本語"', ['u4']],
  [String.raw`givenName eq "\u65e5\u672c\u8a9e"`, ['u4']],
  ['sn sw "Ü"', ['u4']],
  ['sn co "ö"', ['u4']],
  ['mail pr', except('u4', 'u7')],
  ['!(mail pr)', ['u4', 'u7']],
  ['givenName pr', except('u7')],
  ['!(mail eq "alice@example.com")', except('u1')],
  ['!(givenName sw "A")', except('u1')],
  ['sn gt "Smith"', ['u4', 'u5', 'u8']],
  ['sn lt "O"', ['u3', 'u6', 'u7']],
  ['sn le "O\'Brien"', ['u2', 'u3', 'u6', 'u7']],
  ['sn ge "a"', ['u4', 'u5', 'u8']],
  ['_id eq "u3"', ['u3']],
  ['_id eq 3', []],
  ['_id sw "u"', ALL],
  ['_rev eq "1"', ALL],
  ['accountStatus eq "active" and !(userName co "a")', ['u2', 'u6', 'u8']],
  ['userName eq "alice" or userName eq "Bob" and /age eq 99', ['u1']],
  ['userName eq "alice" or userName eq "Bob" and /age eq 10', ['u1', 'u2']],
  ['(userName eq "alice" or userName eq "Bob") and /age eq 10', ['u2']],
  // JSON numbers, strings and booleans stay apart.
  ['/age eq 30', ['u1']],
  ['/age eq "30"', ['u4']],
  ['/age gt 5', ['u1', 'u2', 'u5']],
  ['/age lt 0', ['u3']],
  ['/age ge 2.5', ['u1', 'u2', 'u5', 'u6']],
  ['/age le 0', ['u3', 'u8']],
  ['/age eq 1e3', ['u5']],
  ['/age eq -0', ['u8']],
  ['/age gt "3"', ['u4']],
  ['/age co "3"', ['u4']],
  ['/age sw "3"', ['u4']],
  ['/age co 3', []],
  ['/score lt 0', ['u8']],
  ['/score eq 9.5', ['u1']],
  ['/active eq true', ['u1', 'u8']],
  ['/active eq false', ['u2']],
  ['/active eq "true"', ['u3']],
  ['/active eq 1', []],
  ['/active gt false', []],
  ['!(/active eq true)', except('u1', 'u8')],
  ['/active pr', ['u1', 'u2', 'u3', 'u8']],
  ['/code eq 10', []],
  ['/code eq "10"', ['u2']],
  ['/code lt 20', []],
  // Nesting, odd keys, null and missing.
  ['/address/city eq "Paris"', ['u1']],
  ['/address/city eq "paris"', ['u2']],
  ['/address/city co ""', ['u1', 'u2']],
  ['/address pr', ['u1', 'u2']],
  ['/address eq "Paris"', []],
  ['/deep/a/b/c eq 1', ['u5']],
  ['/deep/a/b pr', ['u5']],
  ['/flags/admin eq true', ['u7']],
  ['/nullField pr', []],
  ['!(/nullField pr)', ALL],
  ['/nullField eq null', []],
  ['/age eq null', []],
  ['!(/age eq null)', ALL],
  ['/null eq "strkey"', ['u6']],
  ['/key.with.dots eq "dotted"', ['u1']],
  ['/a-b@c$d:e eq "weird"', ['u6']],
  ['/note co "%"', ['u2']],
  ['/note co "_"', ['u3']],
  [String.raw`/note eq "O'Brien \"quoted\""`, ['u1']],
  ['/emoji eq "😀"', ['u4']],
  [String.raw`/emoji eq "\ud83d\ude00"`, ['u4']],
  // Code-point order: U+1F600 sorts after U+FB00 although its first UTF-16 unit does not.
  [String.raw`/emoji gt "\ufb00"`, ['u4']],
  [String.raw`/emoji lt "\uffff"`, []],
  [String.raw`/note ge "\ufb00"`, ['u4']],
  ['/tags pr', ['u1']],
  ['/missing eq "x" or !(/missing eq "x")', ALL],
  ['/constructor pr', []],
  ['/_id/x pr', []],
  ['/userName/length pr', []],
  ['true', ALL],
  ['false', []],
  ['!true', []],
  ['!false', ALL],
  // Injection attempts that are just odd values or keys: they match literally, i.e. nothing.
  [`userName eq "x' OR '1'='1"`, []],
  [String.raw`userName eq "a\"; DROP TABLE managed_user; --"`, []],
  [String.raw`userName eq 'x\' OR 1=1 --'`, []],
  ['userName eq "alice\' --"', []],
  ['/obj pr', []],
  ['/$.userName pr', []],
  ['/obj/userName eq "alice"', []],
];

/** Filters that must be refused with a 400 before any SQL runs. */
const REFUSED: string[] = [
  '/"x eq 1',
  '/a;drop pr',
  '/a;drop table managed_user eq 1',
  `/x') OR 1=1 -- pr`,
  '/a]b pr',
  '/a"b pr',
  '/a,b pr',
  '/a{b} pr',
  '/a\\b pr',
  '/日本 pr',
  `/${'a'.repeat(129)} pr`,
  '/password pr',
  'password eq "secret"',
  '/password/x pr',
  'userName eq "alice" or password sw "a"',
  '/tags/0 eq "admin"',
  String.raw`userName eq "\u0000"`,
  String.raw`userName eq "\ud800"`,
  'userName eq', // a parse error, for completeness
];

describe(`filterToSql on ${/^(mysql|mariadb):/.test(process.env.DATABASE_URL ?? '') ? 'MariaDB/MySQL' : process.env.DATABASE_URL?.startsWith('postgres') ? 'PostgreSQL' : 'SQLite'}`, () => {
  let db: TestDb;

  beforeAll(async () => {
    db = await createTestDb();
    await db.knex('managed_user').insert(objects.map((o) => ({
      id: o._id,
      rev: o._rev,
      user_name: o.userName,
      given_name: o.givenName ?? null,
      sn: o.sn ?? null,
      mail: o.mail ?? null,
      account_status: o.accountStatus ?? null,
      obj: JSON.stringify(o),
      password_hash: `hash-of-${o._id}`,
    })));
  });
  afterAll(async () => { await db.destroy(); });

  async function idsFor(filter: Filter, resolve: FieldResolver = managedUserResolver): Promise<string[]> {
    const rows = await applyFilter(db.knex('managed_user').select('id'), filter, resolve, db.dialect).orderBy('id');
    return rows.map((r: { id: string }) => r.id);
  }
  const inMemory = (filter: Filter) => objects.filter((o) => matchesFilter(filter, o)).map((o) => o._id as string);

  it.each(CASES)('%s', async (text, expected) => {
    const filter = parseQueryFilter(text);
    expect(await idsFor(filter)).toEqual(expected);
    expect(inMemory(filter)).toEqual(expected);
  });

  it.each(REFUSED)('refuses %s with a 400', async (text) => {
    let error: unknown;
    try {
      await idsFor(parseQueryFilter(text));
    } catch (e) {
      error = e;
    }
    expect(statusOf(error)).toBe(400);
  });

  it('still has every user after the injection attempts', async () => {
    expect(await db.knex.schema.hasTable('managed_user')).toBe(true);
    const [{ n }] = await db.knex('managed_user').count({ n: '*' });
    expect(Number(n)).toBe(ALL.length);
  });

  it('keeps its ORs apart from the caller’s where-clauses', async () => {
    const filter = parseQueryFilter('userName eq "alice" or userName eq "Bob"');
    const rows = await applyFilter(db.knex('managed_user').select('id').where('account_status', 'inactive'), filter, managedUserResolver, db.dialect);
    expect(rows).toEqual([]);
  });

  it('treats empty and/or as true/false and odd values as matching nothing', async () => {
    expect(await idsFor({ type: 'and', operands: [] })).toEqual(ALL);
    expect(await idsFor({ type: 'or', operands: [] })).toEqual([]);
    const odd = { type: 'compare', op: 'eq', field: ['address'], value: { city: 'Paris' } } as unknown as Filter;
    expect(await idsFor(odd)).toEqual([]);
    expect(inMemory(odd)).toEqual([]);
  });

  it('leaves multi-valued matching to matchesFilter: SQL compares scalars only', async () => {
    const filter = parseQueryFilter('/tags eq "admin"');
    expect(await idsFor(filter)).toEqual([]);
    expect(inMemory(filter)).toEqual(['u1']);
  });

  it('binds values and paths instead of writing them into the SQL', () => {
    const filter = parseQueryFilter(`userName eq "x' OR '1'='1" or /address/city co "Par" or /age gt 3`);
    const { sql, bindings } = applyFilter(db.knex('managed_user'), filter, managedUserResolver, db.dialect).toSQL();
    expect(sql).not.toMatch(/OR '1'|Par|address|city|\b3\b/);
    expect(bindings).toEqual(expect.arrayContaining([`x' OR '1'='1`, 'Par']));
  });

  it('supports number and boolean columns through a custom resolver', async () => {
    // rev holds "1" as text; a number-typed target must not match the string, as in memory.
    const resolver: FieldResolver = (field) => (field[0] === 'rev' ? { kind: 'column', column: 'rev', type: 'number' } : managedUserResolver(field));
    expect(await idsFor(parseQueryFilter('rev eq "1"'), resolver)).toEqual([]);
    expect(await idsFor(parseQueryFilter('rev pr'), resolver)).toEqual(ALL);
  });

  describe('orderByField', () => {
    async function sorted(field: string[], descending: boolean): Promise<string[]> {
      const qb = db.knex('managed_user').select('id');
      orderByField(qb, field, descending, managedUserResolver, db.dialect);
      return (await qb.orderBy('id')).map((r: { id: string }) => r.id);
    }

    it('orders columns by code point, missing values last', async () => {
      expect(await sorted(['userName'], false)).toEqual(['u5', 'u2', 'u1', 'u3', 'u4', 'u6', 'u7', 'u8']);
      expect(await sorted(['givenName'], false)).toEqual(['u8', 'u1', 'u2', 'u3', 'u6', 'u5', 'u4', 'u7']);
      expect(await sorted(['givenName'], true)).toEqual(['u7', 'u4', 'u5', 'u6', 'u3', 'u2', 'u1', 'u8']);
    });

    it('orders JSON fields numbers first, then strings, then booleans, then missing', async () => {
      expect(await sorted(['age'], false)).toEqual(['u3', 'u8', 'u6', 'u2', 'u1', 'u5', 'u4', 'u7']);
      expect(await sorted(['age'], true)).toEqual(['u7', 'u4', 'u5', 'u1', 'u2', 'u6', 'u8', 'u3']);
      expect(await sorted(['active'], false)).toEqual(['u3', 'u2', 'u1', 'u8', 'u4', 'u5', 'u6', 'u7']);
      expect(await sorted(['address', 'city'], false)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8']);
    });

    it('refuses fields that cannot be queried', () => {
      const qb = db.knex('managed_user');
      expect(() => orderByField(qb, ['password'], false, managedUserResolver, db.dialect)).toThrow(InvalidInput);
      expect(() => orderByField(qb, ['a;b'], false, managedUserResolver, db.dialect)).toThrow(InvalidInput);
    });
  });
});

describe('managedUserResolver and assertSafeSegment', () => {
  it('maps the indexed properties to columns and the rest into obj', () => {
    expect(managedUserResolver(['userName'])).toEqual({ kind: 'column', column: 'user_name', type: 'string' });
    expect(managedUserResolver(['_id'])).toEqual({ kind: 'column', column: 'id', type: 'string' });
    expect(managedUserResolver(['accountStatus'])).toEqual({ kind: 'column', column: 'account_status', type: 'string' });
    expect(managedUserResolver(['address', 'city'])).toEqual({ kind: 'json', column: 'obj', path: ['address', 'city'] });
    expect(managedUserResolver(['constructor'])).toEqual({ kind: 'json', column: 'obj', path: ['constructor'] });
  });

  it('names the refused field', () => {
    expect(() => assertSafeSegment('a;b')).toThrow(/'a;b'/);
    expect(() => assertSafeSegment('')).toThrow(InvalidInput);
    expect(() => assertSafeSegment('ok-Name_1.x@y$z:w')).not.toThrow();
  });
});
