// An error made in another realm (a vm context; jest's realm for better-sqlite3's SqliteError) is
// logged like any Error: its code and the statement's shape, never the row values.
import vm from 'node:vm';
import { describeError, errorMessage } from '../../src/log';

describe('describeError across realms', () => {
  const foreign = vm.runInNewContext(`(() => { const e = new Error('insert into t (a) values (?) - UNIQUE constraint failed: t.a'); e.name = 'SqliteError'; e.code = 'SQLITE_CONSTRAINT_UNIQUE'; return e; })()`) as Error;

  it('is not an Error of this realm (the case under test)', () => {
    expect(foreign instanceof Error).toBe(false);
  });

  it('keeps the name, the code and the statement shape', () => {
    expect(describeError(foreign)).toMatch(/^SqliteError \[SQLITE_CONSTRAINT_UNIQUE\]: UNIQUE constraint failed: t\.a \(statement: insert into t \(a\) values \(\?\)\)/);
    expect(errorMessage(foreign)).toBe('UNIQUE constraint failed: t.a (statement: insert into t (a) values (?))');
  });
});
