// The XML file connector, as OpenICF's XMLConnector (org.forgerock.openicf.connectors.xml.XMLConnector)
// reads the file of OpenIDM's sample1/sample9: an <icf:OpenICFContainer> whose children are
// <ri:__ACCOUNT__> objects, each holding <icf:__UID__>, <icf:__NAME__>, the ICF special attributes
// (__DESCRIPTION__, __PASSWORD__, …) and the extension attributes declared by xsdFilePath
// (OpenICF XML connector: configurationProperties xmlFilePath, xsdFilePath, xsdIcfFilePath,
// createFileIfNotExists). The provisioner's objectTypes.account.properties name each attribute by
// its nativeName, as OpenIDM's system/<name>/account objects do; __UID__ is _id and __NAME__ name.
//
// Read-only (reconflow reads sources; it never writes them). The file is read whole and parsed by
// fast-xml-parser with entity processing off; a DOCTYPE is refused outright, so neither external
// entities nor entity expansion ("billion laughs") can happen.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { SourceConnector } from '../connector';
import { SourceObject, SourceRecord } from '../interfaces';

export const XML_CONNECTOR_NAMES = ['org.forgerock.openicf.connectors.xml.XMLConnector', 'com.forgerock.openicf.xml.XMLConnector'];

/** The largest XML source read (it is parsed in memory). */
export const MAX_XML_BYTES = 256 * 1024 * 1024;

export interface XmlAttribute {
  /** The property name the object carries (the objectTypes key). */
  name: string;
  multiValued: boolean;
  /** NOT_READABLE / NOT_RETURNED_BY_DEFAULT: never put on the object. */
  hidden: boolean;
}

