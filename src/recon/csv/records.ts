// Rows become source records: the header gives the layout (uid and name columns, attributes),
// each data row is checked (field count, empty uid, binary data, over-long fields, papaparse's
// errors) and becomes {ok: true, object, hash} or {ok: false, line, error, raw}. A bad row never
// stops the stream; the recon reports it. Also the three reads a connector offers: every record
// (readCsv), the header, and one id by a scan (readCsvById).
//
// Duplicate uids are yielded as they come: the connector does not remember ids (that would cost
// memory per row). The recon engine reports the second occurrence as a failure.
import Papa from 'papaparse';
import { sha256Hex } from '../hash';
import { CsvConnectorConfig, SourceObject, SourceRecord } from '../interfaces';
import { checkEncoding, CsvReadStats, parseRows, RawRow } from './rows';
import { sourceInvalid } from './sourceErrors';
import { TRUNC_RE } from './tokenize';

export type { CsvReadStats } from './rows';

export const DEFAULT_MAX_FIELD_LENGTH = 65536;
const RAW_LIMIT = 200;

export interface ReadCsvOptions {
  stats?: CsvReadStats;
}

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

/** The header row's layout; throws SOURCE_INVALID when the header cannot be used. */
export function layoutFor(file: string, row: RawRow, cfg: CsvConnectorConfig): Layout {
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

export function isBlankRow(row: RawRow): boolean {
  return row.errors.length === 0 && row.fields.length === 1 && row.fields[0].trim() === '';
}

// C0 controls except TAB/LF/CR, and U+FFFD (what invalid UTF-8 decodes to).
const BINARY = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFD]/;

/** One data row as a record: the object and its hash, or what is wrong with the row. */
export function toRecord(row: RawRow, layout: Layout, maxFieldLength: number): SourceRecord {
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
