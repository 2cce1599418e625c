// camunda/camunda-bpm-examples (Apache-2.0), flowable/flowable-engine (Apache-2.0),
// Activiti/Activiti (Apache-2.0), paed01/bpmn-engine (MIT), bpmn-miwg/bpmn-miwg-test-suite
// (CC BY 3.0). `basis` names the test or example that uses each file.
import type { ConformanceCase } from './types';

const FLOWABLE_TESTS = 'flowable-engine modules/flowable-engine/src/test/java/org/flowable';
const ACTIVITI_TESTS = 'Activiti activiti-core/activiti-engine/src/test/java/org/activiti';

export const camundaExamplesCases: ConformanceCase[] = [
  {
    id: 'camunda-bpm-examples/camunda-testing-job-announcement',
    file: 'camunda-bpm-examples/camunda-testing-job-announcement.bpmn',
    covers: ['refuse.javaDelegate'],
    basis: 'camunda-bpm-examples testing/assert/job-announcement-publication-process (JobAnnouncementTest mocks jobAnnouncementService): "Send confirmation" calls a Java bean (camunda:expression); reconflow runs no Java',
    refused: { elementIds: ['mail'], reason: /Java|expression/ },
  },
  {
    id: 'camunda-bpm-examples/camunda-testing-job-announcement-publication',
    file: 'camunda-bpm-examples/camunda-testing-job-announcement-publication.bpmn',
    covers: ['refuse.javaDelegate'],
    basis: 'camunda-bpm-examples testing/assert/job-announcement-publication-process: each publication step calls a Java bean (camunda:expression)',
    refused: { elementIds: ['publish_announcement_website', 'publish_announcement_twitter', 'publish_announcement_facebook'], reason: /Java|expression/ },
  },
  {
    id: 'camunda-bpm-examples/message_start_process',
    file: 'camunda-bpm-examples/message_start_process.bpmn',
    covers: ['messageStart'],
    basis: 'camunda-bpm-examples startevent/message-start: instantiating_process correlates "instantiationMessage", which starts Message_Start_Process',
    steps: [
      { do: { startByMessage: 'instantiationMessage' }, then: { tasks: ['UserTask_1'] } },
      { do: { complete: 'UserTask_1' }, then: { tasks: [], endedAt: 'EndEvent_1' } },
    ],
  },
  {
    id: 'camunda-bpm-examples/loan-granting',
    file: 'camunda-bpm-examples/loan-granting.bpmn',
    covers: ['externalTask', 'inputOutput', 'multiInstance.subProcess', 'multiInstance.parallel', 'multiInstance.collection', 'exclusiveGateway', 'juel.conditions'],
    basis: 'camunda-bpm-examples spring-boot-starter/external-task-client (the workers of topics creditScoreChecker, loanGranter, requestRejecter); started over the API, as Camunda starts a process whose one start event is a timer',
    steps: [
      { do: { start: 'loan_process' }, then: { tasks: [], running: true, waits: ['Task_1lvjtd4'] } },
      // the input mapping's script ran when the external task was created (execution.setVariable reaches the process)
      { do: { completeExternal: 'creditScoreChecker', variables: { creditScores: [8, 3] } }, then: { waits: ['Task_0j0sjlk', 'Task_0v4gadf'], variables: { defaultScore: 5 } } },
      { do: { completeExternal: 'loanGranter' }, then: { waits: ['Task_0j0sjlk'], running: true } },
      { do: { completeExternal: 'requestRejecter' }, then: { waits: [], endedAt: 'EndEvent_0q9wl5o' } },
    ],
  },
  {
    id: 'camunda-bpm-examples/xslt-example',
    file: 'camunda-bpm-examples/xslt-example.bpmn',
    covers: ['refuse.script'],
    basis: 'camunda-bpm-examples scripttask/xslt-scripttask: groovy listeners from resources and an XSLT script task; reconflow runs inline JavaScript only',
    refused: { elementIds: ['StartEvent_1', 'ScriptTask_1', 'EndEvent_1'], reason: /groovy|xslt|listener/i },
  },
  {
    id: 'camunda-bpm-examples/loanApproval',
    file: 'camunda-bpm-examples/loanApproval.bpmn',
    covers: ['refuse.javaDelegate'],
    basis: 'camunda-bpm-examples deployment/embedded-spring-rest: ${calculateInterestService} is a Spring bean',
    refused: { elementIds: ['ServiceTask_1'], reason: /Java/ },
  },
  {
    id: 'camunda-bpm-examples/invokeRestService',
    file: 'camunda-bpm-examples/invokeRestService.bpmn',
    covers: ['refuse.connector'],
    basis: 'camunda-bpm-examples servicetask/rest-service: an http-connector service task',
    refused: { elementIds: ['ServiceTask_1'], reason: /connector|service/i },
  },
];

