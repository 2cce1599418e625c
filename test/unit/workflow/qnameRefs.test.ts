// A reference is a QName (BPMN 2.0 §8.2): messageRef="tns:newInvoice", where xmlns:tns is the
// document's targetNamespace, names the message with id "newInvoice", as Camunda and Flowable read it
// (Camunda's MessageStartEventTest.testSingleMessageStartEvent, Flowable's encoding test). A prefix
// bound to another namespace, or a local name with no element, is still refused naming the element.
import fs from 'node:fs';
import path from 'node:path';
import { DefinitionError, parseDefinition } from '../../../src/workflow/engine';
import { compiledOf } from '../../../src/workflow/parse';

const FILE = 'MessageStartEventTest.testSingleMessageStartEvent.bpmn20.xml';
const xml = fs.readFileSync(path.resolve(__dirname, '../../conformance/files/camunda-bpm-platform', FILE), 'utf8');

describe('QName references with the targetNamespace prefix', () => {
  it('resolve messageRef="tns:newInvoice" to the message newInvoice', async () => {
    const def = await parseDefinition(xml, FILE);
    expect(def.key).toBe('singleMessageStartEvent');
    const waits = [...compiledOf(def).eventWaits.byActivity].map(([id, w]) => [id, w.kind, w.name, w.start]);
    expect(waits).toEqual([['theStart', 'message', 'newInvoiceMessage', true]]);
  });

  it('refuse a prefix bound to another namespace, naming the event definition', async () => {
    const other = xml.replace('xmlns:tns="Examples"', 'xmlns:tns="Elsewhere"');
    await expect(parseDefinition(other, FILE)).rejects.toThrow(DefinitionError);
    await expect(parseDefinition(other, FILE)).rejects.toThrow(/messageRef references unknown element "tns:newInvoice"/);
  });

  it('refuse a local name no element has', async () => {
    await expect(parseDefinition(xml.replace('tns:newInvoice', 'tns:noSuchMessage'), FILE)).rejects.toThrow(/references unknown element "tns:noSuchMessage"/);
  });
});
