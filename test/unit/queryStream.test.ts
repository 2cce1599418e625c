// src/api/queryStream.ts over real HTTP: where a streamed answer fails, the client must see a
// failed response, never a complete one (test/api/unpagedQueries.test.ts kills PostgreSQL's
// cursor for real; this covers any source, SQLite's included).
import http from 'node:http';
import { AddressInfo } from 'node:net';
import express from 'express';
import { parseQueryRequest } from '../../src/crest/query';
import { sendUnpaged, STREAM_AFTER_BYTES } from '../../src/api/queryStream';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never;

/** `batches` batches of 1,000 results of ~200 bytes, then `fail` (if given) instead of the end. */
async function* results(batches: number, fail?: Error): AsyncGenerator<Record<string, unknown>[]> {
  for (let b = 0; b < batches; b++) {
    yield Array.from({ length: 1000 }, (_, i) => ({ _id: String(b * 1000 + i), pad: 'x'.repeat(180) }));
  }
  if (fail) throw fail;
}

async function serve(batches: () => AsyncGenerator<Record<string, unknown>[]>) {
  const app = express();
  app.get('/q', async (req, res, next) => {
    try {
      await sendUnpaged(req, res, parseQueryRequest(req.query as Record<string, unknown>), { batches: batches() }, quiet);
    } catch (e) {
      next(e);
    }
  });
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(503).json({ code: 503, message: err.message });
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/q?_queryFilter=true`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function fetchRaw(url: string): Promise<{ status?: number; complete: boolean; text: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status: number | undefined;
    const done = (complete: boolean) => resolve({ status, complete, text: Buffer.concat(chunks).toString('utf8') });
    http.get(url, (res) => {
      status = res.statusCode;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.complete));
      res.on('aborted', () => done(false));
      res.on('error', () => done(false));
    }).on('error', () => done(false));
  });
}

describe('sendUnpaged', () => {
  it('streams a long answer to the end as JSON.stringify writes it', async () => {
    const s = await serve(() => results(8));
    try {
      const r = await fetchRaw(s.url);
      expect(r.complete).toBe(true);
      expect(r.text.length).toBeGreaterThan(STREAM_AFTER_BYTES);
      const body = JSON.parse(r.text);
      expect(r.text).toBe(JSON.stringify(body));
      expect(body.resultCount).toBe(8000);
    } finally {
      await s.close();
    }
  });

  it('a failure after the header went out destroys the connection: a truncated answer, not a complete one', async () => {
    const s = await serve(() => results(8, new Error('database gone')));
    try {
      const r = await fetchRaw(s.url);
      expect(r.status).toBe(200);
      expect(r.complete).toBe(false);
      expect(r.text.length).toBeGreaterThan(STREAM_AFTER_BYTES);
      expect(() => JSON.parse(r.text)).toThrow();
    } finally {
      await s.close();
    }
  });

  it('a failure before anything went out is an error answer', async () => {
    const s = await serve(() => results(0, new Error('database gone')));
    try {
      const r = await fetchRaw(s.url);
      expect(r.status).toBe(503);
      expect(r.complete).toBe(true);
      expect(JSON.parse(r.text).message).toBe('database gone');
    } finally {
      await s.close();
    }
  });
});