export const flowableCases: ConformanceCase[] = [
  {
    id: 'flowable-engine/encoding',
    file: 'flowable-engine/encoding.bpmn',
    covers: ['encoding.latin1', 'messageStart'],
    basis: 'flowable-engine modules/flowable-bpmn-converter/src/test/java/org/flowable/editor/language/xml/EncodingConverterTest: the ISO-8859-1 task name reads "Fazer relatório"; the process starts by message newWriteReport',
    steps: [
      { do: { startByMessage: 'newWriteReport' }, then: { tasks: ['writeReportTask'], taskShapes: { writeReportTask: { name: 'Fazer relatório' } } } },
      { do: { complete: 'writeReportTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'flowable-engine/TaskAssignmentCandidateTest.testCandidateGroups',
    file: 'flowable-engine/TaskAssignmentCandidateTest.testCandidateGroups.bpmn20.xml',
    covers: ['potentialOwner', 'isExecutable.absent'],
    basis: FLOWABLE_TESTS + '/engine/test/bpmn/usertask/TaskAssignmentCandidateTest#testCandidateGroups: potentialOwner resourceRef names the candidate group (management, then accounting)',
    steps: [
      { do: { start: 'taskCandidateExample' }, then: { tasks: ['theTask'], taskShapes: { theTask: { assignee: null, candidateGroups: ['management'] } } } },
      { do: { complete: 'theTask' }, then: { tasks: ['theOtherTask'], taskShapes: { theOtherTask: { candidateGroups: ['accounting'] } } } },
      { do: { complete: 'theOtherTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'flowable-engine/ScriptTypeExecutionListenerTest.testExecutionListener',
    file: 'flowable-engine/ScriptTypeExecutionListenerTest.testExecutionListener.bpmn20.xml',
    covers: ['refuse.script'],
    basis: FLOWABLE_TESTS + '/examples/bpmn/executionlistener/ScriptTypeExecutionListenerTest#testExecutionListener runs a groovy take listener with a resultVariable, which reconflow does not support',
    refused: { elementIds: ['flow1'], reason: /groovy|listener/i },
  },
  {
    id: 'flowable-engine/MessageStartEventTest.testBusinessKeySet',
    file: 'flowable-engine/MessageStartEventTest.testBusinessKeySet.bpmn20.xml',
    covers: ['messageStart'],
    basis: FLOWABLE_TESTS + '/engine/test/bpmn/event/message/MessageStartEventTest#testBusinessKeySet: startProcessInstanceByMessage with a business key keeps it',
    steps: [
      { do: { startByMessage: 'start-by-message', businessKey: 'bussinessKey123' }, then: { tasks: ['sid-9D8F0713-5230-4B5D-B1DC-61B4AFE883F9'], businessKey: 'bussinessKey123' } },
      { do: { complete: 'sid-9D8F0713-5230-4B5D-B1DC-61B4AFE883F9' }, then: { tasks: [], endedAt: 'sid-80808B51-F8EA-45BA-82BB-AFFD5C86C736' } },
    ],
  },
];

export const activitiCases: ConformanceCase[] = [
  {
    id: 'activiti/InitiatorTest.testInitiator',
    file: 'activiti/InitiatorTest.testInitiator.bpmn20.xml',
    covers: ['initiator', 'isExecutable.absent'],
    basis: ACTIVITI_TESTS + '/engine/test/bpmn/usertask/InitiatorTest#testInitiator: activiti:initiator stores the authenticated starter; the task is assigned to it',
    steps: [
      { do: { start: 'InitiatorProcess', initiator: 'bono' }, then: { tasks: ['theTask'], taskShapes: { theTask: { assignee: 'bono' } } } },
      { do: { complete: 'theTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'activiti/TaskAssignmentExtensionsTest.testCandidateUsersExtension',
    file: 'activiti/TaskAssignmentExtensionsTest.testCandidateUsersExtension.bpmn20.xml',
    covers: ['assignment.extensions', 'isExecutable.absent'],
    basis: ACTIVITI_TESTS + '/engine/test/bpmn/usertask/TaskAssignmentExtensionsTest#testCandidateUsersExtension: kermit and gonzo are candidates',
    steps: [
      { do: { start: 'candidateUsersExtension' }, then: { tasks: ['theTask'], taskShapes: { theTask: { assignee: null, candidateUsers: ['kermit', 'gonzo'] } } } },
      { do: { complete: 'theTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'activiti/InclusiveGatewayTest.testDecisionFunctionality',
    file: 'activiti/InclusiveGatewayTest.testDecisionFunctionality.bpmn20.xml',
    covers: ['inclusiveGateway', 'isExecutable.absent'],
    basis: ACTIVITI_TESTS + '/examples/bpmn/gateway/InclusiveGatewayTest#testDecisionFunctionality: input 2 opens "Check account balance" and "Call customer"',
    steps: [
      { do: { start: 'inclusiveGateway', variables: { input: 2 } }, then: { tasks: ['theTask2', 'theTask3'] } },
      { do: { complete: 'theTask3' }, then: { tasks: ['theTask2'], running: true } },
      { do: { complete: 'theTask2' }, then: { tasks: [], endedAt: 'theEnd' } },
      { do: { start: 'inclusiveGateway', variables: { input: 1 } }, then: { tasks: ['theTask1', 'theTask2', 'theTask3'] } },
    ],
  },
  {
    id: 'activiti/UserTaskTest.testCompleteAfterParallelGateway',
    file: 'activiti/UserTaskTest.testCompleteAfterParallelGateway.bpmn20.xml',
    covers: ['refuse.classListener', 'isExecutable.absent'],
    basis: ACTIVITI_TESTS + '/engine/test/bpmn/usertask/UserTaskTest#testCompleteAfterParallelGateway: a class task listener (with an activiti:field) on UserwithListener',
    refused: { elementIds: ['UserwithListener'], reason: /listener|Java|class/i },
  },
];

export const bpmnEngineCases: ConformanceCase[] = [
  {
    id: 'bpmn-engine/timers',
    file: 'bpmn-engine/timers.bpmn',
    covers: ['timerStart', 'timer.cycle', 'manualTask', 'timer.date'],
    basis: 'bpmn-engine test/feature/timers-feature.js "a flow with different timers": the R3/PT10H start timer waits, then the manual task, then the catch-date timer, then the user task',
    steps: [
      { do: { start: 'Process_0cn5rdh', variables: { catchDate: '2030-01-02T00:00:00Z', dueDate: '2030-01-03T00:00:00Z' } }, then: { tasks: [], waits: [], running: true } },
      { do: { advance: 'PT10H' }, then: { tasks: [], waits: ['task'] } },
      { do: { trigger: 'task' }, then: { tasks: [], waits: [], running: true } },
      { do: { advanceTo: '2030-01-02T00:00:00Z' }, then: { tasks: ['user-due'] } },
      { do: { complete: 'user-due' }, then: { tasks: [], endedAt: 'end' } },
    ],
  },
  {
    id: 'bpmn-engine/issue-163',
    file: 'bpmn-engine/issue-163.bpmn',
    covers: ['userTask', 'userTask.subProcess'],
    basis: 'bpmn-engine test/feature/issues/issue-163-feature.js: the sub-process without a start event runs its first task, then the second, then the task after it',
    steps: [
      { do: { start: 'Process_1fh0mrz' }, then: { tasks: ['Activity_1bpb168'] } },
      { do: { complete: 'Activity_1bpb168' }, then: { tasks: ['Activity_0xqu0xt'] } },
      { do: { complete: 'Activity_0xqu0xt' }, then: { tasks: ['Activity_0c0569x'] } },
      { do: { complete: 'Activity_0c0569x' }, then: { tasks: ['Activity_09fprjg'] } },
      { do: { complete: 'Activity_09fprjg' }, then: { tasks: [], endedAt: 'Event_1valyoc' } },
    ],
  },
  {
    id: 'bpmn-engine/service-task',
    file: 'bpmn-engine/service-task.bpmn',
    covers: ['refuse.javaDelegate'],
    basis: 'bpmn-engine test/feature/service-task-feature.js registers services.postMessage; reconflow registers no services',
    refused: { elementIds: ['serviceTask'], reason: /Java|service/i },
  },
];

export const miwgCases: ConformanceCase[] = [
  {
    id: 'bpmn-miwg-test-suite/C.1.0',
    file: 'bpmn-miwg-test-suite/C.1.0.bpmn',
    covers: ['refuse.javaDelegate'],
    basis: 'BPMN MIWG reference C.1.0: its executable process archives by camunda:delegateExpression #{archiveService}; reconflow runs no Java',
    refused: { elementIds: ['archiveInvoice'], reason: /Java/ },
  },
];

export const flowableMoreCases: ConformanceCase[] = [
  {
    id: 'flowable-engine/TaskEventsTest.testEventFiring',
    file: 'flowable-engine/TaskEventsTest.testEventFiring.bpmn20.xml',
    covers: ['listener.javascript', 'isExecutable.absent'],
    basis:
      FLOWABLE_TESTS +
      '/engine/test/api/event/TaskEventsTest#testEventFiringOrdering: the create listener (Activiti\'s JavaScript listener form: class ScriptTaskListener with fields script and language=JavaScript) sets assignee scriptedAssignee and priority 877 before the task is seen',
    steps: [
      { do: { start: 'testTaskLocalVars' }, then: { tasks: ['theTask'], taskShapes: { theTask: { assignee: 'scriptedAssignee', priority: 877 } } } },
      { do: { complete: 'theTask' }, then: { tasks: ['theSecondTask'] } },
      { do: { complete: 'theSecondTask' }, then: { tasks: [], endedAt: 'theEnd' } },
    ],
  },
  {
    id: 'flowable-engine/Flowable6Test.testScriptTask',
    file: 'flowable-engine/Flowable6Test.testScriptTask.bpmn20.xml',
    covers: ['scriptTask.javascript', 'receiveTask', 'isExecutable.absent'],
    basis: FLOWABLE_TESTS + '/engine/test/api/v6/Flowable6Test#testScriptTask: the JavaScript reads a and b by name and sets sum through execution.setVariable; the receive task then waits',
    steps: [
      { do: { start: 'oneTaskProcess', variables: { a: 1, b: 2 } }, then: { tasks: [], running: true, variables: { sum: 3 }, waits: ['receiveTask'] } },
      { do: { trigger: 'receiveTask' }, then: { waits: [], endedAt: 'theEnd' } },
    ],
  },
];
