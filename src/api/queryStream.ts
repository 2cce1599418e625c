// An unpaged CREST query (no _pageSize) answered from a database cursor (src/repo/cursor.ts), so
// that 1,000,000 matches cost one batch of memory, not the whole answer (issue 19).
//
// The body is the CREST envelope clients get from res.json, byte for byte (_prettyPrint too). An
// answer that ends within STREAM_AFTER_BYTES is sent as before, by res.json: with its weak ETag
// and 304 (src/api/conditionalGet.ts), which the web UI's polls use. A longer one is written as
// its rows arrive, chunked, without an ETag: a content hash cannot be known before the last row,
// and an ETag sent after the body (a trailer) is not one caches or If-None-Match use.
//
// A failure after the status line went out cannot become an error status any more: the
// connection is destroyed, so the client sees a truncated response (no last chunk), never a
// well-formed partial JSON that looks like success.
import { once } from 'node:events';
import { Request, Response } from 'express';
import { badRequest } from '../crest/errors';
import { envelope, envelopeOf, QueryRequest } from '../crest/query';
import { Logger } from '../context';
import { errorMessage } from '../log';

/** Bytes of JSON an answer may take before it is streamed (and loses its ETag). */
export const STREAM_AFTER_BYTES = 1 << 20;

type Item = Record<string, unknown>;

export interface UnpagedSource {
  /** The results as they go out (shaped and projected), in the query's order, batch by batch. */
  batches: AsyncIterable<Item[]>;
  /**
   * _totalPagedResultsPolicy EXACT/ESTIMATE: every match counted. Asked only when the stream yields
   * nothing past a non-zero offset; otherwise the total is offset + the results sent (one snapshot).
   */
  count?: () => Promise<number>;
}

const MARK = '\u0000reconflow-results\u0000';

/** The envelope's text around its results: head before the first, tail after the last. */
function frame(q: QueryRequest, pretty: boolean, count: number, total?: number): { head: string; tail: string } {
  const text = JSON.stringify(envelopeOf(q, [MARK], count, false, total), null, pretty ? 2 : undefined);
  const at = text.indexOf(JSON.stringify(MARK));
  return { head: text.slice(0, at), tail: text.slice(at + JSON.stringify(MARK).length) };
}

/** One result as JSON.stringify writes it inside the envelope (indented two levels when pretty). */
function itemText(o: Item, pretty: boolean): string {
  return pretty ? JSON.stringify(o, null, 2).replace(/\n/g, '\n    ') : JSON.stringify(o);
}

/** Sends an unpaged query's answer (q.pageSize must be undefined). */
export async function sendUnpaged(req: Request, res: Response, q: QueryRequest, source: UnpagedSource, log: Logger): Promise<void> {
  const pretty = (req.query as Record<string, unknown>)._prettyPrint === 'true';
  const sep = pretty ? ',\n    ' : ',';
  const it = source.batches[Symbol.asyncIterator]();
  const total = async (n: number) => (q.totalPolicy === 'NONE' ? undefined : n > 0 || q.offset === 0 || !source.count ? q.offset + n : await source.count());
  // Until STREAM_AFTER_BYTES: kept, so that a small answer goes out by res.json, as before.
  // A failure here is an ordinary error answer (nothing has been sent).
  const items: Item[] = [];
  const texts: string[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) {
        res.json(envelope(q, items, await total(items.length)));
        return;
      }
      for (const o of next.value) {
        const t = itemText(o, pretty);
        items.push(o);
        texts.push(t);
        bytes += t.length;
      }
      if (bytes > STREAM_AFTER_BYTES) break;
    }
  } catch (e) {
    // The cursor (a PostgreSQL transaction, an SQLite connection) is closed, not left to the GC.
    await it.return?.(undefined)?.catch(() => undefined);
    throw e;
  }
  items.length = 0;
  let count = texts.length;
  res.status(200).setHeader('Content-Type', 'application/json; charset=utf-8');
  const closed = once(res, 'close').then(() => true, () => true);
  const write = async (chunk: string): Promise<boolean> => {
    if (res.destroyed) return false;
    if (res.write(chunk)) return true;
    // Back-pressure: the next batch is read once the client has taken this one (or has gone).
    return !(await Promise.race([once(res, 'drain').then(() => false, () => true), closed]));
  };
  try {
    let go = await write(frame(q, pretty, 0).head + texts.join(sep));
    texts.length = 0;
    while (go) {
      const next = await it.next();
      if (next.done) {
        res.end(frame(q, pretty, count, await total(count)).tail);
        return;
      }
      count += next.value.length;
      go = await write(sep + next.value.map((o) => itemText(o, pretty)).join(sep));
    }
    // The client went away: the cursor is closed and its connection freed.
    await it.return?.(undefined);
  } catch (e) {
    log.warn(`${req.method} ${req.path.slice(0, 200)}: the streamed answer failed after ${count} results; connection closed: ${errorMessage(e)}`);
    res.destroy();
    await it.return?.(undefined)?.catch(() => undefined);
  }
}

/** Each batch of a stream shaped as the answer shows it, batch by batch (a read per batch, as the task list's people). */
export async function* shapeEachBatch<T>(batches: AsyncIterable<T[]>, fn: (batch: T[]) => Item[] | Promise<Item[]>): AsyncGenerator<Item[]> {
  for await (const b of batches) yield await fn(b);
}

/** Each result of a stream shaped as the answer shows it (projection, query-all-ids). */
export function shapeBatches<T>(batches: AsyncIterable<T[]>, fn: (item: T) => Item): AsyncGenerator<Item[]> {
  return shapeEachBatch(batches, (b) => b.map(fn));
}

/**
 * For a resource that reads its matches into memory (no cursor): an unpaged answer of more than
 * `max` is refused with 400 naming _pageSize, never cut short.
 */
export function refuseUnpagedOver(q: QueryRequest, matched: number, max: number, what: string): void {
  const answered = Math.max(0, matched - q.offset);
  if (q.pageSize === undefined && answered > max) {
    throw badRequest(`The query answers ${answered} ${what}, more than the ${max} an unpaged query may answer (conf/repo.json query.maxUnpagedResults): page it with _pageSize and _pagedResultsCookie`, {
      matched: answered, maxUnpagedResults: max,
    });
  }
}
