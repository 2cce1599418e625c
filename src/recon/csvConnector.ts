// Streaming CSV source, behaving like OpenICF's CSV connector on the sample's file.
//
// papaparse does the parsing; a small pre-processor in front of it fixes what papaparse cannot:
//  - `"a", "b"` (a space after the comma, before the quote): papaparse would read ` "b"` literally.
//    The pre-processor drops whitespace between a field start and an opening quote.
//  - CRLF / CR line ends outside quoted fields become LF; a leading BOM is dropped.
//  - A field longer than maxFieldLength is cut short (the rest is never buffered) and marked, so
//    an unterminated quote cannot make papaparse accumulate the rest of the file in memory.
// The pre-processor follows papaparse's own quote rules (a quote closes a field only when
// followed, after optional whitespace, by a delimiter, a newline or the end), so both agree on
// where fields and rows end, malformed input included.
//
// Duplicate uids are yielded as they come: the connector does not remember ids (that would cost
// memory per row). The recon engine reports the second occurrence as a failure.
import fs from 'node:fs';
import { Transform, TransformCallback, pipeline } from 'node:stream';
import Papa from 'papaparse';
import { sha256Hex } from './hash';
import { CsvConnectorConfig, SourceObject, SourceRecord } from './interfaces';

export const DEFAULT_MAX_FIELD_LENGTH = 65536;
/** Rows buffered ahead of the consumer before the file stream is paused. */
const QUEUE_HIGH = 256;
const QUEUE_LOW = 64;
const RAW_LIMIT = 200;

/** Optional observation hooks (tests use them to check that memory stays bounded). */
export interface CsvReadStats {
  bytesRead: number;
  rows: number;
  /** Most parsed rows ever waiting for the consumer. */
  maxQueued: number;
}

export interface ReadCsvOptions {
  stats?: CsvReadStats;
}

/** Error for an unreadable source file; `code` is 'SOURCE_UNAVAILABLE'. */
export function sourceUnavailable(file: string, cause: unknown): Error & { code: string } {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const err = new Error(`CSV source ${file} is unavailable: ${reason}`) as Error & { code: string; cause?: unknown };
  err.code = 'SOURCE_UNAVAILABLE';
  err.cause = cause;
  return err;
}

/** Error for a file that changed while it was read (a partial read must not pass for the source); code 'SOURCE_CHANGED'. */
function sourceChanged(file: string, what: string): Error & { code: string } {
  const err = new Error(
    `CSV source ${file} changed while it was being read (${what}); the read stopped so that part of a file is not taken for the whole source. ` +
      'Run again once the file is complete (replace it by a rename, between runs).',
  ) as Error & { code: string };
  err.code = 'SOURCE_CHANGED';
  return err;
}

/** Rows between two checks that the file being read is still the file that was opened. */
const CHANGE_CHECK_ROWS = 500;

/** What changed between the file as opened and `now` (the open descriptor's or the path's stat), or null. */
function changeOf(opened: fs.Stats, now: fs.Stats | null): string | null {
  if (!now) return 'the file was removed';
  if (now.ino !== opened.ino || now.dev !== opened.dev) return 'the file was replaced by another one';
  if (now.size !== opened.size) return `its size went from ${opened.size} to ${now.size} bytes`;
  if (now.mtimeMs !== opened.mtimeMs) return 'it was modified';
  return null;
}

/** Error for a file that cannot be used at all (no header, no uid column...); `code` is 'SOURCE_INVALID'. */
function sourceInvalid(file: string, message: string): Error & { code: string } {
  const err = new Error(`CSV source ${file}: ${message}`) as Error & { code: string };
  err.code = 'SOURCE_INVALID';
  return err;
}

// ---------------------------------------------------------------------------------------------
// Pre-processor

