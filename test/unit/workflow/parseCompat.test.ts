import fs from 'node:fs';
import path from 'node:path';
import { parseDefinition, startInstance } from '../../../src/workflow/engine';
import { decodeXml } from '../../../src/workflow/xmlEncoding';

const root = path.resolve(__dirname, '../../..');
const fixtureBytes = (name: string) => fs.readFileSync(path.join(root, 'test/fixtures/bpmn', name));

const doc = (encoding: string, name: string) => `<?xml version="1.0" encoding="${encoding}"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="enc" name="${name}" isExecutable="true">
    <startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <userTask id="t" name="${name}" camunda:assignee="jörg" /><sequenceFlow id="f2" sourceRef="t" targetRef="e" /><endEvent id="e" />
  </process>
</definitions>`;

describe('files as modelers write them', () => {
  it('a single process without isExecutable is executable (Activiti/Flowable default)', async () => {
    const def = await parseDefinition(decodeXml(fixtureBytes('h-listeners-activiti.bpmn20.xml')), 'h-listeners-activiti.bpmn20.xml');
    expect(def.key).toBe('activitiListeners');
    expect(def.unrunnable).toBeUndefined();
    // bpmn-engine runs it too (it runs executable processes only).
    expect((await startInstance(def, {})).status).toBe('waiting');
  });

  it('isExecutable="false" stays not executable, and two processes without it are refused', async () => {
    const one = doc('UTF-8', 'x').replace('isExecutable="true"', 'isExecutable="false"');
    await expect(parseDefinition(one)).rejects.toThrow(/expected exactly one executable process, found 0/);
    const two = doc('UTF-8', 'x').replace(' isExecutable="true"', '').replace('</definitions>', '<process id="other"><startEvent id="s2" /></process></definitions>');
    await expect(parseDefinition(two)).rejects.toThrow(/found 0/);
  });

  it.each([
    ['ISO-8859-1', 'latin1'],
    ['windows-1252', 'latin1'],
  ] as const)('decodes a document declared %s by its declaration', async (encoding, nodeEncoding) => {
    const bytes = Buffer.from(doc(encoding, 'Prüfung'), nodeEncoding);
    expect(bytes.includes(Buffer.from('ü', 'utf8'))).toBe(false); // really single-byte
    const def = await parseDefinition(decodeXml(bytes), 'latin.bpmn');
    expect(def.name).toBe('Prüfung');
    const run = await startInstance(def, {});
    expect(run.openTasks[0]).toMatchObject({ name: 'Prüfung', assignee: 'jörg' });
  });

  it('decodes UTF-16 with a byte order mark (LE and BE) and UTF-8 with one', async () => {
    const text = doc('UTF-16', 'Größe');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const bytes of [le, be, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc('UTF-8', 'Größe'))])]) {
      expect((await parseDefinition(decodeXml(bytes))).name).toBe('Größe');
    }
  });

  it('refuses bytes that are not valid in the declared encoding and unknown encodings, naming the file', () => {
    expect(() => decodeXml(Buffer.from(doc('UTF-8', 'Prüfung'), 'latin1'), ' x.bpmn')).toThrow(/^Invalid BPMN x\.bpmn: the document is not valid utf-8$/i);
    expect(() => decodeXml(Buffer.from(doc('x-klingon', 'a')), ' x.bpmn')).toThrow('Invalid BPMN x.bpmn: encoding "x-klingon" is not supported');
  });

  it('keeps refusing DTDs and entities whatever the encoding', async () => {
    const xxe = `<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>${doc('UTF-16', '&x;').replace(/^<\?xml[^>]*>/, '')}`;
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xxe, 'utf16le')]);
    await expect(parseDefinition(decodeXml(bytes))).rejects.toThrow(/DOCTYPE\/ENTITY declarations are not allowed/);
  });

  it('accepts activiti:/flowable: taskListener and field elements (no "unparsable content")', async () => {
    const def = await parseDefinition(decodeXml(fixtureBytes('h-listeners-flowable.bpmn20.xml')), 'h-listeners-flowable.bpmn20.xml');
    expect(def.unrunnable).toBeUndefined();
  });
});
