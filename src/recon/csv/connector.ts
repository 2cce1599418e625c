// The CSV file connector (OpenICF's, conf/provisioner.openicf-csvfile.json): its configuration,
// checked with errors that name the bad field, and the connector object a mapping's source uses —
// query() streams every record (records.ts), read(id) goes through the row index (rowIndex.ts).
import path from 'node:path';
import type { SourceConnector } from '../connector';
import { CsvConnectorConfig } from '../interfaces';
import { DEFAULT_MAX_FIELD_LENGTH, readCsv } from './records';
import { IndexedCsvReader } from './rowIndex';

/** The CSV settings of a provisioner.openicf-csvfile.json document; errors name the bad field. */
export function loadCsvConnectorConfig(confJson: unknown, projectDir: string): CsvConnectorConfig {
  const where = 'provisioner.openicf-csvfile';
  if (!isObject(confJson)) throw new Error(`${where}: the configuration must be a JSON object`);
  const props = confJson.configurationProperties;
  if (!isObject(props)) throw new Error(`${where}: configurationProperties is required (an object)`);
  const csvFile = props.csvFile;
  if (typeof csvFile !== 'string' || csvFile.trim() === '') {
    throw new Error(`${where}: configurationProperties.csvFile is required (a file path)`);
  }
  const headerUid = props.headerUid ?? 'uid';
  if (typeof headerUid !== 'string' || headerUid.trim() === '') {
    throw new Error(`${where}: configurationProperties.headerUid must be a non-empty string`);
  }
  const headerName = props.headerName;
  if (headerName !== undefined && headerName !== null && (typeof headerName !== 'string' || headerName.trim() === '')) {
    throw new Error(`${where}: configurationProperties.headerName must be a non-empty string`);
  }
  const encoding = props.encoding;
  if (encoding !== undefined && encoding !== null && (typeof encoding !== 'string' || !Buffer.isEncoding(encoding.toLowerCase()))) {
    throw new Error(`${where}: configurationProperties.encoding "${String(encoding)}" is not a supported encoding`);
  }
  const maxFieldLength = props.maxFieldLength ?? DEFAULT_MAX_FIELD_LENGTH;
  if (typeof maxFieldLength !== 'number' || !Number.isInteger(maxFieldLength) || maxFieldLength < 1) {
    throw new Error(`${where}: configurationProperties.maxFieldLength must be a positive integer`);
  }
  refuseRenamedAttributes(confJson.objectTypes, where);
  const cfg: CsvConnectorConfig = {
    csvFile: path.resolve(projectDir, csvFile),
    headerUid,
    maxFieldLength,
  };
  if (typeof headerName === 'string') cfg.headerName = headerName;
  if (typeof encoding === 'string') cfg.encoding = encoding;
  return cfg;
}

export function createCsvConnector(cfg: CsvConnectorConfig, name = 'csvfile', objectType = 'account'): SourceConnector {
  // read() serves the createUser job once per approval: an index keeps it from scanning the file.
  const reader = new IndexedCsvReader(cfg.csvFile, cfg);
  return {
    name,
    objectType,
    query: () => readCsv(cfg.csvFile, cfg),
    read: (id: string) => reader.read(id),
    // A clustered run's pages are ranges of the same index (rowIndex.ts).
    paging: {
      plan: () => reader.plan(),
      read: (stamp, from, to) => reader.readRange(stamp, from, to),
      validIds: (stamp) => reader.validIds(stamp),
    },
  };
}

/**
 * The CSV connector names every attribute by its header (src/recon/csv/records.ts); an
 * objectTypes property whose nativeName is another column would be read under the wrong name.
 * __UID__ and __NAME__ are the headerUid/headerName columns, which reconflow reads as _id and name.
 */
function refuseRenamedAttributes(objectTypes: unknown, where: string): void {
  if (objectTypes === undefined) return;
  if (!isObject(objectTypes)) throw new Error(`${where}: objectTypes must be an object`);
  for (const [type, t] of Object.entries(objectTypes)) {
    if (type !== 'account') throw new Error(`${where}: objectTypes.${type}: reconflow reads the account object type only; remove it`);
    const props = isObject(t) && isObject(t.properties) ? t.properties : {};
    for (const [key, p] of Object.entries(props)) {
      const native = isObject(p) ? p.nativeName : undefined;
      if (native === undefined || native === key || native === '__UID__' || native === '__NAME__') continue;
      throw new Error(`${where}: objectTypes.account.properties.${key}.nativeName "${String(native)}": reconflow names each attribute by its CSV header and does not rename it; rename the column or make nativeName "${key}"`);
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
