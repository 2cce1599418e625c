// conf/provisioner.openicf-<name>.json: the connector a provisioner names by
// connectorRef.connectorName. reconflow runs OpenICF's CSV file connector (csv/) and XML file
// connector (xml/); any other connector stops start-up naming the file and the connector, so a
// project never runs with a source read as something it is not.
import type { SourceConnector } from './connector';
import { createCsvConnector, loadCsvConnectorConfig } from './csv/connector';
import { createXmlConnector, loadXmlConnectorConfig, XML_CONNECTOR_NAMES } from './xml/connector';

/** OpenICF's CSV connector: OpenIDM 3–6 and IDM 7–8 ship it under this one class name (bundle csvfile-connector). */
export const CSV_CONNECTOR_NAMES = ['org.forgerock.openicf.csvfile.CSVFileConnector'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The connectors of one provisioner file (one per object type reconflow reads: account). */
export function loadProvisioner(file: string, json: unknown, projectDir: string): SourceConnector[] {
  if (!isObject(json)) throw new Error(`${file}: the configuration must be a JSON object`);
  const ref = json.connectorRef;
  const connectorName = isObject(ref) ? ref.connectorName : undefined;
  if (typeof connectorName !== 'string' || connectorName.trim() === '') throw new Error(`${file}: connectorRef.connectorName is required`);
  const fromFile = /^provisioner\.openicf-(.+)\.json$/.exec(file)?.[1] ?? file;
  const name = typeof json.name === 'string' && json.name ? json.name : fromFile;
  if (CSV_CONNECTOR_NAMES.includes(connectorName)) {
    try {
      return [createCsvConnector(loadCsvConnectorConfig(json, projectDir), name)];
    } catch (e) {
      // loadCsvConnectorConfig names the field; the file is named here.
      throw new Error(`${file}: ${(e as Error).message.replace(/^provisioner\.openicf-csvfile: /, '')}`);
    }
  }
  if (XML_CONNECTOR_NAMES.includes(connectorName)) return [createXmlConnector(loadXmlConnectorConfig(file, json, projectDir), name)];
  throw new Error(
    `${file}: connectorRef.connectorName "${connectorName}" is not a connector reconflow runs (it runs ${CSV_CONNECTOR_NAMES[0]} and ${XML_CONNECTOR_NAMES[0]}); remove the file or use one of those`,
  );
}
