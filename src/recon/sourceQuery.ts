// A query of a source through its connector (system/<connector>/<objectType>): a connector has no
// query language, so every record is read and the valid objects are filtered and paged here.
import { Filter, matchesFilter } from '../crest/queryFilter';
import { SourceConnector } from './connector';
import { SourceObject } from './interfaces';

export interface SourcePage {
  /** The page's objects, one more than pageSize when there are more (the envelope's cookie). */
  objects: SourceObject[];
  /** Matching objects counted (all of them when countAll; else those read before the page filled). */
  total: number;
}

/** The valid objects matching `filter`, from `offset`; with countAll false, the read stops once the page is full. */
export async function querySource(c: SourceConnector, filter: Filter, offset: number, pageSize: number | undefined, countAll: boolean): Promise<SourcePage> {
  const objects: SourceObject[] = [];
  let skipped = 0;
  let total = 0;
  const stopAt = pageSize !== undefined ? pageSize + 1 : Infinity;
  for await (const rec of c.query()) {
    if (!rec.ok || !matchesFilter(filter, rec.object)) continue;
    total++;
    if (skipped < offset) {
      skipped++;
      continue;
    }
    if (objects.length < stopAt) objects.push(rec.object);
    else if (!countAll) break;
  }
  return { objects, total };
}

/** Every valid object matching `filter` from `offset` on, `batch` at a time, as the connector reads them (an unpaged query). */
export async function* streamSource(c: SourceConnector, filter: Filter, offset: number, batch = 1000): AsyncGenerator<SourceObject[]> {
  let skipped = 0;
  let out: SourceObject[] = [];
  for await (const rec of c.query()) {
    if (!rec.ok || !matchesFilter(filter, rec.object)) continue;
    if (skipped < offset) {
      skipped++;
      continue;
    }
    out.push(rec.object);
    if (out.length >= batch) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
}
