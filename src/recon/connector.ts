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
}
