// The file's rows as papaparse parses them after the pre-tokenizer (tokenize.ts), streamed: a
// bounded queue between papaparse and the consumer pauses the file reads while the consumer lags,
// so memory stays bounded whatever the file's size. The file is checked to be the one that was
// opened (inode, size, mtime) every CHANGE_CHECK_ROWS rows and at the end: a file changed under
// the read fails it (SOURCE_CHANGED) instead of passing part of a file for the whole source.
import fs from 'node:fs';
import { pipeline } from 'node:stream';
import Papa from 'papaparse';
import { sourceChanged, sourceUnavailable } from './sourceErrors';
import { linesInside, PreprocessStream } from './tokenize';

/** Rows buffered ahead of the consumer before the file stream is paused. */
const QUEUE_HIGH = 256;
const QUEUE_LOW = 64;

/** Optional observation hooks (tests use them to check that memory stays bounded). */
export interface CsvReadStats {
  bytesRead: number;
  rows: number;
  /** Most parsed rows ever waiting for the consumer. */
  maxQueued: number;
}

/** One parsed row: its fields, papaparse's errors for it, and the physical line it starts on. */
export interface RawRow {
  fields: string[];
  errors: Papa.ParseError[];
  line: number;
}

/** papaparse's settings for the pre-tokenized text (also used for a single row's text, rowIndex.ts). */
export const PAPA_CONFIG = { delimiter: ',', newline: '\n', quoteChar: '"', escapeChar: '"', header: false, dynamicTyping: false, skipEmptyLines: false } as const;

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

/** The connector's encoding as Node's name; refuses the ones that are not text encodings. */
export function checkEncoding(encoding: string | undefined): BufferEncoding {
  const enc = (encoding ?? 'utf8').toLowerCase();
  if (!Buffer.isEncoding(enc) || enc === 'hex' || enc === 'base64' || enc === 'base64url') {
    throw new Error(`unsupported CSV encoding "${encoding}"`);
  }
  return enc as BufferEncoding;
}

/** Parsed rows (header included) with papaparse's per-row errors; pauses the file while the consumer lags. */
export async function* parseRows(file: string, encoding: BufferEncoding, maxFieldLength: number, stats?: CsvReadStats): AsyncGenerator<RawRow> {
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
    ...PAPA_CONFIG,
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
