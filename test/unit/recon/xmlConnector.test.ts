// The XML file connector (OpenICF's org.forgerock.openicf.connectors.xml.XMLConnector, as OpenIDM's
// sample1/sample9 use it) and provisioner dispatch on connectorRef.connectorName.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProvisioner } from '../../../src/recon/provisioners';
import { SourceRecord } from '../../../src/recon/interfaces';

const NS = 'xmlns:icf="urn:test:icf" xmlns:ri="urn:test:ri"';
const account = (uid: string, extra = '') =>
  `  <ri:__ACCOUNT__>\n    <icf:__UID__>${uid}</icf:__UID__>\n    <icf:__NAME__>${uid}@example.com</icf:__NAME__>\n    <ri:firstname>F${uid}</ri:firstname>\n    <ri:lastname>L${uid}</ri:lastname>\n    <ri:email>${uid}@example.com</ri:email>\n    <ri:password>secret</ri:password>\n    <icf:__DESCRIPTION__>Created by test</icf:__DESCRIPTION__>${extra}\n  </ri:__ACCOUNT__>\n`;
const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<icf:OpenICFContainer ${NS}>\n${body}</icf:OpenICFContainer>\n`;

const provisioner = (over: Record<string, unknown> = {}) => ({
  name: 'xmlfile',
  connectorRef: { bundleName: 'org.forgerock.openicf.connectors.xml-connector', connectorName: 'org.forgerock.openicf.connectors.xml.XMLConnector' },
  configurationProperties: { xmlFilePath: 'data/xmlConnectorData.xml', xsdFilePath: 'data/resource-schema-extension.xsd' },
  objectTypes: {
    account: {
      nativeType: '__ACCOUNT__',
      properties: {
        name: { type: 'string', nativeName: '__NAME__' },
        description: { type: 'string', nativeName: '__DESCRIPTION__' },
        firstname: { type: 'string', nativeName: 'firstname' },
        lastname: { type: 'string', nativeName: 'lastname' },
        email: { type: 'array', items: { type: 'string' }, nativeName: 'email' },
        roles: { type: 'string', nativeName: 'roles' },
        password: { type: 'string', nativeName: '__PASSWORD__', flags: ['NOT_READABLE', 'NOT_RETURNED_BY_DEFAULT'] },
      },
    },
  },
  ...over,
});

const XSD = `<?xml version="1.0"?>\n<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n  <xsd:complexType name="AccountObjectClass"><xsd:sequence>\n${['firstname', 'lastname', 'email', 'password', 'roles'].map((n) => `    <xsd:element name="${n}" type="xsd:string" minOccurs="0"/>`).join('\n')}\n  </xsd:sequence></xsd:complexType>\n</xsd:schema>\n`;

async function all(gen: AsyncGenerator<SourceRecord>): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

describe('the XML file connector', () => {
  let dir: string;
  const write = (f: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-xml-'));
    write('data/resource-schema-extension.xsd', XSD);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads __ACCOUNT__ objects: __UID__ as _id, __NAME__ as name, properties by nativeName, no password', async () => {
    write('data/xmlConnectorData.xml', xml(account('bjensen', '\n    <ri:roles>openidm-authorized</ri:roles>') + account('scarter')));
    const [c] = loadProvisioner('provisioner.openicf-xml.json', provisioner(), dir);
    expect([c.name, c.objectType]).toEqual(['xmlfile', 'account']);
    const recs = await all(c.query());
    expect(recs.map((r) => r.ok)).toEqual([true, true]);
    const first = recs[0] as Extract<SourceRecord, { ok: true }>;
    expect(first.object).toEqual({
      _id: 'bjensen', name: 'bjensen@example.com', description: 'Created by test', firstname: 'Fbjensen', lastname: 'Lbjensen', email: ['bjensen@example.com'], roles: 'openidm-authorized',
    });
    expect(first.line).toBe(3);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await c.read('scarter')).toMatchObject({ _id: 'scarter', lastname: 'Lscarter' });
    expect(await c.read('nobody')).toBeNull();
  });

  it('reports a bad account as an error record and goes on', async () => {
    write('data/xmlConnectorData.xml', xml('  <ri:__ACCOUNT__><icf:__NAME__>x</icf:__NAME__></ri:__ACCOUNT__>\n' + account('a', '\n    <ri:shoeSize>44</ri:shoeSize>') + account('b')));
    const [c] = loadProvisioner('provisioner.openicf-xml.json', provisioner(), dir);
    const recs = await all(c.query());
    expect(recs.map((r) => (r.ok ? r.object._id : r.error))).toEqual([
      'account 1 has no __UID__',
      expect.stringMatching(/account 2: element "shoeSize" is not declared in .*resource-schema-extension\.xsd/),
      'b',
    ]);
  });

  it('refuses a DOCTYPE (entities are never expanded) and a file that is not XML, as SOURCE_INVALID', async () => {
    write('data/xmlConnectorData.xml', `<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<icf:OpenICFContainer ${NS}>&a;</icf:OpenICFContainer>`);
    const [c] = loadProvisioner('provisioner.openicf-xml.json', provisioner(), dir);
    await expect(all(c.query())).rejects.toMatchObject({ code: 'SOURCE_INVALID', message: expect.stringMatching(/DOCTYPE/) });
    write('data/xmlConnectorData.xml', '<a><b></a>');
    await expect(all(c.query())).rejects.toMatchObject({ code: 'SOURCE_INVALID' });
    fs.rmSync(path.join(dir, 'data/xmlConnectorData.xml'));
    await expect(all(c.query())).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
  });

  it('refuses bad configuration naming the file and the key', () => {
    expect(() => loadProvisioner('provisioner.openicf-xml.json', provisioner({ configurationProperties: {} }), dir)).toThrow(
      'provisioner.openicf-xml.json: configurationProperties.xmlFilePath is required (the XML file)',
    );
    expect(() => loadProvisioner('provisioner.openicf-xml.json', provisioner({ configurationProperties: { xmlFilePath: 'x.xml', xsdFilePath: 'missing.xsd' } }), dir)).toThrow(
      /provisioner\.openicf-xml\.json: configurationProperties\.xsdFilePath .*missing\.xsd.* cannot be read/,
    );
    expect(() => loadProvisioner('provisioner.openicf-xml.json', provisioner({ configurationProperties: { xmlFilePath: 'x.xml', createFileIfNotExists: true } }), dir)).toThrow(
      /configurationProperties\.createFileIfNotExists/,
    );
  });
});

describe('provisioner dispatch on connectorRef.connectorName', () => {
  const csv = (connectorName: string) => ({ name: 'csvfile', connectorRef: { connectorName }, configurationProperties: { csvFile: 'data/x.csv', headerUid: 'uid' } });

  it('runs the CSV connector for OpenICF\'s CSV connector name', () => {
    const [c] = loadProvisioner('provisioner.openicf-csvfile.json', csv('org.forgerock.openicf.csvfile.CSVFileConnector'), '/tmp');
    expect([c.name, c.objectType]).toEqual(['csvfile', 'account']);
  });

  it('refuses any other connector naming the file and the connector', () => {
    expect(() => loadProvisioner('provisioner.openicf-ldap.json', { name: 'ldap', connectorRef: { connectorName: 'org.identityconnectors.ldap.LdapConnector' }, configurationProperties: {} }, '/tmp')).toThrow(
      'provisioner.openicf-ldap.json: connectorRef.connectorName "org.identityconnectors.ldap.LdapConnector" is not a connector reconflow runs (it runs org.forgerock.openicf.csvfile.CSVFileConnector and org.forgerock.openicf.connectors.xml.XMLConnector); remove the file or use one of those',
    );
    expect(() => loadProvisioner('provisioner.openicf-x.json', { name: 'x', configurationProperties: {} }, '/tmp')).toThrow('provisioner.openicf-x.json: connectorRef.connectorName is required');
  });
});
