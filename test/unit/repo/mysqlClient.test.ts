// The MariaDB backend's pure parts: the URL, the servers it accepts, the collation it asks for.
import { assertSupportedServer, binaryCollation, parseMySQLUrl } from '../../../src/repo/mysqlClient';

describe('MariaDB connection settings', () => {
  it('reads mysql:// and mariadb:// URLs, the database from the path unless one is given', () => {
    expect(parseMySQLUrl('mysql://root@127.0.0.1:3306/ci')).toEqual({ host: '127.0.0.1', port: 3306, user: 'root', password: undefined, database: 'ci' });
    expect(parseMySQLUrl('mariadb://app:p%40ss@db.example/reconflow')).toEqual({ host: 'db.example', port: 3306, user: 'app', password: 'p@ss', database: 'reconflow' });
    expect(parseMySQLUrl('mysql://root@127.0.0.1/ci', 'other').database).toBe('other');
    expect(() => parseMySQLUrl('mysql://root@127.0.0.1:3306/')).toThrow(/names no database/);
  });

  it('accepts MariaDB 10.6 and later, and says why it refuses older MariaDB and MySQL', () => {
    expect(() => assertSupportedServer('10.11.19-MariaDB-0+deb12u1')).not.toThrow();
    expect(() => assertSupportedServer('10.6.0-MariaDB')).not.toThrow();
    expect(() => assertSupportedServer('11.4.2-MariaDB')).not.toThrow();
    expect(() => assertSupportedServer('10.5.23-MariaDB')).toThrow(/10\.6 or later \(FOR UPDATE SKIP LOCKED\)/);
    expect(() => assertSupportedServer('8.0.36')).toThrow(/not yet on MySQL/);
  });

  it('asks for the binary NO PAD collation by the server’s own name', () => {
    expect(binaryCollation('10.11.19-MariaDB')).toBe('utf8mb4_nopad_bin');
    expect(binaryCollation('8.0.36')).toBe('utf8mb4_0900_bin');
  });
});
