// The pre-tokenizer in front of papaparse: papaparse does the parsing; this pass fixes, in one
// scan of each chunk, what papaparse cannot:
//  - `"a", "b"` (the sample's space after the comma, before the quote): papaparse would read ` "b"`
//    literally. The pass drops whitespace between a field start and an opening quote.
//  - CRLF / CR line ends outside quoted fields become LF; a leading BOM is dropped.
//  - A field longer than maxFieldLength is cut short (the rest is never buffered) and marked, so
//    an unterminated quote cannot make papaparse accumulate the rest of the file in memory; the
//    mark carries the newlines dropped with it, so rows keep their line numbers (linesInside).
// It follows papaparse's own quote rules (a quote closes a field only when followed, after
// optional whitespace, by a delimiter, a newline or the end), so both agree on where fields and
// rows end, malformed input included.
//
// Why not a library instead (issue 14 asked): papaparse has no option for whitespace before an
// opening quote — alone it reads the sample's `"a", "b"` as unquoted fields and splits the roles
// field `"x,y"` in two (9 fields for 8 columns). csv-parse is not a dependency here; its `ltrim`
// would also trim unquoted fields' leading spaces (a value change), and its errors are not the
// MissingQuotes / InvalidQuotes the audit messages name (records.ts), so it would replace the
// parser and change what bad rows report, not just this pass (and a new package is not this
// step's to add). The pass is cheap: on a
// generated 300k-row file of the sample's shape it takes 0.25-0.29 s (papaparse alone 0.25 s,
// the whole readCsv 1.35 s, about 220k rows/s; a recon runs at about 60k rows/s). It stays.
import { Transform, TransformCallback } from 'node:stream';

const enum St {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: closing, escaped ("") or malformed, depending on what follows. */
  QuoteSeen,
}

const QUOTE = 34;
const COMMA = 44;
export const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
/** Marks a field cut at maxFieldLength; carries the count of dropped newlines for line numbering. */
const TRUNC_OPEN = '\u0000\u0000truncated:';
export const TRUNC_RE = /\u0000\u0000truncated:(\d+)\u0000/;
const UNQUOTED_END = /[,\r\n]/g;
const WS = /\s/;

/** Feed it the file's text chunk by chunk, then end(); each call returns text for papaparse. */
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

export function countNewlines(s: string): number {
  let count = 0;
  for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', k + 1)) count++;
  return count;
}

/** The pre-tokenizer as a stream stage: decoded text in, text for papaparse out. */
export class PreprocessStream extends Transform {
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

/** Physical lines a row spans beyond its first: newlines inside quoted fields, cut ones included. */
export function linesInside(fields: string[]): number {
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
