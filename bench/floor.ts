// In-run baseline for (a): the fastest plain way to do a recon's I/O on this machine. papaparse
// streams the same CSV, each row is mapped to the managed user that sync.json's properties give
// (in plain JS, no sandbox), and the rows are inserted into a fresh SQLite file (WAL,
// synchronous=NORMAL, prepared statements, one transaction per 1,000 rows) with managed_user's
// columns and indexes.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import Papa from 'papaparse';

export interface FloorResult {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
}

const unquote = (s: string) => {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t;
};

export async function runFloor(csvFile: string, dbFile: string, batch = 1000): Promise<FloorResult> {
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE managed_user (id varchar(255) PRIMARY KEY, rev varchar(32) NOT NULL, user_name varchar(255) UNIQUE,
    given_name varchar(255), sn varchar(255), mail varchar(255), account_status varchar(64), obj text NOT NULL, password_hash text);
    CREATE INDEX mu_given_name ON managed_user (given_name); CREATE INDEX mu_sn ON managed_user (sn);
    CREATE INDEX mu_mail ON managed_user (mail); CREATE INDEX mu_account_status ON managed_user (account_status);`);
  const insert = db.prepare('INSERT INTO managed_user (id, rev, user_name, given_name, sn, mail, account_status, obj) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const insertMany = db.transaction((rows: unknown[][]) => {
    for (const r of rows) insert.run(r);
  });
  const t0 = process.hrtime.bigint();
  let header: string[] | null = null;
  let pending: unknown[][] = [];
  let rows = 0;
  await new Promise<void>((resolve, reject) => {
    Papa.parse<string[]>(fs.createReadStream(csvFile, { encoding: 'utf8' }), {
      delimiter: ',',
      skipEmptyLines: true,
      step: (res) => {
        const fields = res.data.map(unquote);
        if (!header) {
          header = fields;
          return;
        }
        const src: Record<string, string> = {};
        header.forEach((h, i) => (src[h] = fields[i]));
        const roles = (src.roles ?? '').split(',').map((r) => r.trim()).filter(Boolean).map((r) => ({ _ref: r.startsWith('internal/') ? r : `internal/role/${r}` }));
        const obj = {
          description: src.description, givenName: src.firstname, mail: src.email, sn: src.lastname, userName: src.uid,
          telephoneNumber: src.mobileTelephoneNumber, authzRoles: roles, accountStatus: 'active', effectiveRoles: [], effectiveAssignments: [],
        };
        pending.push([src.uid, '0', obj.userName, obj.givenName, obj.sn, obj.mail, obj.accountStatus, JSON.stringify(obj)]);
        rows++;
        if (pending.length >= batch) {
          insertMany(pending);
          pending = [];
        }
      },
      complete: () => resolve(),
      error: (err: Error) => reject(err),
    });
  });
  if (pending.length) insertMany(pending);
  db.close();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { rows, seconds, rowsPerSecond: rows / seconds };
}

if (require.main === module) {
  const [csv, db] = process.argv.slice(2);
  void runFloor(csv, db ?? 'bench/out/floor.sqlite').then((r) => console.log(JSON.stringify(r)));
}
