import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CsvReadStats, readCsv, readCsvById, readCsvHeader } from '../../../src/recon/csv/records';
import { CsvPreprocessor } from '../../../src/recon/csv/tokenize';
import { createCsvConnector, loadCsvConnectorConfig } from '../../../src/recon/connector';
import { CsvConnectorConfig, SourceRecord } from '../../../src/recon/interfaces';

const ROOT = path.resolve(__dirname, '../../..');
const SAMPLE = path.join(ROOT, 'data/csvConnectorData.csv');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-csv-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function cfg(file: string, extra: Partial<CsvConnectorConfig> = {}): CsvConnectorConfig {
  return { csvFile: file, headerUid: 'uid', maxFieldLength: 65536, ...extra };
}

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

async function collect(file: string, c: CsvConnectorConfig = cfg(file)): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of readCsv(file, c)) out.push(r);
  return out;
}

function okRecord(r: SourceRecord | undefined) {
  if (!r || !r.ok) throw new Error(`expected an ok record, got ${JSON.stringify(r)}`);
  return r;
}

function errRecord(r: SourceRecord | undefined) {
  if (!r || r.ok) throw new Error(`expected an error record, got ${JSON.stringify(r)}`);
  return r;
}

describe('the sample CSV (a space after each comma, before the quote)', () => {
  it('yields exactly the two users, without stray spaces or quotes', async () => {
    const records = await collect(SAMPLE);
    expect(records).toHaveLength(2);
    const bjensen = okRecord(records[0]);
    expect(bjensen.line).toBe(2);
    expect(bjensen.object).toEqual({
      _id: 'bjensen',
      name: 'bjensen',
      description: 'Created By CSV',
      username: 'bjensen@example.com',
      firstname: 'Barbara',
      lastname: 'Jensen',
      email: 'bjensen@example.com',
      mobileTelephoneNumber: '1234567',
      roles: 'internal/role/openidm-authorized',
    });
    expect(bjensen.hash).toMatch(/^[0-9a-f]{64}$/);
    const scarter = okRecord(records[1]);
    expect(scarter.object._id).toBe('scarter');
    expect(scarter.object.roles).toBe('internal/role/openidm-admin,internal/role/openidm-authorized');
    for (const r of records.map(okRecord)) {
      for (const [k, v] of Object.entries(r.object)) {
        expect(k).toMatch(/^[^\s"]/);
        expect(String(v)).not.toMatch(/^\s|"|\s$/);
      }
    }
  });

  it('reads the header trimmed and unquoted', async () => {
    expect(await readCsvHeader(SAMPLE)).toEqual(['description', 'uid', 'username', 'firstname', 'lastname', 'email', 'mobileTelephoneNumber', 'roles']);
  });

  it('hashes the canonical row: same content → same hash, changed content → different hash', async () => {
    const a = write('hash-a.csv', 'uid,b,c\nx,1,2\n');
    const b = write('hash-b.csv', 'c, "uid",b\r\n"2", x,1\r\n'); // columns reordered, other quoting and line ends
    const c = write('hash-c.csv', 'uid,b,c\nx,1,3\n');
    const [ra] = await collect(a);
    const [rb] = await collect(b);
    const [rc] = await collect(c);
    expect(okRecord(rb).object).toEqual({ _id: ' x', name: ' x', b: '1', c: '2' }); // unquoted fields keep their spaces
    expect(okRecord(ra).hash).not.toBe(okRecord(rc).hash);
    const d = write('hash-d.csv', 'c,uid,b\n2,x,1\n');
    const [rd] = await collect(d);
    expect(okRecord(rd).hash).toBe(okRecord(ra).hash);
  });

  it('loads the provisioner config and serves the sample through a SourceConnector', async () => {
    const conf = JSON.parse(fs.readFileSync(path.join(ROOT, 'conf/provisioner.openicf-csvfile.json'), 'utf8'));
    const c = loadCsvConnectorConfig(conf, ROOT);
    expect(c).toEqual({ csvFile: SAMPLE, headerUid: 'uid', maxFieldLength: 65536 });
    const connector = createCsvConnector(c);
    expect([connector.name, connector.objectType]).toEqual(['csvfile', 'account']);
    const ids: string[] = [];
    for await (const r of connector.query()) ids.push(okRecord(r).object._id);
    expect(ids).toEqual(['bjensen', 'scarter']);
    expect((await connector.read('scarter'))?.firstname).toBe('Steven');
    expect(await connector.read('nobody')).toBeNull();
  });
});

describe('loadCsvConnectorConfig', () => {
  const base = { configurationProperties: { csvFile: 'data/x.csv' } };
  it('resolves csvFile against the project and applies defaults', () => {
    expect(loadCsvConnectorConfig(base, '/proj')).toEqual({ csvFile: '/proj/data/x.csv', headerUid: 'uid', maxFieldLength: 65536 });
    expect(
      loadCsvConnectorConfig({ configurationProperties: { csvFile: '/abs.csv', headerUid: 'id', headerName: 'login', encoding: 'latin1', maxFieldLength: 100 } }, '/proj'),
    ).toEqual({ csvFile: '/abs.csv', headerUid: 'id', headerName: 'login', encoding: 'latin1', maxFieldLength: 100 });
  });
  it.each([
    [null, /must be a JSON object/],
    [{}, /configurationProperties is required/],
    [{ configurationProperties: {} }, /configurationProperties\.csvFile is required/],
    [{ configurationProperties: { csvFile: 3 } }, /configurationProperties\.csvFile is required/],
    [{ configurationProperties: { csvFile: 'a', headerUid: '' } }, /configurationProperties\.headerUid/],
    [{ configurationProperties: { csvFile: 'a', headerName: 5 } }, /configurationProperties\.headerName/],
    [{ configurationProperties: { csvFile: 'a', encoding: 'klingon' } }, /configurationProperties\.encoding/],
    [{ configurationProperties: { csvFile: 'a', maxFieldLength: 0 } }, /configurationProperties\.maxFieldLength/],
  ])('rejects %j', (conf, message) => {
    expect(() => loadCsvConnectorConfig(conf, '/proj')).toThrow(message);
  });
});

describe('a messy CSV', () => {
  const huge = 'y'.repeat(100_000);
  const lines = [
    '\uFEFF"description", "uid", "email"', // 1 (BOM)
    '"ok1", "u1", "a@x"', // 2
    '"quoted, comma", "u2", "say ""hi"""', // 3
    '"multi\r\nline", "u3", "m@x"', // 4-5
    '"broken"x, "u4", "b@x"', // 6: InvalidQuotes
    '"ok5", "u5", "c@x"', // 7
    '"nul\u0000", "u6", "n@x"', // 8
    `"huge", "u7", "${huge}"`, // 9
    '"few", "u8"', // 10
    '"emptyuid", "", "e@x"', // 11
    '"dup", "u1", "d@x"', // 12
    '', // 13 (blank)
    '"many", "u9", "x", "extra"', // 14
    '"ok10", "u10", "z@x"', // 15
  ];
  let records: SourceRecord[];
  beforeAll(async () => {
    records = await collect(write('messy.csv', lines.join('\r\n') + '\r\n'));
  });

  it('yields one record per non-blank row, good rows intact', () => {
    expect(records.map((r) => [r.line, r.ok])).toEqual([
      [2, true],
      [3, true],
      [4, true],
      [6, false],
      [7, true],
      [8, false],
      [9, false],
      [10, false],
      [11, false],
      [12, true],
      [14, false],
      [15, true],
    ]);
    expect(okRecord(records[0]).object).toEqual({ _id: 'u1', name: 'u1', description: 'ok1', email: 'a@x' });
    expect(okRecord(records[1]).object).toMatchObject({ description: 'quoted, comma', email: 'say "hi"' });
    expect(okRecord(records[2]).object.description).toBe('multi\r\nline');
    expect(okRecord(records[4]).object._id).toBe('u5');
    expect(okRecord(records[11]).object).toEqual({ _id: 'u10', name: 'u10', description: 'ok10', email: 'z@x' });
  });

  it('reports broken quotes on their row', () => {
    const r = errRecord(records[3]);
    expect(r.error).toMatch(/InvalidQuotes/);
    expect(r.error).toMatch(/expected 3 fields, found 2/);
    expect(r.raw).toContain('broken');
  });

  it('rejects a NUL byte, escaping it in raw', () => {
    const r = errRecord(records[5]);
    expect(r.error).toBe('field "description" contains a NUL byte at offset 3');
    expect(r.raw).not.toContain('\u0000');
    expect(r.raw).toContain('\\u0000');
  });

  it('rejects an over-long field with a short message and raw', () => {
    const r = errRecord(records[6]);
    expect(r.error).toBe('field "email" is longer than maxFieldLength (65536)');
    expect(r.raw!.length).toBeLessThanOrEqual(200);
  });

  it('reports wrong column counts and empty uids', () => {
    expect(errRecord(records[7]).error).toBe('expected 3 fields, found 2');
    expect(errRecord(records[8]).error).toBe('empty uid (column "uid")');
    expect(errRecord(records[10]).error).toBe('expected 3 fields, found 4');
  });

  it('yields duplicate uids as they come (the engine fails the second)', () => {
    expect(okRecord(records[9]).object).toMatchObject({ _id: 'u1', description: 'dup' });
  });

  it('readCsvById scans for the first good row with that uid', async () => {
    const file = path.join(dir, 'messy.csv');
    expect((await readCsvById(file, cfg(file), 'u1'))?.description).toBe('ok1');
    expect((await readCsvById(file, cfg(file), 'u10'))?.email).toBe('z@x');
    expect(await readCsvById(file, cfg(file), 'u6')).toBeNull(); // only on a bad row
  });
});

describe('more malformed input', () => {
  it('rejects invalid UTF-8 and control characters', async () => {
    const file = write('binary.csv', Buffer.concat([Buffer.from('uid,b\nx,ok\ny,'), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('\nz,a\u0007b\nw,fine\n')]));
    const records = await collect(file);
    expect(records.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(errRecord(records[1]).error).toMatch(/field "b" contains invalid UTF-8/);
    expect(errRecord(records[2]).error).toMatch(/control character U\+0007/);
  });

  it('reports an unterminated quote at the end (MissingQuotes)', async () => {
    const records = await collect(write('missing.csv', 'uid,b\nx,ok\ny,"never closed\nz,more\n'));
    expect(records.map((r) => r.ok)).toEqual([true, false]);
    expect(errRecord(records[1]).error).toMatch(/MissingQuotes/);
  });

  it('cuts an unterminated quote at maxFieldLength instead of buffering the rest of the file', async () => {
    const tail = Array.from({ length: 20_000 }, (_, i) => `u${i},v${i}`).join('\n');
    const records = await collect(write('runaway.csv', `uid,b\nx,ok\ny,"runaway\n${tail}\n`), cfg('', { maxFieldLength: 1000 }));
    expect(records).toHaveLength(2);
    const r = errRecord(records[1]);
    expect(r.error).toMatch(/longer than maxFieldLength \(1000\)/);
    expect(r.error).toMatch(/MissingQuotes/);
    expect(r.line).toBe(3);
  });

  it('keeps line numbers right after a cut field that spanned lines', async () => {
    const long = Array.from({ length: 50 }, () => 'abcdefghij').join('\n');
    const records = await collect(write('cut.csv', `uid,b\n"a","${long}"\n"b",ok\n`), cfg('', { maxFieldLength: 100 }));
    expect(records.map((r) => [r.line, r.ok])).toEqual([
      [2, false],
      [52, true],
    ]);
  });

  it('handles CR-only line ends, tabs before quotes, and quotes inside unquoted fields', async () => {
    const records = await collect(write('cr.csv', 'uid,\t"b"\r"x",\t"1"\ry,a"b\r'));
    expect(records.map((r) => okRecord(r).object)).toEqual([
      { _id: 'x', name: 'x', b: '1' },
      { _id: 'y', name: 'y', b: 'a"b' },
    ]);
  });

  it('takes name from headerName when set', async () => {
    const file = write('named.csv', 'id,login,mail\n1,bob,b@x\n2,,c@x\n');
    const records = await collect(file, cfg(file, { headerUid: 'id', headerName: 'login' }));
    expect(okRecord(records[0]).object).toEqual({ _id: '1', name: 'bob', mail: 'b@x' });
    expect(errRecord(records[1]).error).toBe('empty name (column "login")');
  });

  it('throws SOURCE_UNAVAILABLE naming the path of a missing file', async () => {
    const file = path.join(dir, 'nope.csv');
    await expect(collect(file)).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE', message: expect.stringContaining(file) });
    await expect(readCsvHeader(file)).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    await expect(collect(dir)).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
  });

  it.each([
    ['', /empty/],
    ['a,b\n1,2\n', /no "uid" column/],
    ['uid,uid\n1,2\n', /duplicate header column "uid"/],
    ['uid,,b\n1,2,3\n', /header column 2 has no name/],
    ['uid,name\n1,2\n', /column "name" clashes/],
  ])('rejects an unusable header: %j', async (content, message) => {
    const file = write('badheader.csv', content);
    await expect(collect(file)).rejects.toMatchObject({ code: 'SOURCE_INVALID', message: expect.stringMatching(message) });
  });
});

describe('CsvPreprocessor', () => {
  const text = '\uFEFF"h1", "h2",h3\r\n"a, b", "say ""x""" , c\r\n"multi\r\nline",\t"q"x", "z"\n"end", "e",\r\n "open';
  const whole = () => {
    const p = new CsvPreprocessor(65536);
    return p.feed(text) + p.end();
  };

  it('normalises quoting and line ends', () => {
    // Whitespace goes only before an opening quote and after a closing one; unquoted fields keep theirs.
    expect(whole()).toBe('"h1","h2",h3\n"a, b","say ""x""", c\n"multi\r\nline","q"x","z"\n"end","e",\n"open');
  });

  it('gives the same output however the input is chunked', () => {
    const expected = whole();
    for (let cut = 1; cut < text.length; cut++) {
      const p = new CsvPreprocessor(65536);
      expect(p.feed(text.slice(0, cut)) + p.feed(text.slice(cut)) + p.end()).toBe(expected);
    }
    const p = new CsvPreprocessor(65536);
    let out = '';
    for (const ch of text) out += p.feed(ch);
    expect(out + p.end()).toBe(expected);
  });
});

describe('streaming', () => {
  it('streams a 50,000-row file with bounded memory', async () => {
    const file = path.join(dir, 'big.csv');
    const out = fs.createWriteStream(file);
    out.write('"description", "uid", "username", "firstname", "lastname", "email", "mobileTelephoneNumber", "roles"\n');
    let chunk = '';
    for (let i = 0; i < 50_000; i++) {
      chunk += `"Created By CSV", "user${i}", "user${i}@example.com", "First${i}", "Last${i}", "user${i}@example.com", "${1000000 + i}", "internal/role/openidm-authorized"\n`;
      if (chunk.length > 1 << 20) {
        out.write(chunk);
        chunk = '';
      }
    }
    await new Promise<void>((resolve, reject) => out.end(chunk, () => resolve()).on('error', reject));
    const size = fs.statSync(file).size;
    expect(size).toBeGreaterThan(7_000_000);

    const stats: CsvReadStats = { bytesRead: 0, rows: 0, maxQueued: 0 };
    const it = readCsv(file, cfg(file), { stats });
    for (let i = 0; i < 10; i++) okRecord((await it.next()).value as SourceRecord);
    // A slow consumer: the reader must stop well short of the whole file.
    await new Promise((r) => setTimeout(r, 150));
    expect(stats.bytesRead).toBeLessThan(2_000_000);
    expect(stats.rows).toBeLessThan(1000); // parsed ahead of the consumer
    let count = 10;
    let bad = 0;
    let last: SourceRecord | undefined;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      count++;
      last = r.value;
      if (!r.value.ok) bad++;
    }
    expect(count).toBe(50_000);
    expect(bad).toBe(0);
    expect(okRecord(last).object._id).toBe('user49999');
    expect(okRecord(last).line).toBe(50_001);
    expect(stats.maxQueued).toBeLessThanOrEqual(300);
    expect(stats.bytesRead).toBe(size);
  });

  it.each([
    ['truncated', (f: string) => fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2)), /size went from/],
    ['appended to', (f: string) => fs.appendFileSync(f, '"Created By CSV", "late", "l@x", "L", "L", "l@x", "1", "r"\n'), /size went from/],
    ['replaced by a rename', (f: string) => { fs.copyFileSync(f, `${f}.new`); fs.renameSync(`${f}.new`, f); }, /replaced by another one/],
  ])('a file %s while it is read fails the read with SOURCE_CHANGED, never a short success', async (_what, change, message) => {
    const file = path.join(dir, 'changing.csv');
    fs.copyFileSync(path.join(dir, 'big.csv'), file);
    const it = readCsv(file, cfg(file));
    for (let i = 0; i < 10; i++) okRecord((await it.next()).value as SourceRecord);
    change(file);
    let read = 10;
    const drain = async () => {
      for (let r = await it.next(); !r.done; r = await it.next()) read++;
    };
    await expect(drain()).rejects.toMatchObject({ code: 'SOURCE_CHANGED', message: expect.stringMatching(message) });
    expect(read).toBeLessThan(50_000);
  });

  it('closes the file when the consumer stops early', async () => {
    const file = path.join(dir, 'big.csv');
    // Count descriptors open on this file only: the worker process opens and closes others meanwhile.
    const openOnFile = () =>
      fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
        } catch {
          return false;
        }
      }).length;
    for await (const r of readCsv(file, cfg(file))) {
      expect(r.ok).toBe(true);
      expect(openOnFile()).toBe(1);
      break;
    }
    expect(await readCsvHeader(file)).toHaveLength(8);
    await new Promise((r) => setTimeout(r, 50));
    expect(openOnFile()).toBe(0);
  });
});
