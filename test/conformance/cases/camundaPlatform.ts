// camunda/camunda-bpm-platform engine test resources (Apache-2.0). Each file is deployed by the
// JUnit test named after it (`<TestClass>.<testMethod>.bpmn20.xml` is the @Deployment of
// engine/src/test/java/org/camunda/bpm/engine/test/bpmn/<dir>/<TestClass>.java#<testMethod>); the
// drive and outcome below follow that test.
import type { ConformanceCase } from './types';

const D = 'camunda-bpm-platform/';
const T = (cls: string, method: string) => `camunda-bpm-platform engine/src/test/java/org/camunda/bpm/engine/test/bpmn/${cls}#${method}`;

export const camundaPlatformCases: ConformanceCase[] = [
  {
    id: 'camunda-bpm-platform/UserTaskTest.testSimpleProcess',
    file: D + 'UserTaskTest.testSimpleProcess.bpmn20.xml',
    covers: ['userTask', 'potentialOwner', 'events.none'],
    basis: T('usertask/UserTaskTest.java', 'testSimpleProcess') + ': a plain potentialOwner expression is a candidate group',
    steps: [
      { do: { start: 'financialReport' }, then: { tasks: ['writeReportTask'], taskShapes: { writeReportTask: { assignee: null, candidateGroups: ['accountancy'] } } } },
      { do: { complete: 'writeReportTask' }, then: { tasks: ['verifyReportTask'], taskShapes: { verifyReportTask: { candidateGroups: ['management'] } } } },
      { do: { complete: 'verifyReportTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/TaskCandidateTest.testMultipleCandidateGroups',
    file: D + 'TaskCandidateTest.testMultipleCandidateGroups.bpmn20.xml',
    covers: ['userTask', 'potentialOwner'],
    basis: T('usertask/TaskCandidateTest.java', 'testMultipleCandidateGroups') + ': group(accountancy), group(management) are both candidate groups',
    steps: [
      { do: { start: 'multipleCandidatesGroup' }, then: { tasks: ['theTask'], taskShapes: { theTask: { assignee: null, candidateGroups: ['accountancy', 'management'] } } } },
      { do: { complete: 'theTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/InitiatorTest.testInitiator',
    file: D + 'InitiatorTest.testInitiator.bpmn20.xml',
    covers: ['userTask', 'initiator'],
    basis: T('usertask/InitiatorTest.java', 'testInitiator') + ': the authenticated starter is stored in the initiator variable and becomes the assignee',
    steps: [
      { do: { start: 'InitiatorProcess', initiator: 'bono' }, then: { tasks: ['theTask'], taskShapes: { theTask: { assignee: 'bono' } }, variables: { initiator: 'bono' } } },
      { do: { complete: 'theTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/TaskAssigneeTest.testTaskAssignee',
    file: D + 'TaskAssigneeTest.testTaskAssignee.bpmn20.xml',
    covers: ['userTask', 'humanPerformer'],
    basis: T('usertask/TaskAssigneeTest.java', 'testTaskAssignee') + ': humanPerformer kermit is the assignee',
    steps: [
      { do: { start: 'taskAssigneeExampleProcess' }, then: { tasks: ['theTask'], taskShapes: { theTask: { assignee: 'kermit', name: 'Schedule meeting' } } } },
      { do: { complete: 'theTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/SubProcessTest.testSimpleSubProcess',
    file: D + 'SubProcessTest.testSimpleSubProcess.bpmn20.xml',
    covers: ['userTask.subProcess'],
    basis: T('subprocess/SubProcessTest.java', 'testSimpleSubProcess'),
    steps: [
      { do: { start: 'simpleSubProcess' }, then: { tasks: ['subProcessTask'], running: true } },
      { do: { complete: 'subProcessTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/SubProcessTest.testNestedSimpleSubProcess',
    file: D + 'SubProcessTest.testNestedSimpleSubProcess.bpmn20.xml',
    covers: ['userTask.subProcess', 'userTask.nestedSubProcess'],
    basis: T('subprocess/SubProcessTest.java', 'testNestedSimpleSubProcess'),
    steps: [
      { do: { start: 'nestedSimpleSubProcess' }, then: { tasks: ['innerSubProcessTask'] } },
      { do: { complete: 'innerSubProcessTask' }, then: { tasks: ['afterSubProcessTask'] } },
      { do: { complete: 'afterSubProcessTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/SubProcessTest.testSimpleSubProcessWithTimer',
    file: D + 'SubProcessTest.testSimpleSubProcessWithTimer.bpmn20.xml',
    covers: ['userTask.subProcess', 'boundary.timer', 'timer.duration'],
    basis: T('subprocess/SubProcessTest.java', 'testSimpleSubProcessWithTimer') + ': the PT2H boundary timer interrupts the sub-process',
    steps: [
      { do: { start: 'simpleSubProcess' }, then: { tasks: ['subProcessTask'] } },
      { do: { advance: 'PT1H' }, then: { tasks: ['subProcessTask'] } },
      { do: { advance: 'PT1H1S' }, then: { tasks: ['escalationTask'] } },
      { do: { complete: 'escalationTask' }, then: { tasks: [], ended: true } },
    ],
  },
  {
    id: 'camunda-bpm-platform/MultiInstanceTest.sequentialUserTasks',
    file: D + 'MultiInstanceTest.sequentialUserTasks.bpmn20.xml',
    covers: ['userTask.multiInstance', 'multiInstance.sequential', 'multiInstance.loopCardinality'],
    basis: T('multiinstance/MultiInstanceTest.java', 'testSequentialUserTasks') + ': nrOfLoops=3, one task at a time, assignee kermit_${loopCounter}',
    steps: [
      { do: { start: 'miSequentialUserTasks', variables: { nrOfLoops: 3 } }, then: { tasks: ['miTasks'], taskShapes: { miTasks: { assignee: 'kermit_0' } } } },
      { do: { complete: 'miTasks' }, then: { tasks: ['miTasks'], taskShapes: { miTasks: { assignee: 'kermit_1' } } } },
      { do: { complete: 'miTasks' }, then: { tasks: ['miTasks'], taskShapes: { miTasks: { assignee: 'kermit_2' } } } },
      { do: { complete: 'miTasks' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/MultiInstanceTest.testParallelUserTasks',
    file: D + 'MultiInstanceTest.testParallelUserTasks.bpmn20.xml',
    covers: ['userTask.multiInstance', 'multiInstance.parallel', 'multiInstance.loopCardinality'],
    basis: T('multiinstance/MultiInstanceTest.java', 'testParallelUserTasks') + ': ${5-2} = 3 tasks at once, named My Task ${loopCounter}, assigned kermit_${loopCounter}',
    steps: [
      {
        do: { start: 'miParallelUserTasks' },
        then: { tasks: ['miTasks', 'miTasks', 'miTasks'], assignees: { miTasks: ['kermit_0', 'kermit_1', 'kermit_2'] }, names: { miTasks: ['My Task 0', 'My Task 1', 'My Task 2'] } },
      },
      { do: { complete: 'miTasks' }, then: { tasks: ['miTasks', 'miTasks'] } },
      { do: { complete: 'miTasks' }, then: { tasks: ['miTasks'] } },
      { do: { complete: 'miTasks' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/MultiInstanceTest.testParallelUserTasksBasedOnCollection',
    file: D + 'MultiInstanceTest.testParallelUserTasksBasedOnCollection.bpmn20.xml',
    covers: ['userTask.multiInstance', 'multiInstance.parallel', 'multiInstance.collection', 'multiInstance.completionCondition'],
    basis: T('multiinstance/MultiInstanceTest.java', 'testParallelUserTasksBasedOnCollection') + ': one task per assignee; nrOfCompletedInstances/nrOfInstances >= 0.6 ends it after 3 of 5',
    steps: [
      {
        do: { start: 'miParallelUserTasksBasedOnCollection', variables: { assigneeList: ['kermit', 'gonzo', 'mispiggy', 'fozzie', 'bubbles'] } },
        then: { tasks: ['miTasks', 'miTasks', 'miTasks', 'miTasks', 'miTasks'], assignees: { miTasks: ['bubbles', 'fozzie', 'gonzo', 'kermit', 'mispiggy'] } },
      },
      { do: { complete: 'miTasks' }, then: { tasks: ['miTasks', 'miTasks', 'miTasks', 'miTasks'] } },
      { do: { complete: 'miTasks' }, then: { tasks: ['miTasks', 'miTasks', 'miTasks'] } },
      { do: { complete: 'miTasks' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/MultiInstanceTest.testParallelUserTasksCompletionCondition',
    file: D + 'MultiInstanceTest.testParallelUserTasksCompletionCondition.bpmn20.xml',
    covers: ['userTask.multiInstance', 'multiInstance.parallel', 'multiInstance.loopCardinality', 'multiInstance.completionCondition'],
    basis: T('multiinstance/MultiInstanceTest.java', 'testParallelUserTasksCompletionCondition') + ': 5 tasks; >= 0.5 completed ends the activity after the 3rd',
    steps: [
      { do: { start: 'miParallelUserTasksCompletionCondition' }, then: { tasks: ['miTasks', 'miTasks', 'miTasks', 'miTasks', 'miTasks'] } },
      { do: { complete: 'miTasks' }, then: { tasks: ['miTasks', 'miTasks', 'miTasks', 'miTasks'] } },
      { do: { complete: 'miTasks' }, then: { tasks: ['miTasks', 'miTasks', 'miTasks'] } },
      { do: { complete: 'miTasks' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/MultiInstanceTest.testSequentialSubProcess',
    file: D + 'MultiInstanceTest.testSequentialSubProcess.bpmn20.xml',
    covers: ['multiInstance.subProcess', 'multiInstance.sequential', 'multiInstance.loopCardinality', 'userTask.subProcess', 'parallelGateway'],
    basis: T('multiinstance/MultiInstanceTest.java', 'testSequentialSubProcess') + ': 4 sequential instances, each with two parallel tasks',
    steps: [
      { do: { start: 'miSequentialSubprocess' }, then: { tasks: ['subProcessTask1', 'subProcessTask2'] } },
      { do: { complete: 'subProcessTask1' }, then: { tasks: ['subProcessTask2'] } },
      { do: { complete: 'subProcessTask2' }, then: { tasks: ['subProcessTask1', 'subProcessTask2'] } },
      { do: { complete: 'subProcessTask2' }, then: { tasks: ['subProcessTask1'] } },
      { do: { complete: 'subProcessTask1' }, then: { tasks: ['subProcessTask1', 'subProcessTask2'] } },
      { do: { complete: 'subProcessTask1' }, then: { tasks: ['subProcessTask2'] } },
      { do: { complete: 'subProcessTask2' }, then: { tasks: ['subProcessTask1', 'subProcessTask2'] } },
      { do: { complete: 'subProcessTask1' }, then: { tasks: ['subProcessTask2'] } },
      { do: { complete: 'subProcessTask2' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/ParallelGatewayTest.testForkJoin',
    file: D + 'ParallelGatewayTest.testForkJoin.bpmn20.xml',
    covers: ['parallelGateway', 'userTask', 'events.none'],
    basis: T('gateway/ParallelGatewayTest.java', 'testForkJoin'),
    steps: [
      { do: { start: 'forkJoin' }, then: { tasks: ['receivePayment', 'shipOrder'] } },
      { do: { complete: 'receivePayment' }, then: { tasks: ['shipOrder'] } },
      { do: { complete: 'shipOrder' }, then: { tasks: ['archiveOrder'] } },
      { do: { complete: 'archiveOrder' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/ParallelGatewayTest.testUnbalancedForkJoin',
    file: D + 'ParallelGatewayTest.testUnbalancedForkJoin.bpmn20.xml',
    covers: ['parallelGateway'],
    basis: T('gateway/ParallelGatewayTest.java', 'testUnbalancedForkJoin'),
    steps: [
      { do: { start: 'UnbalancedForkJoin' }, then: { tasks: ['task1', 'task2', 'task3'] } },
      { do: { complete: 'task1' }, then: { tasks: ['task2', 'task3'] } },
      { do: { complete: 'task2' }, then: { tasks: ['task3', 'task4'] } },
      { do: { complete: 'task3' }, then: { tasks: ['task4'] } },
      { do: { complete: 'task4' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/InclusiveGatewayTest.testDefaultSequenceFlow',
    file: D + 'InclusiveGatewayTest.testDefaultSequenceFlow.bpmn20.xml',
    covers: ['inclusiveGateway', 'gateway.default', 'juel.conditions', 'userTask'],
    basis: T('gateway/InclusiveGatewayTest.java', 'testDefaultSequenceFlow') + ': input 2 takes only the default flow; input 1 takes both true flows and not the default',
    steps: [
      { do: { start: 'inclusiveGwDefaultSequenceFlow', variables: { input: 2 } }, then: { tasks: ['theTask2'] } },
      { do: { complete: 'theTask2' }, then: { tasks: [], endedAt: 'theEnd' } },
      { do: { start: 'inclusiveGwDefaultSequenceFlow', variables: { input: 1 } }, then: { tasks: ['theTask1', 'theTask3'] } },
      { do: { complete: 'theTask1' }, then: { tasks: ['theTask3'], running: true } },
      { do: { complete: 'theTask3' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/InclusiveGatewayTest.testDivergingInclusiveGateway',
    file: D + 'InclusiveGatewayTest.testDivergingInclusiveGateway.bpmn20.xml',
    covers: ['inclusiveGateway', 'juel.conditions', 'userTask'],
    basis: T('gateway/InclusiveGatewayTest.java', 'testDivergingInclusiveGateway') + ': input i opens 4-i tasks',
    steps: [
      { do: { start: 'inclusiveGwDiverging', variables: { input: 3 } }, then: { tasks: ['theTask3'] } },
      { do: { complete: 'theTask3' }, then: { tasks: [], endedAt: 'theEnd' } },
      { do: { start: 'inclusiveGwDiverging', variables: { input: 1 } }, then: { tasks: ['theTask1', 'theTask2', 'theTask3'] } },
      { do: { complete: 'theTask2' }, then: { tasks: ['theTask1', 'theTask3'] } },
      { do: { complete: 'theTask1' }, then: { tasks: ['theTask3'] } },
      { do: { complete: 'theTask3' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/ExclusiveGatewayTest.testDecisionFunctionality',
    file: D + 'ExclusiveGatewayTest.testDecisionFunctionality.bpmn20.xml',
    covers: ['exclusiveGateway', 'juel.conditions', 'userTask'],
    basis: T('gateway/ExclusiveGatewayTest.java', 'testDecisionFunctionality') + ': ${input == n} selects task n',
    steps: [
      { do: { start: 'exclusiveGateway', variables: { input: 1 } }, then: { tasks: ['theTask1'], taskShapes: { theTask1: { name: 'Send e-mail for more information' } } } },
      { do: { complete: 'theTask1' }, then: { tasks: [], endedAt: 'theEnd' } },
      { do: { start: 'exclusiveGateway', variables: { input: 2 } }, then: { tasks: ['theTask2'] } },
      { do: { complete: 'theTask2' }, then: { tasks: [], endedAt: 'theEnd' } },
      { do: { start: 'exclusiveGateway', variables: { input: 3 } }, then: { tasks: ['theTask3'], taskShapes: { theTask3: { name: 'Call customer' } } } },
    ],
  },
  {
    id: 'camunda-bpm-platform/ExclusiveGatewayTest.testDefaultSequenceFlow',
    file: D + 'ExclusiveGatewayTest.testDefaultSequenceFlow.bpmn20.xml',
    covers: ['exclusiveGateway', 'gateway.default', 'juel.conditions', 'userTask'],
    basis: T('gateway/ExclusiveGatewayTest.java', 'testDefaultSequenceFlow') + ': no condition holds for input 2, so the default flow to theTask2',
    steps: [
      { do: { start: 'exclusiveGwDefaultSequenceFlow', variables: { input: 2 } }, then: { tasks: ['theTask2'], taskShapes: { theTask2: { name: 'Default input' } } } },
      { do: { complete: 'theTask2' }, then: { tasks: [], endedAt: 'theEnd' } },
      { do: { start: 'exclusiveGwDefaultSequenceFlow', variables: { input: 3 } }, then: { tasks: ['theTask3'] } },
    ],
  },
  {
    id: 'camunda-bpm-platform/InclusiveGatewayTest.testJoinAfterEventBasedGateway',
    file: D + 'InclusiveGatewayTest.testJoinAfterEventBasedGateway.bpmn20.xml',
    covers: ['eventBasedGateway', 'messageCatch', 'inclusiveGateway', 'exclusiveGateway', 'userTask'],
    basis: T('gateway/InclusiveGatewayTest.java', 'testJoinAfterEventBasedGateway') + ': both branches run; after theTask the join waits for the event-based gateway, whose message foo (catch1) reaches it and taskAfterJoin opens',
    steps: [
      { do: { start: 'process' }, then: { tasks: ['theTask'], waits: ['catch1', 'catch2'] } },
      { do: { complete: 'theTask' }, then: { tasks: [], waits: ['catch1', 'catch2'], running: true } },
      { do: { correlate: 'foo' }, then: { tasks: ['taskAfterJoin'], waits: [], notPassed: ['catch2'] } },
      { do: { complete: 'taskAfterJoin' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/EventBasedGatewayTest.testTimeCycle',
    file: D + 'EventBasedGatewayTest.testTimeCycle.bpmn20.xml',
    covers: ['eventBasedGateway', 'timer.cron', 'signalCatch'],
    basis: T('gateway/EventBasedGatewayTest.java', 'testTimeCycle') + ': the gateway waits for the alert signal and the cron timer (one job); the timer fires first (0 0/5 * * * ?: at minute 5), afterTimer opens and its completion ends the process',
    steps: [
      { do: { start: 'process' }, then: { tasks: [], waits: ['signalEvent'], running: true } },
      { do: { advance: 'PT5M' }, then: { tasks: ['task1'], waits: [], taskShapes: { task1: { name: 'afterTimer', assignee: 'kermit' } } } },
      { do: { complete: 'task1' }, then: { tasks: [], endedAt: 'end' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/EventBasedGatewayTest.testCatchAlertAndTimer',
    file: D + 'EventBasedGatewayTest.testCatchAlertAndTimer.bpmn20.xml',
    covers: ['eventBasedGateway', 'timer.duration', 'signalCatch'],
    basis: T('gateway/EventBasedGatewayTest.java', 'testCatchAlertAndTimer') + ': the PT0S timer wins over the alert signal; afterTimer is assigned to kermit',
    steps: [
      { do: { start: 'catchSignal' }, then: { tasks: [], running: true, waits: ['signalEvent'] } },
      { do: { advance: 'PT1S' }, then: { tasks: ['task1'], waits: [], taskShapes: { task1: { name: 'afterTimer', assignee: 'kermit' } } } },
      { do: { complete: 'task1' }, then: { tasks: [], endedAt: 'end' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/ReceiveTaskTest.testWaitStateBehavior',
    file: D + 'ReceiveTaskTest.testWaitStateBehavior.bpmn20.xml',
    covers: ['receiveTask'],
    basis: T('receivetask/ReceiveTaskTest.java', 'testWaitStateBehavior') + ': waits until runtimeService.signal(executionId)',
    steps: [
      { do: { start: 'receiveTask' }, then: { tasks: [], running: true, waits: ['waitState'] } },
      { do: { trigger: 'waitState' }, then: { waits: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/ReceiveTaskTest.singleReceiveTask',
    file: D + 'ReceiveTaskTest.singleReceiveTask.bpmn20.xml',
    covers: ['receiveTask', 'messageCatch'],
    basis: T('receivetask/ReceiveTaskTest.java', 'testSupportsCorrelateMessageOnSingleReceiveTask') + ': correlating newInvoiceMessage completes the receive task',
    steps: [
      { do: { start: 'testProcess' }, then: { tasks: [], running: true, waits: ['waitState'] } },
      { do: { correlate: 'newInvoiceMessage' }, then: { waits: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/MessageStartEventTest.testSingleMessageStartEvent',
    file: D + 'MessageStartEventTest.testSingleMessageStartEvent.bpmn20.xml',
    covers: ['messageStart', 'userTask'],
    basis: T('event/message/MessageStartEventTest.java', 'testSingleMessageStartEvent') + ': startProcessInstanceByMessage("newInvoiceMessage")',
    steps: [
      { do: { startByMessage: 'newInvoiceMessage' }, then: { tasks: ['task'] } },
      { do: { complete: 'task' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/MessageIntermediateEventTest.testSingleIntermediateMessageEvent',
    file: D + 'MessageIntermediateEventTest.testSingleIntermediateMessageEvent.bpmn20.xml',
    covers: ['messageCatch'],
    basis: T('event/message/MessageIntermediateEventTest.java', 'testSingleIntermediateMessageEvent') + ': messageEventReceived("newInvoiceMessage") moves on to the task',
    steps: [
      { do: { start: 'process' }, then: { tasks: [], running: true, waits: ['messageCatch'] } },
      { do: { correlate: 'newInvoiceMessage' }, then: { tasks: ['task'], waits: [] } },
      { do: { complete: 'task' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/SignalEventTests.catchAlertSignal',
    file: D + 'SignalEventTests.catchAlertSignal.bpmn20.xml',
    covers: ['signalCatch'],
    basis: T('event/signal/SignalEventTest.java', 'testSignalCatchIntermediate') + ': the alert signal (thrown by throwAlertSignal there, broadcast here) ends the catching instance',
    steps: [
      { do: { start: 'catchSignal' }, then: { tasks: [], running: true, waits: ['signalEvent'] } },
      { do: { signal: 'alert' }, then: { waits: [], endedAt: 'end' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/SignalEventTest.signalStartEvent',
    file: D + 'SignalEventTest.signalStartEvent.bpmn20.xml',
    covers: ['signalStart'],
    basis: T('event/signal/SignalEventTest.java', 'testSignalStartEvent') + ': throwing alert starts an instance of startBySignal',
    steps: [
      { do: { startBySignal: 'alert' }, then: { tasks: ['task'] } },
      { do: { complete: 'task' }, then: { tasks: [], endedAt: 'end' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/IntermediateTimerEventTest.testCatchingTimerEvent',
    file: D + 'IntermediateTimerEventTest.testCatchingTimerEvent.bpmn20.xml',
    covers: ['timer.duration'],
    basis: T('event/timer/IntermediateTimerEventTest.java', 'testCatchingTimerEvent') + ': the PT5M timer fires once the clock passes it, and the instance ends',
    steps: [
      { do: { start: 'intermediateTimerEventExample' }, then: { tasks: [], running: true } },
      { do: { advance: 'PT4M' }, then: { running: true } },
      { do: { advance: 'PT1M1S' }, then: { endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/BoundaryTimerEventTest.testInterruptingTimerDuration',
    file: D + 'BoundaryTimerEventTest.testInterruptingTimerDuration.bpmn20.xml',
    covers: ['boundary.timer', 'timer.duration', 'assignment.extensions', 'userTask'],
    basis: T('event/timer/BoundaryTimerEventTest.java', 'testInterruptingTimerDuration') + ': after 5 minutes the first line task is withdrawn and the escalation task offered to management',
    steps: [
      { do: { start: 'escalationExample' }, then: { tasks: ['firstLineSupport'], taskShapes: { firstLineSupport: { assignee: 'kermit' } } } },
      { do: { advance: 'PT5M5S' }, then: { tasks: ['handleEscalation'], taskShapes: { handleEscalation: { candidateGroups: ['management'] } } } },
      { do: { complete: 'handleEscalation' }, then: { tasks: [], endedAt: 'escalatedEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/BoundaryTimerNonInterruptingEventTest.testJoin',
    file: D + 'BoundaryTimerNonInterruptingEventTest.testJoin.bpmn20.xml',
    covers: ['boundary.timer.nonInterrupting', 'timer.duration', 'parallelGateway', 'userTask'],
    basis: T('event/timer/BoundaryTimerNonInterruptingEventTest.java', 'testJoin') + ': the PT1H timer opens Escalation Task beside Main Task; the parallel join ends the process once both are completed',
    steps: [
      { do: { start: 'testJoin' }, then: { tasks: ['Main_Task'], names: { Main_Task: ['Main Task'] } } },
      { do: { advance: 'PT1H' }, then: { tasks: ['Main_Task', 'Escalation_Task'] } },
      { do: { complete: 'Main_Task' }, then: { tasks: ['Escalation_Task'], names: { Escalation_Task: ['Escalation Task'] }, running: true } },
      { do: { complete: 'Escalation_Task' }, then: { tasks: [], endedAt: 'EndNoneEvent' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/BoundaryTimerNonInterruptingEventTest.testTimerWithCycle',
    file: D + 'BoundaryTimerNonInterruptingEventTest.testTimerWithCycle.bpmn20.xml',
    covers: ['boundary.timer.nonInterrupting', 'timer.cycle'],
    basis: T('event/timer/BoundaryTimerNonInterruptingEventTest.java', 'testTimerWithCycle') + ': R/PT1H fires every hour while the task waits, and stops when it is completed',
    steps: [
      { do: { start: 'nonInterruptingCycle' }, then: { tasks: ['task'] } },
      { do: { advance: 'PT1H' }, then: { tasks: ['task', 'timerFiredTask'] } },
      { do: { advance: 'PT1H' }, then: { tasks: ['task', 'timerFiredTask', 'timerFiredTask'] } },
      { do: { complete: 'task' }, then: { tasks: ['timerFiredTask', 'timerFiredTask'] } },
      { do: { advance: 'PT2H' }, then: { tasks: ['timerFiredTask', 'timerFiredTask'] } },
      { do: { complete: 'timerFiredTask' }, then: { tasks: ['timerFiredTask'], running: true } },
      { do: { complete: 'timerFiredTask' }, then: { tasks: [], endedAt: 'nonInterruptingEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/IntermediateTimerEventTest.testTimeCycle',
    file: D + 'IntermediateTimerEventTest.testTimeCycle.bpmn20.xml',
    covers: ['timer.cron'],
    basis: T('event/timer/IntermediateTimerEventTest.java', 'testTimeCycle') + ': cron "0 0/5 * * * ?" (Quartz form) is due at the next 5-minute mark',
    now: '2030-01-01T00:01:00Z',
    steps: [
      { do: { start: 'process' }, then: { tasks: [], running: true } },
      { do: { advance: 'PT3M' }, then: { tasks: [], running: true } },
      { do: { advance: 'PT1M' }, then: { tasks: ['task'] } },
      { do: { complete: 'task' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/BoundaryErrorEventTest.testCatchErrorOnEmbeddedSubprocess',
    file: D + 'BoundaryErrorEventTest.testCatchErrorOnEmbeddedSubprocess.bpmn20.xml',
    covers: ['boundary.error', 'errorEnd', 'userTask.subProcess'],
    basis: T('event/error/BoundaryErrorEventTest.java', 'testCatchErrorOnEmbeddedSubprocess') + ': the error end event in the sub-process is caught by its boundary',
    steps: [
      { do: { start: 'boundaryErrorOnEmbeddedSubprocess' }, then: { tasks: ['subprocessTask'] } },
      { do: { complete: 'subprocessTask' }, then: { tasks: ['taskAfterErrorCatch'], notPassed: ['theEnd'] } },
      { do: { complete: 'taskAfterErrorCatch' }, then: { tasks: [], ended: true } },
    ],
  },
  {
    id: 'camunda-bpm-platform/ErrorEndEventTest.testError',
    file: D + 'ErrorEndEventTest.testError.bpmn20.xml',
    covers: ['boundary.error', 'errorEnd'],
    basis: T('event/error/ErrorEndEventTest.java', 'testError') + ': the sub-process ends in error at once and the boundary leads to task',
    steps: [
      { do: { start: 'testError' }, then: { tasks: ['task'] } },
      { do: { complete: 'task' }, then: { tasks: [], endedAt: 'endEvent' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/TerminateEndEventTest.testProcessTerminate',
    file: D + 'TerminateEndEventTest.testProcessTerminate.bpmn',
    covers: ['terminateEnd', 'parallelGateway'],
    basis: T('event/end/TerminateEndEventTest.java', 'testProcessTerminate') + ': the terminate end cancels the other branch and ends the instance',
    steps: [
      { do: { start: 'terminateEndEventExample' }, then: { tasks: ['preNormalTerminateTask', 'preTerminateTask'] } },
      { do: { complete: 'preTerminateTask' }, then: { tasks: [], endedAt: 'EndEvent_2' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/CallActivity.testCallSimpleSubProcess',
    file: D + 'CallActivity.testCallSimpleSubProcess.bpmn20.xml',
    alsoDeploy: [D + 'simpleSubProcess.bpmn20.xml'],
    covers: ['callActivity'],
    basis: T('callactivity/CallActivityTest.java', 'testCallSimpleSubProcess') + ': the called simpleSubProcess task waits, then the parent continues',
    steps: [
      { do: { start: 'callSimpleSubProcess' }, then: { tasks: ['taskBeforeSubProcess'] } },
      { do: { complete: 'taskBeforeSubProcess' }, then: { tasks: ['task'], running: true, taskShapes: { task: { name: 'Task in subprocess' } } } },
      { do: { complete: 'task' }, then: { tasks: ['taskAfterSubProcess'] } },
      { do: { complete: 'taskAfterSubProcess' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/ExternalTaskParseTest.testParseExternalTaskWithStringTopic',
    file: D + 'ExternalTaskParseTest.testParseExternalTaskWithStringTopic.bpmn20.xml',
    covers: ['externalTask'],
    basis: T('external/ExternalTaskParseTest.java', 'testParseExternalTaskWithStringTopic') + ': one external task of topic testTopicString; completing it ends the instance',
    steps: [
      { do: { start: 'oneExternalTaskWithStringTopicProcess' }, then: { tasks: [], running: true, waits: ['externalTask'] } },
      { do: { completeExternal: 'testTopicString' }, then: { waits: [], endedAt: 'end' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/ScriptTaskTest.testGroovyScriptExecution',
    file: D + 'ScriptTaskTest.testGroovyScriptExecution.bpmn20.xml',
    covers: ['scriptTask.groovy'],
    basis:
      T('scripttask/ScriptTaskTest.java', 'testGroovyScriptExecution') +
      ' runs the loop over inputArray in Groovy; `sum`, assigned by name, is stored by Camunda only with autoStoreScriptVariables (off by default), so here it stays in the script',
    steps: [{ do: { start: 'scriptExecution', variables: { inputArray: [1, 2, 3, 4, 5] } }, then: { tasks: ['theTask'], variables: { inputArray: [1, 2, 3, 4, 5], sum: undefined } } }],
  },
  {
    id: 'camunda-bpm-platform/ExecutionListenerTest.testScriptListener',
    file: D + 'ExecutionListenerTest.testScriptListener.bpmn20.xml',
    covers: ['listener.groovy'],
    basis: T('executionlistener/ExecutionListenerTest.java', 'testScriptListener') + ': groovy execution listeners on the start event (end) and the end event (start) set "<activityId>-<eventName>"; the instance ends',
    steps: [{ do: { start: 'process' }, then: { tasks: [], endedAt: 'end', variables: { 'start-end': true, 'end-start': true } } }],
  },
  {
    id: 'camunda-bpm-platform/TaskListenerTest.testScriptListener',
    file: D + 'TaskListenerTest.testScriptListener.bpmn20.xml',
    covers: ['refuse.listenerEvent'],
    basis: 'groovy task listeners in ' + T('tasklistener/TaskListenerTest.java', 'testScriptListener') + '; task2\'s listener is on "delete", an event reconflow does not run',
    refused: { elementIds: ['task2'], reason: /event "delete"/ },
  },
  {
    id: 'camunda-bpm-platform/JavaServiceTaskTest.testJavaServiceDelegation',
    file: D + 'JavaServiceTaskTest.testJavaServiceDelegation.bpmn20.xml',
    covers: ['refuse.javaDelegate'],
    basis: 'camunda:class delegate in ' + T('servicetask/JavaServiceTaskTest.java', 'testJavaServiceDelegation') + '; reconflow runs no Java',
    refused: { elementIds: ['javaService'], reason: /Java/ },
  },
  {
    id: 'camunda-bpm-platform/AsyncTaskTest.testAsyncManualTask',
    file: D + 'AsyncTaskTest.testAsyncManualTask.bpmn20.xml',
    covers: ['refuse.classListener'],
    basis: 'class execution listener in ' + T('async/AsyncTaskTest.java', 'testAsyncManualTask') + '; a class listener is refused at deploy (issue 15)',
    refused: { elementIds: ['manualTask'], reason: /listener|Java|class/i },
  },
];

/** Files added in a second pass: boundary events, event sub-processes, expressions, mappings. */
export const camundaPlatformMoreCases: ConformanceCase[] = [
  {
    id: 'camunda-bpm-platform/BpmnParseTest.testParseNamespaceInConditionExpressionType',
    file: D + 'BpmnParseTest.testParseNamespaceInConditionExpressionType.bpmn20.xml',
    covers: ['juel.conditions', 'exclusiveGateway'],
    basis:
      T('parse/BpmnParseTest.java', 'testParseNamespaceInConditionExpressionType') +
      ' deploys it; JUEL coerces a String to Boolean as Boolean.valueOf does: "false", "FALSE" and "yes" take #{!approved}, "TRUE" takes #{approved} (issue 15)',
    steps: [
      { do: { start: 'resolvableNamespacesProcess', variables: { approved: 'false' } }, then: { endedAt: 'EndEvent_1', passedInOrder: ['Task_1', 'Task_3'], notPassed: ['Task_2'] } },
      { do: { start: 'resolvableNamespacesProcess', variables: { approved: 'FALSE' } }, then: { endedAt: 'EndEvent_1', passedInOrder: ['Task_1', 'Task_3'], notPassed: ['Task_2'] } },
      { do: { start: 'resolvableNamespacesProcess', variables: { approved: 'yes' } }, then: { endedAt: 'EndEvent_1', passedInOrder: ['Task_1', 'Task_3'], notPassed: ['Task_2'] } },
      { do: { start: 'resolvableNamespacesProcess', variables: { approved: 'TRUE' } }, then: { endedAt: 'EndEvent_1', passedInOrder: ['Task_1', 'Task_2'], notPassed: ['Task_3'] } },
      { do: { start: 'resolvableNamespacesProcess', variables: { approved: false } }, then: { endedAt: 'EndEvent_1', passedInOrder: ['Task_1', 'Task_3'], notPassed: ['Task_2'] } },
    ],
  },
  {
    id: 'camunda-bpm-platform/RepositoryServiceTest.testDeleteDeploymentSkipIoMappings',
    file: D + 'RepositoryServiceTest.testDeleteDeploymentSkipIoMappings.bpmn20.xml',
    covers: ['inputOutput', 'userTask'],
    basis:
      T('../api/repository/RepositoryServiceTest.java', 'testDeleteDeploymentWithoutSkipIoMappings') +
      ': leaving theTask runs its JavaScript output mapping, which throws "Exception when output mapping is executed"; a failed completion stores nothing',
    steps: [
      { do: { start: 'ioMappingProcess' }, then: { tasks: ['theTask'], running: true } },
      { do: { complete: 'theTask' }, fails: /Exception when output mapping is executed/, then: { tasks: ['theTask'], running: true } },
    ],
  },
  {
    id: 'camunda-bpm-platform/invoice.v1',
    file: D + 'invoice.v1.bpmn',
    covers: ['refuse.javaDelegate'],
    basis:
      'camunda-bpm-platform examples/invoice (the invoice example of the Camunda distribution): its JavaScript task listeners may run, but the DMN business rule task and the Java service tasks cannot',
    refused: { elementIds: ['assignApprover', 'ServiceTask_1', 'ServiceTask_06mdb3v'], reason: /Java|service|decision|business/i },
  },
  {
    id: 'camunda-bpm-platform/failing-output-mapping-model',
    file: D + 'failing-output-mapping-model.bpmn',
    covers: ['externalTask', 'inputOutput'],
    basis:
      'camunda-bpm-platform clients/java/client/src/it/java/org/camunda/bpm/client/client/ClientIT#shouldFailWithCorrectError: completing the external task fails in its JavaScript output mapping (nonExistingVar), and the task stays',
    steps: [
      { do: { start: 'process3' }, then: { tasks: [], running: true, waits: ['externalTask'] } },
      { do: { completeExternal: 'foo' }, fails: /nonExistingVar/, then: { waits: ['externalTask'], running: true } },
    ],
  },
  {
    id: 'camunda-bpm-platform/MessageBoundaryEventTest.testSingleBoundaryMessageEvent',
    file: D + 'MessageBoundaryEventTest.testSingleBoundaryMessageEvent.bpmn20.xml',
    covers: ['boundary.message', 'userTask'],
    basis: T('event/message/MessageBoundaryEventTest.java', 'testSingleBoundaryMessageEvent') + ': messageName withdraws task and opens taskAfterMessage',
    steps: [
      { do: { start: 'process' }, then: { tasks: ['task'] } },
      { do: { correlate: 'messageName' }, then: { tasks: ['taskAfterMessage'] } },
      { do: { complete: 'taskAfterMessage' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/SignalEventTests.catchAlertSignalBoundary',
    file: D + 'SignalEventTests.catchAlertSignalBoundary.bpmn20.xml',
    covers: ['boundary.signal', 'userTask'],
    basis: T('event/signal/SignalEventTest.java', 'testSignalBoundaryOnUserTask (catchAlertSignalBoundary)') + ': the alert signal cancels kermit\'s task and ends the instance',
    steps: [
      { do: { start: 'catchSignal' }, then: { tasks: ['task'], taskShapes: { task: { assignee: 'kermit' } } } },
      { do: { signal: 'alert' }, then: { tasks: [], endedAt: 'end' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/MessageEventSubprocessTest.testInterruptingUnderProcessDefinition',
    file: D + 'MessageEventSubprocessTest.testInterruptingUnderProcessDefinition.bpmn20.xml',
    covers: ['userTask.eventSubProcess', 'messageCatch'],
    basis: T('event/message/MessageEventSubprocessTest.java', 'testInterruptingUnderProcessDefinition') + ': newMessage interrupts task and starts the event sub-process task',
    steps: [
      { do: { start: 'process' }, then: { tasks: ['task'] } },
      { do: { correlate: 'newMessage' }, then: { tasks: ['eventSubProcessTask'] } },
      { do: { complete: 'eventSubProcessTask' }, then: { tasks: [], endedAt: 'eventSubProcessEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/EscalationEventTest.testThrowEscalationEventFromEmbeddedSubprocess',
    file: D + 'EscalationEventTest.testThrowEscalationEventFromEmbeddedSubprocess.bpmn20.xml',
    covers: ['boundary.escalation', 'userTask.subProcess'],
    basis: T('event/escalation/EscalationEventTest.java', 'testThrowEscalationEventFromEmbeddedSubprocess') + ': the non-interrupting escalation boundary opens its task beside the sub-process task',
    steps: [
      { do: { start: 'escalationProcess' }, then: { tasks: ['taskAfterCatchedEscalation', 'taskInSubprocess'] } },
      { do: { complete: 'taskInSubprocess' }, then: { tasks: ['taskAfterCatchedEscalation'], running: true } },
      { do: { complete: 'taskAfterCatchedEscalation' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/MultiInstanceTest.testParallelUserTasksCustomExtensions',
    file: D + 'MultiInstanceTest.testParallelUserTasksCustomExtensions.bpmn20.xml',
    covers: ['userTask.multiInstance', 'multiInstance.sequential', 'multiInstance.collection'],
    basis: T('multiinstance/MultiInstanceTest.java', 'testParallelUserTasksCustomExtensions') + ': camunda:collection assigneeList with camunda:elementVariable assignee, one task after the other',
    steps: [
      { do: { start: 'miSequentialUserTasks', variables: { assigneeList: ['kermit', 'gonzo', 'fozzie'] } }, then: { tasks: ['miTasks'], taskShapes: { miTasks: { assignee: 'kermit', name: 'My Task 0' } } } },
      { do: { complete: 'miTasks' }, then: { tasks: ['miTasks'], taskShapes: { miTasks: { assignee: 'gonzo', name: 'My Task 1' } } } },
      { do: { complete: 'miTasks' }, then: { tasks: ['miTasks'], taskShapes: { miTasks: { assignee: 'fozzie', name: 'My Task 2' } } } },
      { do: { complete: 'miTasks' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/BoundaryTimerEventTest.testExpressionOnTimer',
    file: D + 'BoundaryTimerEventTest.testExpressionOnTimer.bpmn20.xml',
    covers: ['boundary.timer', 'timer.duration', 'userTask'],
    basis: T('event/timer/BoundaryTimerEventTest.java', 'testExpressionOnTimer') + ': timeDuration ${duration} = PT1H; when it fires the task is withdrawn and the instance ends',
    steps: [
      { do: { start: 'testExpressionOnTimer', variables: { duration: 'PT1H' } }, then: { tasks: ['task'] } },
      { do: { advance: 'PT59M' }, then: { tasks: ['task'] } },
      { do: { advance: 'PT1M' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'camunda-bpm-platform/IntermediateTimerEventTest.testExpression',
    file: D + 'IntermediateTimerEventTest.testExpression.bpmn20.xml',
    covers: ['timer.date'],
    basis: T('event/timer/IntermediateTimerEventTest.java', 'testExpression') + ': timeDate #{dueDate} from a start variable',
    steps: [
      { do: { start: 'intermediateTimerEventExample', variables: { dueDate: '2030-01-01T06:00:00Z' } }, then: { running: true } },
      { do: { advanceTo: '2030-01-01T05:59:00Z' }, then: { running: true } },
      { do: { advanceTo: '2030-01-01T06:00:00Z' }, then: { endedAt: 'theEnd' } },
    ],
  },
];
