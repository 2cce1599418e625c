// Reads by id through a random-access index of the file (the createUser job reads one row per
// approval; a scan per read would cost the whole file each time). The first read scans the file
// once (each record's byte offset and the first valid row of each id); later reads parse just that
// row's bytes after the header, as readCsv would have parsed them. Whatever the index cannot
// answer with certainty falls back to the scan (readCsvById).
import fs from 'node:fs';
import Papa from 'papaparse';
import type { SourcePlan } from '../connector';
import { CsvConnectorConfig, SourceObject, SourceRecord } from '../interfaces';
import { DEFAULT_MAX_FIELD_LENGTH, isBlankRow, layoutFor, readCsv, readCsvById, toRecord } from './records';
import { checkEncoding, PAPA_CONFIG, RawRow } from './rows';
import { CsvPreprocessor, LF } from './tokenize';

/** Rows' text parsed as readCsv would parse them after `headerText`: their records, blank rows skipped. */
function parseRowsText(file: string, text: string, cfg: CsvConnectorConfig): SourceRecord[] {
  const max = cfg.maxFieldLength > 0 ? cfg.maxFieldLength : DEFAULT_MAX_FIELD_LENGTH;
  const pre = new CsvPreprocessor(max);
  const input = pre.feed(text) + pre.end();
  const rows: RawRow[] = [];
  Papa.parse<string[]>(input, {
    ...PAPA_CONFIG,
    step: (res) => {
      rows.push({ fields: res.data, errors: res.errors, line: rows.length + 1 });
    },
  });
  if (!rows.length) return [];
  const layout = layoutFor(file, rows[0], cfg);
  return rows.slice(1).filter((r) => !isBlankRow(r)).map((r) => toRecord(r, layout, max));
}

/** One row's text parsed as readCsv would parse it after `headerText`. */
function parseRowText(file: string, text: string, cfg: CsvConnectorConfig): SourceRecord | undefined {
  return parseRowsText(file, text, cfg)[0];
}

interface CsvIndex {
  /** header bytes (everything before the first data row) */
  header: Buffer;
  /** id → record number, first valid row per id (the one readCsvById returns) */
  ids: Map<string, number>;
  /** byte offset where record n starts; one more entry: the file size */
  starts: Float64Array;
  /** the line record n starts on (what its failures name) */
  lines: Uint32Array;
  /** the file's size and modification time when indexed: a clustered run's pages are read against it */
  planStamp: string;
}

const INDEXED_ENCODINGS = new Set(['utf8', 'utf-8', 'latin1', 'binary', 'ascii']);

/**
 * read(id) without scanning the file each time: the first read scans it once (rows' byte offsets
 * and ids), later reads parse just that row's bytes after the header. The index is rebuilt when the
 * file changes (inode, size, mtime) and dropped after `idleMs` without reads. Whatever the index
 * cannot answer with certainty falls back to readCsvById.
 */
export class IndexedCsvReader {
  private index: Promise<CsvIndex | null> | null = null;
  private stamp = '';
  private idle: NodeJS.Timeout | null = null;
  /** An open descriptor of the file as it was at `fdStamp`. */
  private fd: number | null = null;
  private fdStamp = '';

  constructor(private readonly file: string, private readonly cfg: CsvConnectorConfig, private readonly idleMs = 60_000) {}

  // The row is read synchronously: a stat and one pread of a few hundred bytes from the page cache
  // take microseconds, where four thread-pool round trips (stat, open, read, close) took a
  // millisecond of wall time — inside the job's transaction, holding SQLite's only connection.
  async read(id: string): Promise<SourceObject | null> {
    if (!INDEXED_ENCODINGS.has((this.cfg.encoding ?? 'utf8').toLowerCase())) return readCsvById(this.file, this.cfg, id);
    const current = await this.current();
    if (!current) return readCsvById(this.file, this.cfg, id); // reports the file as unavailable, or scans
    const { index, stamp } = current;
    const n = index.ids.get(id);
    if (n === undefined) return null;
    const start = index.starts[n];
    const length = index.starts[n + 1] - start;
    const bytes = Buffer.alloc(length);
    try {
      if (fs.readSync(this.descriptor(stamp), bytes, 0, length, start) !== length) return readCsvById(this.file, this.cfg, id);
    } catch {
      this.closeDescriptor();
      return readCsvById(this.file, this.cfg, id);
    }
    const encoding = checkEncoding(this.cfg.encoding);
    const rec = parseRowText(this.file, index.header.toString(encoding) + bytes.toString(encoding), this.cfg);
    if (rec?.ok && rec.object._id === id) return rec.object;
    return readCsvById(this.file, this.cfg, id); // the file changed under the index
  }

