// Broken references that do not touch execution (diagram interchange, a participant naming no
// process) are deployed as Camunda deploys them; a broken reference in the executable process is
// still refused, naming the element.
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, DefinitionError, parseDefinition, startInstance } from '../../../src/workflow/engine';

const conformance = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../conformance/files/camunda-bpm-platform', name), 'utf8');
const ERROR_END = 'ErrorEndEventTest.testError.bpmn20.xml'; // its BPMNPlane points at "testErrorMessage", not the process
const PARTICIPANT = 'BpmnParseTest.testParseNamespaceInConditionExpressionType.bpmn20.xml'; // participant processRef="Process_1"

async function refusal(xml: string): Promise<DefinitionError> {
  const err = await parseDefinition(xml, 'broken.bpmn').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DefinitionError);
  return err as DefinitionError;
}

describe('unresolved references outside execution', () => {
  it("deploys and runs Camunda's ErrorEndEventTest.testError, whose diagram plane names a missing element", async () => {
    const xml = conformance(ERROR_END);
    const def = await parseDefinition(xml, ERROR_END);
    const started = await startInstance(def, {}, { start: 'engine' });
    expect(started.error).toBeUndefined();
    expect(started.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['task']);
    const done = await completeTask(await parseDefinition(xml, ERROR_END), started.state!, started.openTasks[0].executionId, {}, { templates: false });
    expect(done).toMatchObject({ status: 'ended', endActivityId: 'endEvent' });
  });

  it('deploys a collaboration whose participant names no process, and runs its process', async () => {
    const def = await parseDefinition(conformance(PARTICIPANT), PARTICIPANT);
    expect(def.key).toBe('resolvableNamespacesProcess');
    const ended = await startInstance(def, { approved: true }, { start: 'engine' });
    expect(ended).toMatchObject({ status: 'ended', endActivityId: 'EndEvent_1' });
  });

  it('ignores a diagram shape or edge pointing at nothing', async () => {
    const xml = conformance(ERROR_END).replace('bpmnElement="task"', 'bpmnElement="ghostTask"').replace('bpmnElement="SequenceFlow_0da6ii3"', 'bpmnElement="ghostFlow"');
    expect(xml).toContain('ghostTask');
    expect(xml).toContain('ghostFlow');
    await expect(parseDefinition(xml)).resolves.toMatchObject({ key: 'testError' });
  });
});

describe('unresolved references in the executable process are still refused', () => {
  const base = conformance(ERROR_END);
  it.each([
    ['a sequence flow target', base.replace('targetRef="endEvent"', 'targetRef="ghost"'), 'SequenceFlow_0da6ii3', /targetRef references unknown element "ghost"/],
    ['a sequence flow source', base.replace('sourceRef="task"', 'sourceRef="ghost"'), 'SequenceFlow_0da6ii3', /sourceRef references unknown element "ghost"/],
    ['a boundary event host', base.replace('attachedToRef="subProcess"', 'attachedToRef="ghost"'), 'errorBoundaryEvent', /attachedToRef references unknown element "ghost"/],
    ['a default flow', base.replace('<bpmn:userTask id="task" name="task">', '<bpmn:userTask id="task" name="task" default="ghost">'), 'task', /default references unknown element "ghost"/],
    [
      'a message',
      base.replace('<bpmn:userTask id="task" name="task">', '<bpmn:receiveTask id="wait" messageRef="ghost" /><bpmn:userTask id="task" name="task">'),
      'wait',
      /messageRef references unknown element "ghost"/,
    ],
  ])('%s', async (_what, xml, elementId, message) => {
    const err = await refusal(xml);
    expect(err.elementId).toBe(elementId);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/broken\.bpmn/);
  });

  it('a participant naming no process is ignored, but a message flow from it to a missing element is not', async () => {
    const xml = conformance(PARTICIPANT).replace(
      '</bpmn2:collaboration>',
      '<bpmn2:messageFlow id="mf" sourceRef="Participant_1" targetRef="ghost" /></bpmn2:collaboration>',
    );
    const err = await refusal(xml);
    expect(err.elementId).toBe('mf');
  });
});
