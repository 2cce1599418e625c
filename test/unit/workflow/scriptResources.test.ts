// A process file whose script resource is missing from its folder is refused at deploy naming the
// element that references it (camunda-bpm-examples/invokeRestService and xslt-example reference
// scripts on their Java classpath); a resource outside the folder is still refused as a path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDefinition } from '../../../src/workflow/engine';
import { inlineScriptResources } from '../../../src/workflow/scriptResources';

const xml = (script: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="start"><extensionElements><camunda:executionListener event="end">${script}</camunda:executionListener></extensionElements></startEvent>
    <sequenceFlow id="f" sourceRef="start" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>`;

describe('script resources of a process file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'script-resources-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('inlines a file beside the process', async () => {
    fs.writeFileSync(path.join(dir, 'here.js'), 'execution.setVariable("x", 1);');
    const inlined = inlineScriptResources(xml('<camunda:script scriptFormat="javascript" resource="here.js" />'), dir);
    expect(inlined).toContain('<![CDATA[execution.setVariable("x", 1);]]>');
    expect((await parseDefinition(inlined, 'p.bpmn')).unrunnable).toBeUndefined();
  });

  it('leaves a missing one, which deploy refuses naming the element', async () => {
    const left = inlineScriptResources(xml('<camunda:script scriptFormat="javascript" resource="missing.js" />'), dir, ' p.bpmn');
    expect(left).toContain('resource="missing.js"');
    const refusal = (await parseDefinition(left, 'p.bpmn')).unrunnable;
    expect(refusal?.elementId).toBe('start');
    expect(refusal?.message).toMatch(/camunda:executionListener \(event "end"\) on startEvent "start" has a script resource \("missing.js"\), .*no such file was there/);
  });

  it('refuses a path outside the folder as a path', () => {
    expect(() => inlineScriptResources(xml('<camunda:script scriptFormat="javascript" resource="../x.js" />'), dir, ' p.bpmn')).toThrow(
      'Cannot deploy p.bpmn: script resource "../x.js" must be a relative path inside the process folder',
    );
  });
});