export interface XmlConnectorConfig {
  xmlFile: string;
  /** The extension schema: its declared element names, or null when no xsdFilePath is set. */
  declared: Set<string> | null;
  xsdFile: string | null;
  nativeType: string;
  /** By native name (local part); null: every element by its own name. */
  attributes: Map<string, XmlAttribute> | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const CONFIG_KEYS = ['xmlFilePath', 'xsdFilePath', 'xsdIcfFilePath', 'createFileIfNotExists'];

/** The settings of a provisioner file for the XML connector; errors name the file and the key. */
export function loadXmlConnectorConfig(file: string, json: Record<string, unknown>, projectDir: string, objectType = 'account'): XmlConnectorConfig {
  const fail = (msg: string): never => {
    throw new Error(`${file}: ${msg}`);
  };
  const props = json.configurationProperties;
  if (!isObject(props)) return fail('configurationProperties is required (an object)');
  for (const k of Object.keys(props)) if (!CONFIG_KEYS.includes(k)) fail(`configurationProperties.${k} is not a setting of the XML connector (known: ${CONFIG_KEYS.join(', ')})`);
  if (typeof props.xmlFilePath !== 'string' || props.xmlFilePath.trim() === '') fail('configurationProperties.xmlFilePath is required (the XML file)');
  if (props.createFileIfNotExists !== undefined && props.createFileIfNotExists !== false) {
    fail('configurationProperties.createFileIfNotExists: reconflow reads sources and never creates or writes them; remove it or set it to false');
  }
  const readable = (key: string): string | null => {
    const v = props[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v.trim() === '') return fail(`configurationProperties.${key} must be a file path`);
    const full = path.resolve(projectDir, v);
    try {
      fs.accessSync(full, fs.constants.R_OK);
    } catch {
      fail(`configurationProperties.${key} ${full} cannot be read`);
    }
    return full;
  };
  const xsdFile = readable('xsdFilePath');
  // The ICF base schema declares what reconflow knows by itself (__UID__, __NAME__, …): checked to exist only.
  readable('xsdIcfFilePath');
  const declared = xsdFile ? declaredElements(xsdFile, file) : null;

  const types = json.objectTypes;
  let nativeType = '__ACCOUNT__';
  let attributes: Map<string, XmlAttribute> | null = null;
  if (types !== undefined) {
    if (!isObject(types) || !isObject(types[objectType])) return fail(`objectTypes.${objectType} is required (an object) when objectTypes is given`);
    const t = types[objectType] as Record<string, unknown>;
    if (t.nativeType !== undefined) {
      if (typeof t.nativeType !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(t.nativeType)) fail(`objectTypes.${objectType}.nativeType must be an element name`);
      nativeType = t.nativeType as string;
    }
    if (t.properties !== undefined) {
      if (!isObject(t.properties)) fail(`objectTypes.${objectType}.properties must be an object`);
      attributes = new Map();
      for (const [name, p] of Object.entries(t.properties as Record<string, unknown>)) {
        if (!isObject(p)) fail(`objectTypes.${objectType}.properties.${name} must be an object`);
        const p2 = p as Record<string, unknown>;
        const nativeName = p2.nativeName ?? name;
        if (typeof nativeName !== 'string') return fail(`objectTypes.${objectType}.properties.${name}.nativeName must be a string`);
        const flags = Array.isArray(p2.flags) ? p2.flags : [];
        attributes.set(nativeName, {
          name: nativeName === '__UID__' ? '_id' : name,
          multiValued: p2.type === 'array',
          hidden: flags.includes('NOT_READABLE') || flags.includes('NOT_RETURNED_BY_DEFAULT') || nativeName === '__PASSWORD__',
        });
      }
    }
  }
  return { xmlFile: path.resolve(projectDir, props.xmlFilePath as string), declared, xsdFile, nativeType, attributes };
}

/** Every `<xsd:element name="…">` of a schema file. */
function declaredElements(xsdFile: string, file: string): Set<string> {
  const text = fs.readFileSync(xsdFile, 'utf8');
  if (/<!DOCTYPE/i.test(text)) throw new Error(`${file}: configurationProperties.xsdFilePath ${xsdFile} has a DOCTYPE, which is not read`);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`${file}: configurationProperties.xsdFilePath ${xsdFile} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  const out = new Set<string>();
  for (const m of text.matchAll(/<(?:[\w.-]+:)?element\b[^>]*?\bname\s*=\s*(?:"([^"]+)"|'([^']+)')/g)) out.add(m[1] ?? m[2]);
  return out;
}

function xmlError(code: 'SOURCE_UNAVAILABLE' | 'SOURCE_INVALID', message: string): Error & { code: string } {
  const e = new Error(message) as Error & { code: string };
  e.code = code;
  return e;
}

/** Every object of the file as records, in file order; throws SOURCE_UNAVAILABLE / SOURCE_INVALID. */
export async function readXmlRecords(cfg: XmlConnectorConfig): Promise<SourceRecord[]> {
  let text: string;
  try {
    const st = await fs.promises.stat(cfg.xmlFile);
    if (st.size > MAX_XML_BYTES) throw xmlError('SOURCE_INVALID', `XML source ${cfg.xmlFile} is larger than ${MAX_XML_BYTES} bytes`);
    text = await fs.promises.readFile(cfg.xmlFile, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'SOURCE_INVALID') throw e;
    throw xmlError('SOURCE_UNAVAILABLE', `XML source ${cfg.xmlFile} is unavailable: ${(e as Error).message}`);
  }
  if (/<!DOCTYPE/i.test(text)) throw xmlError('SOURCE_INVALID', `XML source ${cfg.xmlFile}: a DOCTYPE is not accepted (entities are never expanded); remove it`);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw xmlError('SOURCE_INVALID', `XML source ${cfg.xmlFile} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  const parser = new XMLParser({
    ignoreAttributes: true,
    removeNSPrefix: true,
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    // Every element an array, so that one and several values read the same way.
    isArray: () => true,
  });
  const doc = parser.parse(text) as Record<string, unknown[]>;
  const roots = Object.keys(doc);
  if (roots.length !== 1) throw xmlError('SOURCE_INVALID', `XML source ${cfg.xmlFile} has no single root element`);
  const root = (doc[roots[0]] as unknown[])[0];
  const objects = isObject(root) && Array.isArray(root[cfg.nativeType]) ? (root[cfg.nativeType] as unknown[]) : [];
  const lines = openingLines(text, cfg.nativeType);
  return objects.map((o, i) => toRecord(o, i, lines[i] ?? 0, cfg));
}

/** The line of each opening tag of the object type, in order (what a report points to). */
function openingLines(text: string, nativeType: string): number[] {
  const out: number[] = [];
  const re = new RegExp(`<(?:[\\w.-]+:)?${nativeType.replace(/[.]/g, '\\.')}[\\s/>]`, 'g');
  let line = 1;
  let at = 0;
  for (const m of text.matchAll(re)) {
    for (let k = at; k < m.index; k++) if (text.charCodeAt(k) === 10) line++;
    at = m.index;
    out.push(line);
  }
  return out;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v === '' || (isObject(v) && Object.keys(v).length === 0) ? '' : null);

function toRecord(o: unknown, i: number, line: number, cfg: XmlConnectorConfig): SourceRecord {
  const n = i + 1;
  if (!isObject(o)) return { ok: false, line, error: `account ${n} is empty` };
  const one = (k: string) => (Array.isArray(o[k]) ? (o[k] as unknown[]) : []);
  const uid = one('__UID__').map(text);
  if (uid.length === 0 || uid[0] === null || uid[0].trim() === '') return { ok: false, line, error: `account ${n} has no __UID__` };
  if (uid.length > 1) return { ok: false, line, error: `account ${n} has more than one __UID__` };
  const name = one('__NAME__').map(text);
  const object: SourceObject = { _id: uid[0], name: name[0] ?? uid[0] };
  const problems: string[] = [];
  for (const [k, values] of Object.entries(o)) {
    if (k === '__UID__' || k === '__NAME__') continue;
    if (cfg.declared && !k.startsWith('__') && !cfg.declared.has(k)) {
      problems.push(`element "${k}" is not declared in ${cfg.xsdFile}`);
      continue;
    }
    const vals = (values as unknown[]).map(text);
    if (vals.some((v) => v === null)) {
      problems.push(`element "${k}" has child elements (attributes are text values)`);
      continue;
    }
    const attr = cfg.attributes ? cfg.attributes.get(k) : { name: k === '__DESCRIPTION__' ? 'description' : k, multiValued: false, hidden: k === '__PASSWORD__' };
    if (!attr || attr.hidden) continue; // not in the provisioner's schema, or never returned (IDM)
    if (attr.name === '_id' || attr.name === 'name') continue;
    object[attr.name] = attr.multiValued || vals.length > 1 ? vals : vals[0];
  }
  if (problems.length) return { ok: false, line, error: `account ${n}: ${problems.join('; ')}` };
  const keys = Object.keys(object).sort();
  const hash = crypto.createHash('sha256').update(JSON.stringify(keys) + JSON.stringify(keys.map((k) => object[k]))).digest('hex');
  return { ok: true, line, object, hash };
}

export function createXmlConnector(cfg: XmlConnectorConfig, name: string, objectType = 'account'): SourceConnector {
  // read(id) serves the createUser job once per approval: the parsed file is kept while it is unchanged.
  let cached: { stamp: string; byId: Map<string, SourceObject> } | null = null;
  return {
    name,
    objectType,
    async *query() {
      for (const r of await readXmlRecords(cfg)) yield r;
    },
    async read(id: string) {
      const st = await fs.promises.stat(cfg.xmlFile).catch(() => null);
      const stamp = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '';
      if (!cached || cached.stamp !== stamp) {
        const byId = new Map<string, SourceObject>();
        for (const r of await readXmlRecords(cfg)) if (r.ok && !byId.has(r.object._id)) byId.set(r.object._id, r.object);
        cached = { stamp, byId };
      }
      const o = cached.byId.get(id);
      return o ? (JSON.parse(JSON.stringify(o)) as SourceObject) : null;
    },
  };
}
