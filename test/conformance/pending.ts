// Cases that do not conform on main yet, each with the limitation that keeps it failing. The suite
// asserts that each still fails: the change that makes one pass removes it here and regenerates the
// docs summary (UPDATE_CONFORMANCE_DOCS=1 npx jest test/conformance).
const ZERO_TIMER =
  'bpmn-elements completes a timer whose due time has come when it is armed (TimerEventDefinition: timeout <= 0 completes at once), so the PT0S timer fires inside the start and afterTimer is open before any signal can arrive; Camunda arms every timer as a job (its testCatchSignalCancelsTimer: a signal thrown right after the start wins over this same PT0S timer). Needs zero-delay timers captured and fired by the scheduler (src/workflow/timers.ts), which changes when every overdue timer fires: not a local fix';
const CYCLE =
  'engine: the cycle fires every hour (test/unit/workflow/cycleTimers.test.ts), but the second firing\'s token waits at timerFiredTask until the first is completed: bpmn-elements runs one execution of an activity at a time (concurrent tokens at one activity)';
const TIMER_START_OVER_API =
  'a start over the API waits at a timer start event (bpmn-engine\'s semantics, which bpmn-engine/timers expects: its R3/PT10H start timer waits), while Camunda\'s startProcessInstanceByKey passes the timer start event at once; the two sources disagree and reconflow follows bpmn-engine. With the clock moved past the first cron firing (+PT5S) the rest of this case conforms (external tasks, the input script\'s execution.setVariable, the parallel multi-instance sub-process)';
const MISLABELED_ENCODING =
  'the file declares encoding="ISO-8859-1" but its bytes are UTF-8 (byte-identical with flowable-engine 53e93b6681e8): Flowable reads every file through a UTF-8 Reader that ignores the declaration (BpmnXMLConverter DEFAULT_ENCODING), reconflow honours the declaration as XML 1.0 §4.3.3 asks (as Camunda\'s SAX parser does) and reads "Fazer relatÃ³rio". Decoding a declared ISO-8859-1 document as UTF-8 when its bytes happen to be valid UTF-8 is a policy decision (xmlEncoding.ts), not a local fix';
const MESSAGE_EVENT_SUBPROCESS =
  'an event sub-process started by a message is refused at deploy (runnable.ts: "not supported yet"): correlating into it needs a message subscription for the event sub-process\'s start while the process runs, and interrupting the process scope (no slice named)';
const JOIN_AFTER_EVENT_GATEWAY =
  'bpmn-elements\' inclusive join after an event-based gateway leaves a token behind once taskAfterJoin reaches theEnd (not root-caused); the engine layer refuses a run that would leave an instance waiting for nothing, so completing taskAfterJoin answers 500 naming the join and the task stays open (test/process/waitsForNothing.test.ts)';

export const PENDING: Record<string, string> = {
  'camunda-bpm-platform/EventBasedGatewayTest.testCatchAlertAndTimer': ZERO_TIMER,
  'camunda-bpm-platform/BoundaryTimerNonInterruptingEventTest.testTimerWithCycle': CYCLE,
  'camunda-bpm-platform/InclusiveGatewayTest.testJoinAfterEventBasedGateway': JOIN_AFTER_EVENT_GATEWAY,
  'camunda-bpm-examples/loan-granting': TIMER_START_OVER_API,
  'flowable-engine/encoding': MISLABELED_ENCODING,
  'camunda-bpm-platform/MessageEventSubprocessTest.testInterruptingUnderProcessDefinition': MESSAGE_EVENT_SUBPROCESS,
};
