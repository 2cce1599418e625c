// IndexedCsvReader (the createUser job's read by id) must answer exactly what a scan answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCsvById } from '../../../src/recon/csv/records';
import { IndexedCsvReader } from '../../../src/recon/csv/rowIndex';
import { CsvConnectorConfig } from '../../../src/recon/interfaces';

const HEADER = '"description", "uid", "username", "firstname", "lastname", "email", "mobileTelephoneNumber", "roles"';
const row = (uid: string, extra = 'x') => `"Created By CSV", "${uid}", "${uid}@example.com", "${extra}", "Last", "${uid}@example.com", "1234567", "internal/role/openidm-authorized"`;

describe('IndexedCsvReader', () => {
  let dir: string;
  let file: string;
  let cfg: CsvConnectorConfig;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-index-'));
    file = path.join(dir, 'accounts.csv');
    cfg = { csvFile: file, headerUid: 'uid', maxFieldLength: 65536 };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads like readCsvById: plain, multi-line, duplicate, bad, blank, CRLF and missing rows', async () => {
    const lines = [
      '\ufeff' + HEADER,
      row('a1'),
      '',
      '"multi", "m1", "m1@example.com", "line one\nline two", "Last", "m1@example.com", "1", "r"',
      row('dup', 'first'),
      '"broken", "bad1", "unterminated',
      row('b2'),
      row('dup', 'second'),
      'too, few',
      row('é€', 'ünïcode'),
    ];
    fs.writeFileSync(file, lines.join('\r\n') + '\r\n');
    const reader = new IndexedCsvReader(file, cfg);
    for (const id of ['a1', 'm1', 'dup', 'b2', 'é€', 'bad1', 'nope', 'too']) {
      expect(await reader.read(id)).toEqual(await readCsvById(file, cfg, id));
    }
    expect((await reader.read('m1'))?.firstname).toBe('line one\nline two');
    expect((await reader.read('dup'))?.firstname).toBe('first');
  });

  it('notices a changed file', async () => {
    fs.writeFileSync(file, [HEADER, row('a1', 'old')].join('\n') + '\n');
    const reader = new IndexedCsvReader(file, cfg);
    expect((await reader.read('a1'))?.firstname).toBe('old');
    await new Promise((r) => setTimeout(r, 20));
    fs.writeFileSync(file, [HEADER, row('z9'), row('a1', 'new value')].join('\n') + '\n');
    expect((await reader.read('a1'))?.firstname).toBe('new value');
    expect(await reader.read('z9')).toEqual(await readCsvById(file, cfg, 'z9'));
  });

  it('reports a missing file as a scan does', async () => {
    const reader = new IndexedCsvReader(path.join(dir, 'missing.csv'), { ...cfg, csvFile: path.join(dir, 'missing.csv') });
    await expect(reader.read('a1')).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
  });

  it('reads 20,000 rows by id without scanning each time', async () => {
    fs.writeFileSync(file, [HEADER, ...Array.from({ length: 20_000 }, (_, i) => row(`u${i}`, `n${i}`))].join('\n') + '\n');
    const reader = new IndexedCsvReader(file, cfg);
    const t0 = Date.now();
    for (let i = 0; i < 20_000; i += 97) expect((await reader.read(`u${i}`))?.firstname).toBe(`n${i}`);
    expect(Date.now() - t0).toBeLessThan(20_000); // a scan per read would take minutes
  });
});
