// A CSV of the sample's shape (data/csvConnectorData.csv): quoted fields with the sample's quirk of
// a space after each comma, `uid` as the id column, `roles` a comma-separated list.
//
//   node dist/bench/generateCsv.js --n 100000 --out /tmp/accounts.csv [--prefix user]
import fs from 'node:fs';

export const HEADER = ['description', 'uid', 'username', 'firstname', 'lastname', 'email', 'mobileTelephoneNumber', 'roles'];

/** The uid of row i (0-based): zero-padded so ids sort like the rows. */
export function uidOf(i: number, prefix = 'user'): string {
  return `${prefix}${String(i).padStart(7, '0')}`;
}

export function rowOf(i: number, prefix = 'user'): string[] {
  const uid = uidOf(i, prefix);
  const roles = i % 10 === 0 ? 'internal/role/openidm-admin,internal/role/openidm-authorized' : 'internal/role/openidm-authorized';
  return ['Created By CSV', uid, `${uid}@example.com`, `First${i}`, `Last${i}`, `${uid}@example.com`, String(5_550_000 + (i % 1_000_000)), roles];
}

const line = (fields: string[]) => fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(', ') + '\n';

/** Writes n rows (plus the header) to `file`; returns its size in bytes. */
export function generateCsv(file: string, n: number, prefix = 'user'): number {
  const fd = fs.openSync(file, 'w');
  try {
    let buf = line(HEADER);
    for (let i = 0; i < n; i++) {
      buf += line(rowOf(i, prefix));
      if (buf.length > 1 << 20) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    }
    fs.writeSync(fd, buf);
  } finally {
    fs.closeSync(fd);
  }
  return fs.statSync(file).size;
}

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

if (require.main === module) {
  const n = Number(arg('n', '1000'));
  const out = arg('out', 'bench/out/accounts.csv')!;
  const bytes = generateCsv(out, n, arg('prefix', 'user'));
  console.log(`${out}: ${n} rows, ${bytes} bytes`);
}
