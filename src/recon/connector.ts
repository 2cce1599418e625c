// The source side of a mapping: a connector that lists and reads source objects. Only OpenICF's
// CSV file connector is re-created (csv/: tokenize → rows → records, the row index, the connector).
import { SourceObject, SourceRecord } from './interfaces';

export { createCsvConnector, loadCsvConnectorConfig } from './csv/connector';

export interface SourceConnector {
  /** Connector name, as in system/<name>/<objectType>. */
  name: string;
  objectType: string;
  /** Every source row, good and bad, in file order. */
  query(): AsyncGenerator<SourceRecord>;
  read(id: string): Promise<SourceObject | null>;
  /** The connector's own paging, for a clustered run (clustered.ts); absent when it cannot page (XML). */
  paging?: SourcePaging;
}

/** A plan of the source as numbered records, stamped with the version of the source it counts. */
export interface SourcePlan {
  /** Changes whenever the source does: a page read under another stamp is refused. */
  stamp: string;
  /** Records (good and bad rows), numbered 0 … records - 1 in source order. */
  records: number;
}

/**
 * Row ranges of the source: every node reads the same numbered records (the CSV connector's row
 * index), so a page is two numbers, and duplicates are decided by source order, as one stream does.
 */
export interface SourcePaging {
  /** Why the source cannot be paged right now (an encoding or line ends the index does not cover), else null. */
  plan(): Promise<SourcePlan | string>;
  /**
   * Records [from, to) as query() yields them, and the ids among them whose first valid row is
   * before `from` (a later row with such an id is a duplicate). Throws when the stamp is not the source's.
   */
  read(stamp: string, from: number, to: number): Promise<{ records: SourceRecord[]; earlierIds: string[] }>;
  /** The distinct ids of the valid rows: the ids a full run's source phase sees. */
  validIds(stamp: string): Promise<Iterable<string>>;
}
