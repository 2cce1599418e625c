// conf/provisioner.openicf-<name>.json: which keys reconflow's two read-only connectors honour.
// Keys follow OpenIDM's connectors guide (openidm-doc connectors-guide/chap-csv.adoc: csvFile,
// headerUid, encoding, headerPassword, fieldDelimiter, quoteCharacter, newlineString,
// syncFileRetentionCount; PingIDM 7's CSV connector 1.5.20 adds headerName, escapeCharacter,
// spaceReplacementString) and the XML connector's (xmlFilePath, xsdFilePath, xsdIcfFilePath,
// createFileIfNotExists), and the provisioner keys of OpenIDM's samples/provisioners. Values are
// checked by the connectors (src/recon/csv/connector.ts, src/recon/xml/connector.ts); this schema
// makes sure no key is read by nobody: a key that would change what is read is refused, one that
// cannot (ICF's pooling, live sync, writes) is listed in the start-up warning.
import { CSV_CONNECTOR_NAMES } from '../../recon/provisioners';
import { XML_CONNECTOR_NAMES } from '../../recon/xml/connector';
import { Schema } from './framework';

const noWrites = 'reconflow only reads the source; it never creates, changes or deletes its entries';
const noLiveSync = 'reconflow has no live synchronization (it reconciles)';

const csvProperties: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    csvFile: {},
    headerUid: {},
    headerName: {},
    encoding: {},
    // reconflow's own: the longest field read (a longer one is a bad row)
    maxFieldLength: {},
    fieldDelimiter: { enum: [','], 'x-noEffect': 'the default delimiter, the only one reconflow reads' },
    quoteCharacter: { enum: ['"'], 'x-noEffect': 'the default quote, the only one reconflow reads' },
    newlineString: { enum: ['\n'], 'x-noEffect': 'the default line end, which reconflow reads' },
    syncFileRetentionCount: { 'x-noEffect': noLiveSync },
    headerPassword: {
      'x-refuse': 'headerPassword is not implemented: reconflow would read the password column as an ordinary attribute of every entry; remove the key (and the column)',
    },
    escapeCharacter: { 'x-refuse': 'escapeCharacter is not implemented: reconflow reads a quote inside a quoted field as a doubled quote (RFC 4180); remove it' },
    spaceReplacementString: { 'x-refuse': 'spaceReplacementString is not implemented: reconflow names each attribute by its header exactly; remove it' },
  },
};

const xmlProperties: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: { xmlFilePath: {}, xsdFilePath: {}, xsdIcfFilePath: {}, createFileIfNotExists: {} },
};

const connectorIs = (names: string[]) => ({
  type: 'object',
  required: ['connectorRef'],
  properties: { connectorRef: { type: 'object', required: ['connectorName'], properties: { connectorName: { enum: names } } } },
});

export const provisionerSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: {},
    enabled: { enum: [true], 'x-note': 'a disabled connector ("enabled": false) is not implemented: remove the file instead' },
    connectorRef: {
      type: 'object',
      additionalProperties: false,
      properties: {
        connectorName: {},
        bundleName: { 'x-noEffect': 'reconflow runs its own connector for connectorName' },
        bundleVersion: { 'x-noEffect': 'reconflow runs its own connector for connectorName' },
        connectorHostRef: { enum: ['#LOCAL'], 'x-note': 'a remote connector server is not implemented: the connector runs inside reconflow' },
        displayName: { 'x-noEffect': "IDM's admin UI only" },
      },
    },
    configurationProperties: { type: 'object' },
    objectTypes: { type: 'object' },
    operationTimeout: { 'x-noEffect': 'reconflow reads the local file without ICF operation timeouts' },
    poolConfigOption: { 'x-noEffect': 'reconflow pools no connector instances' },
    resultsHandlerConfig: { 'x-noEffect': "ICF's results handlers: reconflow filters and pages itself" },
    connectorPoolingSupported: { 'x-noEffect': 'reconflow pools no connector instances' },
    producerBufferSize: { 'x-noEffect': 'reconflow streams the source itself' },
    operationOptions: { 'x-noEffect': noWrites },
    syncFailureHandler: { 'x-noEffect': noLiveSync },
    systemActions: { 'x-refuse': 'systemActions (scripts run on the connector) are not implemented by reconflow: remove them' },
  },
  allOf: [
    { if: connectorIs(CSV_CONNECTOR_NAMES), then: { type: 'object', properties: { configurationProperties: csvProperties } } },
    { if: connectorIs(XML_CONNECTOR_NAMES), then: { type: 'object', properties: { configurationProperties: xmlProperties } } },
  ],
};