  /** The index of the file as it is now (built when the file changed), or null when it cannot be indexed. */
  private async current(): Promise<{ index: CsvIndex; stamp: string } | null> {
    let stamp: string;
    try {
      const st = fs.statSync(this.file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return null;
    }
    if (!this.index || stamp !== this.stamp) {
      this.stamp = stamp;
      this.index = this.build(stamp).catch(() => null);
    }
    this.touch();
    const index = await this.index;
    return index ? { index, stamp } : null;
  }

  /** Why the file cannot be paged, or its record count under the stamp its pages are read with. */
  async plan(): Promise<SourcePlan | string> {
    if (!INDEXED_ENCODINGS.has((this.cfg.encoding ?? 'utf8').toLowerCase())) return `the CSV file's encoding ${this.cfg.encoding} has no row index (utf8, latin1 and ascii have)`;
    const current = await this.current();
    if (!current) {
      await readCsvById(this.file, this.cfg, ''); // throws SOURCE_UNAVAILABLE / SOURCE_INVALID when that is why
      return 'the CSV file has no row index (lines ended by CR alone, or the file changed while it was read)';
    }
    return { stamp: current.index.planStamp, records: current.index.lines.length };
  }

  /** The index the plan was made with; refuses a file that changed since. */
  private async planned(stamp: string): Promise<CsvIndex> {
    const current = await this.current();
    if (!current || current.index.planStamp !== stamp) {
      throw new Error(`${this.file} changed during the clustered reconciliation (planned as ${stamp}); start a new reconciliation`);
    }
    return current.index;
  }

  /** Records [from, to), with the ids among them first seen before `from`. */
  async readRange(stamp: string, from: number, to: number): Promise<{ records: SourceRecord[]; earlierIds: string[] }> {
    const index = await this.planned(stamp);
    if (from < 0 || to > index.lines.length || from > to) throw new Error(`records ${from}–${to} are outside the plan of ${index.lines.length} records`);
    if (from === to) return { records: [], earlierIds: [] };
    const start = index.starts[from];
    const bytes = Buffer.alloc(index.starts[to] - start);
    const fd = fs.openSync(this.file, 'r');
    try {
      if (fs.readSync(fd, bytes, 0, bytes.length, start) !== bytes.length) throw new Error(`${this.file} is shorter than planned; start a new reconciliation`);
    } finally {
      fs.closeSync(fd);
    }
    const encoding = checkEncoding(this.cfg.encoding);
    const parsed = parseRowsText(this.file, index.header.toString(encoding) + bytes.toString(encoding), this.cfg);
    if (parsed.length !== to - from) throw new Error(`records ${from}–${to} of ${this.file} parse as ${parsed.length} rows; the file changed or cannot be paged`);
    const earlierIds: string[] = [];
    const records = parsed.map((rec, k) => {
      if (rec.ok) {
        const first = index.ids.get(rec.object._id);
        if (first !== undefined && first < from) earlierIds.push(rec.object._id);
      }
      return { ...rec, line: index.lines[from + k] };
    });
    return { records, earlierIds };
  }

  /** The ids of the valid rows (first occurrences), as planned. */
  async validIds(stamp: string): Promise<Iterable<string>> {
    return (await this.planned(stamp)).ids.keys();
  }

  private descriptor(stamp: string): number {
    if (this.fd !== null && this.fdStamp === stamp) return this.fd;
    this.closeDescriptor();
    this.fd = fs.openSync(this.file, 'r');
    this.fdStamp = stamp;
    return this.fd;
  }

  private closeDescriptor(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
    this.fd = null;
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      this.index = null;
      this.idle = null;
      this.closeDescriptor();
    }, this.idleMs);
    this.idle.unref();
  }

  private async build(stamp: string): Promise<CsvIndex | null> {
    // Byte offset of every physical line start (rows report the line they start on).
    const lineStarts: number[] = [0];
    let size = 0;
    for await (const chunk of fs.createReadStream(this.file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) lineStarts.push(size + i + 1);
      size += chunk.length;
    }
    const ids = new Map<string, number>();
    const recordLines: number[] = [];
    for await (const rec of readCsv(this.file, this.cfg)) {
      if (rec.ok && !ids.has(rec.object._id)) ids.set(rec.object._id, recordLines.length);
      recordLines.push(rec.line);
    }
    const st = await fs.promises.stat(this.file);
    if (`${st.ino}:${st.size}:${st.mtimeMs}` !== stamp || st.size !== size) return null;
    const starts = new Float64Array(recordLines.length + 1);
    for (let n = 0; n < recordLines.length; n++) {
      const offset = lineStarts[recordLines[n] - 1];
      if (offset === undefined) return null; // lines ended by CR alone: no index
      starts[n] = offset;
    }
    starts[recordLines.length] = size;
    const lines = Uint32Array.from(recordLines);
    const headerEnd = recordLines.length ? starts[0] : size;
    const fd = await fs.promises.open(this.file, 'r');
    try {
      const header = Buffer.alloc(headerEnd);
      await fd.read(header, 0, headerEnd, 0);
      return { header, ids, starts, lines, planStamp: `${st.size}:${st.mtimeMs}` };
    } finally {
      await fd.close();
    }
  }
}

