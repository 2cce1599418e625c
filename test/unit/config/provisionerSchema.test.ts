// conf/provisioner.openicf-*.json keys (src/config/schema/provisioner.ts): every key of
// configurationProperties and of the provisioner is read by the connector, refused naming itself,
// or listed in the start-up warning as without effect — unknown CSV configurationProperties were
// once silently ignored (issue 16). Keys as OpenIDM's connectors guide (chap-csv.adoc) and
// samples/provisioners list them.
import fs from 'node:fs';
import path from 'node:path';
import { validateConfFiles } from '../../../src/config/schema';
import { loadCsvConnectorConfig } from '../../../src/recon/csv/connector';

const root = path.resolve(__dirname, '..', '..', '..');
const read = (...p: string[]) => JSON.parse(fs.readFileSync(path.join(root, ...p), 'utf8'));
const CSV = 'provisioner.openicf-csvfile.json';
const own = read('conf', CSV);
const csvWith = (props: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  [CSV]: { ...own, ...top, configurationProperties: { ...own.configurationProperties, ...props } },
});

describe('provisioner.openicf-*.json keys', () => {
  it("accepts reconflow's own provisioner and the IDM fixtures' (CSV and XML)", () => {
    expect(validateConfFiles({ [CSV]: own })).toEqual([`${CSV}: keys accepted without effect in reconflow: connectorRef.bundleName (reconflow runs its own connector for connectorName)`]);
    expect(validateConfFiles({ [CSV]: read('test', 'fixtures', 'idm-project', 'conf', CSV) })).toEqual([expect.stringMatching(/bundleVersion/)]);
    const xml = read('test', 'fixtures', 'idm-project-4', 'conf', 'provisioner.openicf-xml.json');
    expect(validateConfFiles({ 'provisioner.openicf-xml.json': xml })).toEqual([expect.stringMatching(/bundleName/)]);
  });

  it.each([
    ['an unknown CSV property', { csvFiel: 'data/x.csv' }, /provisioner\.openicf-csvfile\.json: configurationProperties\.csvFiel is not supported by reconflow: remove it/],
    ['headerPassword', { headerPassword: 'password' }, /configurationProperties\.headerPassword headerPassword is not implemented/],
    ['escapeCharacter', { escapeCharacter: '\\' }, /escapeCharacter is not implemented/],
    ['spaceReplacementString', { spaceReplacementString: '_' }, /spaceReplacementString is not implemented/],
    ['another delimiter', { fieldDelimiter: ';' }, /configurationProperties\.fieldDelimiter ";" is not implemented by reconflow \(implemented: ","\)/],
    ['another quote', { quoteCharacter: "'" }, /configurationProperties\.quoteCharacter "'" is not implemented/],
  ])('refuses %s at start, naming file and key', (_what, props, message) => {
    expect(() => validateConfFiles(csvWith(props))).toThrow(message);
  });

  it('lists the CSV properties and provisioner keys that cannot change what is read', () => {
    const [w] = validateConfFiles(csvWith(
      { fieldDelimiter: ',', quoteCharacter: '"', newlineString: '\n', syncFileRetentionCount: 3 },
      { operationTimeout: { SEARCH: -1 }, poolConfigOption: { maxObjects: 10 }, syncFailureHandler: { maxRetries: 5 }, operationOptions: {} },
    ));
    for (const k of ['configurationProperties.fieldDelimiter', 'configurationProperties.quoteCharacter', 'configurationProperties.newlineString', 'configurationProperties.syncFileRetentionCount', 'operationTimeout', 'poolConfigOption', 'syncFailureHandler', 'operationOptions']) {
      expect(w).toContain(k);
    }
    expect(w).toMatch(/^provisioner\.openicf-csvfile\.json: keys accepted without effect in reconflow/);
  });

  it('refuses provisioner keys that would change behaviour', () => {
    expect(() => validateConfFiles(csvWith({}, { enabled: false }))).toThrow(/enabled false is not implemented/);
    expect(() => validateConfFiles(csvWith({}, { connectorRef: { ...own.connectorRef, connectorHostRef: 'remote' } }))).toThrow(/connectorRef\.connectorHostRef "remote" is not implemented/);
    expect(() => validateConfFiles(csvWith({}, { systemActions: [] }))).toThrow(/systemActions/);
    expect(() => validateConfFiles(csvWith({}, { frobnicate: 1 }))).toThrow(/frobnicate is not supported by reconflow/);
  });

  it('refuses XML properties the XML connector does not have, and CSV ones on it', () => {
    const xml = read('test', 'fixtures', 'idm-project-4', 'conf', 'provisioner.openicf-xml.json');
    xml.configurationProperties.csvFile = 'x.csv';
    expect(() => validateConfFiles({ 'provisioner.openicf-xml.json': xml })).toThrow(/configurationProperties\.csvFile is not supported by reconflow/);
  });

  it('refuses a CSV objectTypes property read under another column (nativeName), or another object type', () => {
    const base = { configurationProperties: { csvFile: 'data/x.csv' } };
    expect(() => loadCsvConnectorConfig({ ...base, objectTypes: { account: { properties: { mail: { nativeName: 'email' } } } } }, '/p')).toThrow(
      /objectTypes\.account\.properties\.mail\.nativeName "email": reconflow names each attribute by its CSV header/,
    );
    expect(() => loadCsvConnectorConfig({ ...base, objectTypes: { group: {} } }, '/p')).toThrow(/objectTypes\.group: reconflow reads the account object type only/);
    expect(() => loadCsvConnectorConfig({ ...base, objectTypes: { account: { properties: { uid: { nativeName: '__UID__' }, email: { nativeName: 'email' } } } } }, '/p')).not.toThrow();
  });
});