const enum St {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: closing, escaped ("") or malformed, depending on what follows. */
  QuoteSeen,
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
/** Marks a field cut at maxFieldLength; carries the count of dropped newlines for line numbering. */
const TRUNC_OPEN = '\u0000\u0000truncated:';
const TRUNC_RE = /\u0000\u0000truncated:(\d+)\u0000/;
const UNQUOTED_END = /[,\r\n]/g;
const WS = /\s/;

export class CsvPreprocessor {
  private state = St.FieldStart;
  /** Whitespace held back: before a possible opening quote, or after a possible closing quote. */
  private ws = '';
  private pendingCR = false;
  private started = false;
  private fieldLen = 0;
  private truncated = false;
  private droppedNewlines = 0;
  private out: string[] = [];

  constructor(private readonly maxFieldLength: number) {}

  feed(text: string): string {
    let i = 0;
    const n = text.length;
    if (!this.started && n > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    while (i < n) {
      const c = text.charCodeAt(i);
      if (this.pendingCR) {
        this.pendingCR = false;
        if (c === LF) {
          i++;
          continue;
        }
      }
      switch (this.state) {
        case St.FieldStart:
          if (c === SPACE || c === TAB) {
            this.ws += text[i++];
            if (this.ws.length > this.maxFieldLength) {
              // Not leading whitespace any more: a (too long) unquoted field of spaces.
              this.startField(St.Unquoted);
              this.content(this.ws);
              this.ws = '';
            }
          } else if (c === QUOTE) {
            this.ws = '';
            this.out.push('"');
            this.startField(St.Quoted);
            i++;
          } else if (c === COMMA || c === LF || c === CR) {
            this.out.push(this.ws);
            this.ws = '';
            this.endField(c);
            i++;
          } else {
            this.startField(St.Unquoted);
            this.content(this.ws);
            this.ws = '';
          }
          break;
        case St.Unquoted: {
          UNQUOTED_END.lastIndex = i;
          const m = UNQUOTED_END.exec(text);
          const j = m ? m.index : n;
          if (j > i) this.content(text.slice(i, j));
          if (m) {
            this.closeField('');
            this.endField(text.charCodeAt(j));
            i = j + 1;
          } else i = n;
          break;
        }
        case St.Quoted: {
          const j = text.indexOf('"', i);
          const end = j < 0 ? n : j;
          if (end > i) this.content(text.slice(i, end));
          if (j < 0) i = n;
          else {
            this.state = St.QuoteSeen;
            this.ws = '';
            i = j + 1;
          }
          break;
        }
        case St.QuoteSeen:
          if (c === QUOTE && this.ws === '') {
            this.content('""', 1); // escaped quote
            this.state = St.Quoted;
            i++;
          } else if (c === QUOTE) {
            // `"x" "`: the held quote was malformed (papaparse: InvalidQuotes); this one may close.
            this.content('"' + this.ws);
            this.ws = '';
            i++;
          } else if (c === COMMA || c === LF || c === CR) {
            this.ws = '';
            this.closeField('"');
            this.endField(c);
            i++;
          } else if (WS.test(text[i])) {
            this.ws += text[i++];
          } else {
            // Malformed closing quote: papaparse keeps reading the field (and reports InvalidQuotes).
            this.content('"' + this.ws);
            this.ws = '';
            this.state = St.Quoted;
          }
          break;
      }
    }
    return this.flush();
  }

  end(): string {
    switch (this.state) {
      case St.FieldStart:
        this.out.push(this.ws);
        break;
      case St.Unquoted:
      case St.Quoted: // unterminated: papaparse reports MissingQuotes
        this.closeField('');
        break;
      case St.QuoteSeen:
        this.closeField('"');
        break;
    }
    this.ws = '';
    this.state = St.FieldStart;
    return this.flush();
  }

  private flush(): string {
    const s = this.out.length === 1 ? this.out[0] : this.out.join('');
    this.out = [];
    return s;
  }

  private startField(state: St): void {
    this.state = state;
    this.fieldLen = 0;
    this.truncated = false;
    this.droppedNewlines = 0;
  }

  /** Field text, emitted unless the field is over the limit; `len` is its length once unescaped. */
  private content(s: string, len = s.length): void {
    if (s === '') return;
    if (this.truncated) {
      this.droppedNewlines += countNewlines(s);
      return;
    }
    if (this.fieldLen + len > this.maxFieldLength) {
      const keep = len === s.length ? this.maxFieldLength - this.fieldLen : 0;
      this.out.push(s.slice(0, keep));
      this.droppedNewlines += countNewlines(s.slice(keep));
      this.truncated = true;
      this.fieldLen = this.maxFieldLength;
      return;
    }
    this.out.push(s);
    this.fieldLen += len;
  }

  private closeField(quote: string): void {
    if (this.truncated) this.out.push(`${TRUNC_OPEN}${this.droppedNewlines}\u0000`);
    this.out.push(quote);
    this.truncated = false;
  }

  private endField(c: number): void {
    this.state = St.FieldStart;
    if (c === COMMA) this.out.push(',');
    else {
      this.out.push('\n');
      if (c === CR) this.pendingCR = true;
    }
  }
}

function countNewlines(s: string): number {
  let count = 0;
  for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', k + 1)) count++;
  return count;
}

class PreprocessStream extends Transform {
  private readonly pre: CsvPreprocessor;
  constructor(maxFieldLength: number) {
    // Object mode both ways: strings in (the file stream decodes), strings out (papaparse wants text).
    super({ objectMode: true, highWaterMark: 4 });
    this.pre = new CsvPreprocessor(maxFieldLength);
  }
  override _transform(chunk: string | Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const out = this.pre.feed(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    if (out) this.push(out);
    cb();
  }
  override _flush(cb: TransformCallback): void {
    const out = this.pre.end();
    if (out) this.push(out);
    cb();
  }
}

// ---------------------------------------------------------------------------------------------
// Rows

interface RawRow {
  fields: string[];
  errors: Papa.ParseError[];
  line: number;
}

function checkEncoding(encoding: string | undefined): BufferEncoding {
  const enc = (encoding ?? 'utf8').toLowerCase();
  if (!Buffer.isEncoding(enc) || enc === 'hex' || enc === 'base64' || enc === 'base64url') {
    throw new Error(`unsupported CSV encoding "${encoding}"`);
  }
  return enc as BufferEncoding;
}

/** Parsed rows (header included) with papaparse's per-row errors; pauses the file while the consumer lags. */
async function* parseRows(file: string, encoding: BufferEncoding, maxFieldLength: number, stats?: CsvReadStats): AsyncGenerator<RawRow> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (err) {
    throw sourceUnavailable(file, err);
  }
  let opened: fs.Stats;
  try {
    opened = await handle.stat();
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw sourceUnavailable(file, err);
  }
  // Per CHANGE_CHECK_ROWS rows and at the end: two stat calls, not a cost per row.
  let sinceCheck = 0;
  const checkUnchanged = () => {
    sinceCheck = 0;
    let byPath: fs.Stats | null = null;
    try {
      byPath = fs.statSync(file);
    } catch {
      byPath = null;
    }
    const what = changeOf(opened, fs.fstatSync(handle.fd)) ?? changeOf(opened, byPath);
    if (what) throw sourceChanged(file, what);
  };
  // autoClose off: the descriptor must outlive the stream for the final check; finally closes it.
  const input = handle.createReadStream({ encoding, highWaterMark: 64 * 1024, autoClose: false });
  const pre = new PreprocessStream(maxFieldLength);

  const queue: RawRow[] = [];
  let head = 0;
  let done = false;
  let closing = false;
  let failure: Error | undefined;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    if (w) w();
  };
  let parser: Papa.Parser | undefined;
  let paused = false;
  let nextLine = 1;

  pipeline(input, pre, (err) => {
    if (err && !closing) {
      failure ??= sourceUnavailable(file, err);
      notify();
    }
  });

  Papa.parse<string[]>(pre, {
    delimiter: ',',
    newline: '\n',
    quoteChar: '"',
    escapeChar: '"',
    header: false,
    dynamicTyping: false,
    skipEmptyLines: false,
    step: (res, p) => {
      parser = p;
      const fields = res.data;
      const line = nextLine;
      nextLine += 1 + linesInside(fields);
      queue.push({ fields, errors: res.errors, line });
      const queued = queue.length - head;
      if (stats) {
        stats.rows++;
        stats.bytesRead = input.bytesRead;
        if (queued > stats.maxQueued) stats.maxQueued = queued;
      }
      if (!paused && queued >= QUEUE_HIGH) {
        // Pause both: papaparse stops stepping through the current chunk, the pre-processor
        // stops taking data, and pipeline() backpressure then stops the file reads.
        paused = true;
        pre.pause();
        p.pause();
      }
      notify();
    },
    complete: () => {
      done = true;
      notify();
    },
    error: (err: Error) => {
      if (!closing) failure ??= sourceUnavailable(file, err);
      notify();
    },
  });

  try {
    for (;;) {
      if (stats) stats.bytesRead = input.bytesRead;
      if (head < queue.length) {
        const row = queue[head++];
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        if (paused && queue.length - head <= QUEUE_LOW) {
          paused = false;
          pre.resume(); // asynchronous: takes effect after parser.resume() below has stepped
          parser?.resume(); // may step again synchronously, and pause again
        }
        if (++sinceCheck >= CHANGE_CHECK_ROWS) checkUnchanged();
        yield row;
        continue;
      }
      if (failure) throw failure;
      if (done) {
        checkUnchanged();
        if (input.bytesRead !== opened.size) throw sourceChanged(file, `${input.bytesRead} of its ${opened.size} bytes could be read`);
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    closing = true;
    if (!done) parser?.abort();
    input.destroy();
    pre.destroy();
    await handle.close().catch(() => undefined);
  }
}

/** Physical lines a row spans beyond its first: newlines inside quoted fields, cut ones included. */
function linesInside(fields: string[]): number {
  let count = 0;
  for (const f of fields) {
    if (f.indexOf('\n') >= 0) count += countNewlines(f);
    if (f.indexOf('\u0000\u0000truncated:') >= 0) {
      const m = TRUNC_RE.exec(f);
      if (m) count += Number(m[1]);
    }
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// Records

interface Layout {
  header: string[];
  uidIndex: number;
  nameIndex: number;
  /** Columns copied as attributes: every column but the uid (and name) column(s). */
  attributes: Array<{ index: number; key: string }>;
  /** Attribute order for the canonical hash, and that order as JSON (hashed with every row). */
  sortedKeys: string[];
  keysJson: string;
}

function layoutFor(file: string, row: RawRow, cfg: CsvConnectorConfig): Layout {
  if (row.errors.length) throw sourceInvalid(file, `malformed header row (${describeParseErrors(row.errors)})`);
  const header = row.fields.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') throw sourceInvalid(file, `header column ${i + 1} has no name`);
    if (seen.has(h)) throw sourceInvalid(file, `duplicate header column "${clip(h, 100)}"`);
    seen.add(h);
  });
  const uidIndex = header.indexOf(cfg.headerUid);
  if (uidIndex < 0) throw sourceInvalid(file, `no "${cfg.headerUid}" column (headerUid) in the header`);
  const nameIndex = cfg.headerName ? header.indexOf(cfg.headerName) : uidIndex;
  if (nameIndex < 0) throw sourceInvalid(file, `no "${cfg.headerName}" column (headerName) in the header`);
  const attributes: Layout['attributes'] = [];
  header.forEach((key, index) => {
    if (index === uidIndex || index === nameIndex) return;
    if (key === '_id' || key === 'name') {
      throw sourceInvalid(file, `column "${key}" clashes with the object's ${key} (set headerUid/headerName to that column instead)`);
    }
    attributes.push({ index, key });
  });
  const sortedKeys = ['_id', 'name', ...attributes.map((a) => a.key)].sort();
  return { header, uidIndex, nameIndex, attributes, sortedKeys, keysJson: JSON.stringify(sortedKeys) };
}

function isBlankRow(row: RawRow): boolean {
  return row.errors.length === 0 && row.fields.length === 1 && row.fields[0].trim() === '';
}

// C0 controls except TAB/LF/CR, and U+FFFD (what invalid UTF-8 decodes to).
const BINARY = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFD]/;

function toRecord(row: RawRow, layout: Layout, maxFieldLength: number): SourceRecord {
  const { fields, line } = row;
  const problems: string[] = [];
  if (row.errors.length) problems.push(describeParseErrors(row.errors));
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const col = columnName(layout, i);
    if (f.length > maxFieldLength) {
      problems.push(`field ${col} is longer than maxFieldLength (${maxFieldLength})`);
      continue;
    }
    const m = BINARY.exec(f);
    if (m) {
      const what = m[0] === '\u0000' ? 'a NUL byte' : m[0] === '\uFFFD' ? 'invalid UTF-8 / binary data' : `control character U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      problems.push(`field ${col} contains ${what} at offset ${m.index}`);
    }
  }
  if (fields.length !== layout.header.length) {
    problems.push(`expected ${layout.header.length} fields, found ${fields.length}`);
  }
  const uid = fields[layout.uidIndex];
  if (uid !== undefined && uid.trim() === '') problems.push(`empty uid (column "${clip(layout.header[layout.uidIndex], 100)}")`);
  const name = fields[layout.nameIndex];
  if (layout.nameIndex !== layout.uidIndex && name !== undefined && name.trim() === '') {
    problems.push(`empty name (column "${clip(layout.header[layout.nameIndex], 100)}")`);
  }
  if (problems.length) return { ok: false, line, error: problems.join('; '), raw: rawText(fields) };

  const object: SourceObject = { _id: uid, name };
  for (const a of layout.attributes) object[a.key] = fields[a.index];
  return { ok: true, line, object, hash: hashObject(object, layout) };
}

/**
 * sha256 of the canonical row: attribute names, then values, in name order (so reordering the
 * columns is not a change, renaming one is).
 */
function hashObject(object: SourceObject, layout: Layout): string {
  const values: unknown[] = [];
  for (const k of layout.sortedKeys) values.push(object[k]);
  return sha256Hex(layout.keysJson + JSON.stringify(values));
}

function columnName(layout: Layout, i: number): string {
  return i < layout.header.length ? `"${clip(layout.header[i], 100)}"` : `#${i + 1}`;
}

function describeParseErrors(errors: Papa.ParseError[]): string {
  const codes = [...new Set(errors.map((e) => e.code))];
  return codes
    .map((code) =>
      code === 'MissingQuotes'
        ? 'unterminated quoted field (MissingQuotes)'
        : code === 'InvalidQuotes'
          ? 'malformed quotes: a closing quote is followed by other text (InvalidQuotes)'
          : `${errors.find((e) => e.code === code)?.message ?? 'parse error'} (${code})`,
    )
    .join('; ');
}

/** The row re-encoded as CSV for the report: fields and total cut short, control characters escaped. */
function rawText(fields: string[]): string {
  const short = fields.slice(0, 50).map((f) => f.replace(TRUNC_RE, '').slice(0, RAW_LIMIT + 1));
  let raw = Papa.unparse([short], { newline: '\n' });
  raw = raw.replace(/[\u0000-\u001F\u007F]/g, (ch) => (ch === '\n' ? '\\n' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return raw.length > RAW_LIMIT ? raw.slice(0, RAW_LIMIT - 1) + '…' : raw;
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

// ---------------------------------------------------------------------------------------------
// API

/**
 * Streams the file's data rows as records, one per row (blank lines skipped). Bad rows come out as
 * `{ok: false}` and the stream goes on. Throws (on the first `next()`) an Error with code
 * SOURCE_UNAVAILABLE when the file cannot be read, SOURCE_INVALID when its header is unusable.
 */
export async function* readCsv(file: string, cfg: CsvConnectorConfig, options: ReadCsvOptions = {}): AsyncGenerator<SourceRecord> {
  const max = cfg.maxFieldLength > 0 ? cfg.maxFieldLength : DEFAULT_MAX_FIELD_LENGTH;
  const encoding = checkEncoding(cfg.encoding);
  let layout: Layout | undefined;
  for await (const row of parseRows(file, encoding, max, options.stats)) {
    if (!layout) {
      layout = layoutFor(file, row, cfg);
      continue;
    }
    if (isBlankRow(row)) continue;
    yield toRecord(row, layout, max);
  }
  if (!layout) throw sourceInvalid(file, 'the file is empty (no header row)');
}

/** The header's column names, trimmed (and unquoted even when written `"a", "b"`). */
export async function readCsvHeader(file: string, cfg: Partial<CsvConnectorConfig> = {}): Promise<string[]> {
  const max = cfg.maxFieldLength && cfg.maxFieldLength > 0 ? cfg.maxFieldLength : DEFAULT_MAX_FIELD_LENGTH;
  for await (const row of parseRows(file, checkEncoding(cfg.encoding), max)) {
    return row.fields.map((h) => h.trim()); // returning closes the stream
  }
  return [];
}

/**
 * The first valid row whose uid is `id`, or null; scans the file (the CSV has no index).
 * With duplicate uids this is the first one, the one a recon keeps.
 */
export async function readCsvById(file: string, cfg: CsvConnectorConfig, id: string): Promise<SourceObject | null> {
  for await (const rec of readCsv(file, cfg)) {
    if (rec.ok && rec.object._id === id) return rec.object;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Reads by id through an index

/** One row's text parsed as readCsv would parse it after `headerText`. */
function parseRowText(file: string, text: string, cfg: CsvConnectorConfig): SourceRecord | undefined {
  const max = cfg.maxFieldLength > 0 ? cfg.maxFieldLength : DEFAULT_MAX_FIELD_LENGTH;
  const pre = new CsvPreprocessor(max);
  const input = pre.feed(text) + pre.end();
  const rows: RawRow[] = [];
  Papa.parse<string[]>(input, {
    delimiter: ',', newline: '\n', quoteChar: '"', escapeChar: '"', header: false, dynamicTyping: false, skipEmptyLines: false,
    step: (res) => {
      rows.push({ fields: res.data, errors: res.errors, line: rows.length + 1 });
    },
  });
  if (!rows.length) return undefined;
  const layout = layoutFor(file, rows[0], cfg);
  const row = rows.slice(1).find((r) => !isBlankRow(r));
  return row ? toRecord(row, layout, max) : undefined;
}

interface CsvIndex {
  /** header bytes (everything before the first data row) */
  header: Buffer;
  /** id → record number, first valid row per id (the one readCsvById returns) */
  ids: Map<string, number>;
  /** byte offset where record n starts; one more entry: the file size */
  starts: Float64Array;
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
    let stamp: string;
    try {
      const st = fs.statSync(this.file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return readCsvById(this.file, this.cfg, id); // reports the file as unavailable
    }
    if (!this.index || stamp !== this.stamp) {
      this.stamp = stamp;
      this.index = this.build(stamp).catch(() => null);
    }
    this.touch();
    const index = await this.index;
    if (!index) return readCsvById(this.file, this.cfg, id);
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
    const headerEnd = recordLines.length ? starts[0] : size;
    const fd = await fs.promises.open(this.file, 'r');
    try {
      const header = Buffer.alloc(headerEnd);
      await fd.read(header, 0, headerEnd, 0);
      return { header, ids, starts };
    } finally {
      await fd.close();
    }
  }
}
