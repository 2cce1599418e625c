// Tasks, loops and gateways bpmn-engine accepts but would not run as BPMN says are refused at deploy
// naming the element and why; what does run (a transaction, compensation) is not refused.
import { DefinitionError, parseDefinition } from '../../../src/workflow/engine';

const bpmn = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:activiti="http://activiti.org/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    ${inner}
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" /><bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

async function refusal(inner: string): Promise<DefinitionError | undefined> {
  try {
    return (await parseDefinition(bpmn(inner), 'p.bpmn')).unrunnable;
  } catch (e) {
    return e as DefinitionError;
  }
}

describe('refused at deploy (tasks, loops, gateways)', () => {
  it.each([
    ['a complex gateway', '<bpmn:complexGateway id="work" />', 'work', /complexGateway "work" cannot run: bpmn-engine has no complex gateway/],
    ['an ad-hoc sub-process', '<bpmn:adHocSubProcess id="work"><bpmn:userTask id="a" /><bpmn:userTask id="b" /></bpmn:adHocSubProcess>', 'work', /adHocSubProcess "work" cannot run as BPMN says/],
    [
      'an event sub-process with a timer start (never armed)',
      '<bpmn:userTask id="work" /><bpmn:subProcess id="later" triggeredByEvent="true"><bpmn:startEvent id="tick"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent></bpmn:subProcess>',
      'later',
      /subProcess "later" is an event sub-process started by a timer \("tick"\), which bpmn-engine never arms/,
    ],
    ['a multi-instance without cardinality or collection', '<bpmn:userTask id="work"><bpmn:multiInstanceLoopCharacteristics /></bpmn:userTask>', 'work', /userTask "work" is multi-instance without loopCardinality or collection/],
    [
      'a multi-instance over loopDataInputRef',
      '<bpmn:dataObject id="list" /><bpmn:userTask id="work"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>list</bpmn:loopDataInputRef></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>',
      'work',
      /loopDataInputRef\/inputDataItem, which reconflow does not read/,
    ],
    ['a standard loop (condition inverted by bpmn-engine)', '<bpmn:userTask id="work"><bpmn:standardLoopCharacteristics><bpmn:loopCondition>${n &lt; 3}</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:userTask>', 'work', /standardLoopCharacteristics: bpmn-engine ends the loop when loopCondition holds/],
  ])('%s', async (_what, inner, elementId, message) => {
    const err = await refusal(inner);
    expect(err).toBeInstanceOf(DefinitionError);
    expect(err?.message).toMatch(message);
    expect(err?.elementId).toBe(elementId);
  });

  it.each([
    ['a camunda:collection multi-instance', '<bpmn:userTask id="work"><bpmn:multiInstanceLoopCharacteristics camunda:collection="list" /></bpmn:userTask>'],
    ['an activiti:collection multi-instance', '<bpmn:userTask id="work"><bpmn:multiInstanceLoopCharacteristics activiti:collection="${list}" activiti:elementVariable="x" /></bpmn:userTask>'],
    ['a sequential multi-instance with only a completion condition', '<bpmn:userTask id="work"><bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:completionCondition>${done}</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'],
    ['a user task in a transaction', '<bpmn:transaction id="work"><bpmn:startEvent id="s" /><bpmn:sequenceFlow id="g" sourceRef="s" targetRef="t" /><bpmn:userTask id="t" /></bpmn:transaction>'],
    ['an event sub-process started by an error', '<bpmn:userTask id="work" /><bpmn:subProcess id="onError" triggeredByEvent="true"><bpmn:startEvent id="caught"><bpmn:errorEventDefinition /></bpmn:startEvent></bpmn:subProcess>'],
    ['an inclusive gateway', '<bpmn:inclusiveGateway id="work" />'],
  ])('accepts %s', async (_what, inner) => {
    expect(await refusal(inner)).toBeUndefined();
  });
});
