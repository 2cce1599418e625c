// Compact persistence of a waiting instance: bpmn-engine state without the embedded definition (the
// ParsedDefinition's context replaces it on recover), minus what recover regenerates, plus our
// captured timer due times; JSON, then raw deflate with a preset dictionary. Every pruning rule below is exercised by the
// recover tests (complete after restart, timers after restart).

import zlib from 'node:zlib';
import type { TimerInfo } from './interfaces';

const FORMAT_VERSION = 1;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** `{ definitions: [definition.getState(), …] }`: all Engine.recover() needs (name/environment are optional). */
export interface EngineState {
  definitions: JsonObject[];
}

export interface StoredState {
  engine: EngineState;
  timers: TimerInfo[];
  /** Names of the variables the instance was started with (absent in states stored before them). */
  start?: string[];
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function pruneMessage(message: JsonObject): void {
  const props = message.properties;
  // smqp regenerates messageId/timestamp on recover; they are random and incompressible.
  if (isObject(props) && props.expiration === undefined) {
    delete props.messageId;
    delete props.timestamp;
    if (!Object.keys(props).length) delete message.properties;
  }
  const content = message.content;
  // Timer content: without expireAt bpmn-elements re-derives the delay from timeDuration/timeCycle,
  // so its own clock never fires a recovered timer; the due time we stored decides (see timers.ts).
  if (isObject(content) && typeof content.timerType === 'string' && typeof content[content.timerType] === 'string') {
    delete content.expireAt;
    delete content.startedAt;
    delete content.timeout;
  }
}

const isZeroCounters = (c: Json | undefined) => isObject(c) && Object.values(c).every((n) => n === 0);

// Children and flows that never ran hold only zero counters: recover leaves missing ones fresh.
function pruneUntouched(list: Json | undefined): Json[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const untouched = (s: JsonObject) =>
    // getState() leaves undefined members (dropped by JSON anyway): only defined ones count.
    Object.entries(s).every(([k, v]) => v === undefined || k === 'id' || k === 'type' || k === 'counters') && isZeroCounters(s.counters);
  return list.filter((s) => !(isObject(s) && untouched(s)));
}

function walk(node: Json, visit: (obj: JsonObject, key: string | undefined) => void, key?: string): void {
  if (Array.isArray(node)) for (const item of node) walk(item, visit, key);
  else if (isObject(node)) {
    visit(node, key);
    for (const [k, v] of Object.entries(node)) walk(v, visit, k);
  }
}

/** Removes what recover does not need; mutates and returns the state. */
export function compactEngineState(state: EngineState): EngineState {
  for (const def of state.definitions) {
    delete def.source;
    walk(def, (obj, key) => {
      if (key === 'messages') pruneMessage(obj);
      if (Array.isArray(obj.children)) obj.children = pruneUntouched(obj.children) ?? [];
      if (Array.isArray(obj.flows)) obj.flows = pruneUntouched(obj.flows) ?? [];
    });
    const processes = isObject(def.execution) && Array.isArray(def.execution.processes) ? def.execution.processes : [];
    for (const proc of processes) {
      const vars = isObject(proc) && isObject(proc.environment) ? proc.environment.variables : undefined;
      // bpmn-elements copies the process run message into the variables; resume copies it again.
      if (isObject(vars) && isObject(vars.fields) && typeof vars.fields.routingKey === 'string') {
        delete vars.fields;
        delete vars.content;
        delete vars.properties;
      }
    }
  }
  return state;
}

// Preset deflate dictionary: the skeleton every bpmn-engine 25 state repeats (process-independent).
// A small state compresses ~35% better with it. It is part of FORMAT_VERSION: never edit it in
// place; add a new version (and keep decoding the old one) instead.
const DICTIONARY_V1 = Buffer.from(
  [
    '"type":"bpmn:IntermediateCatchEvent","type":"bpmn:ReceiveTask","type":"bpmn:SubProcess","type":"bpmn:ParallelGateway",',
    '"timerType":"timeCycle","timeCycle":"R3/PT1H","repeat":3,"timerType":"timeDuration","timeDuration":"PT',
    '"type":"bpmn:TimerEventDefinition","attachedTo":"","preventComplete":true,"isDefinitionScope":true,"index":0,',
    '"fields":{"routingKey":"execute.timer","exchange":"execution","consumerTag":"_activity-execute"},"content":{',
    '"type":"bpmn:BoundaryEvent","status":"executing","executionId":"","path":[{"id":"","type":"bpmn:Process"}]},',
    '{"v":1,"e":{"definitions":[{"id":"","type":"bpmn:Definitions","executionId":"","status":"executing","stopped":false,',
    '"counters":{"completed":0,"discarded":0},"environment":{"settings":{},"variables":{},"output":{}},',
    '"execution":{"executionId":"","stopped":false,"completed":false,"status":"executing","processes":[{"id":"",',
    '"type":"bpmn:Process","executionId":"","environment":{"settings":{},"variables":{"sourceId":"","reconId":"","mapping":"',
    '"fields":{"routingKey":"run.execute","exchange":"run","consumerTag":"_definition-run"},"content":{',
    '"fields":{"routingKey":"process.start","exchange":"event","consumerTag":"_definition-activity-"},',
    '"properties":{"type":"start","mandatory":false}}]}]}}]},"t":[]}',
    '"children":[{"id":"start","type":"bpmn:StartEvent","executionId":"","counters":{"taken":1,"discarded":0},"execution":{"completed":true}},',
    '"flows":[{"id":"","type":"bpmn:SequenceFlow","counters":{"looped":0,"take":1,"discard":0}}]}}]},',
    '"fields":{"routingKey":"activity.wait","exchange":"event","consumerTag":"_process-activity-"},"content":{',
    '"fields":{"routingKey":"run.execute","exchange":"run","consumerTag":"_process-run"},"content":{',
    '"type":"bpmn:UserTask","status":"executing","executionId":"","counters":{"taken":0,"discarded":0},',
    '"broker":{"queues":[{"name":"run-q","options":{"autoDelete":false,"durable":true},"messages":[',
    '{"fields":{"routingKey":"run.execute","exchange":"run","consumerTag":"_activity-run"},"content":{',
    '{"name":"execute-q","options":{"autoDelete":false,"durable":true},"messages":[',
    '{"fields":{"routingKey":"execute.start","exchange":"execution","consumerTag":"_activity-execute"},"content":{',
    '"inbound":[{"action":"take","result":true,"evaluationId":"","id":"","targetId":"","sequenceId":"_take_",',
    '"type":"bpmn:SequenceFlow","sourceId":"","isSequenceFlow":true,"parent":{"id":"","type":"bpmn:Process","executionId":""}}],',
    '"executionId":"","id":"","type":"bpmn:UserTask","name":"","parent":{"id":"","type":"bpmn:Process"},',
    '"state":"start","isRootScope":true}}]}]},"execution":{"completed":false}},',
    '"state":"wait","isRootScope":true},"properties":{"persistent":true}}]}]},',
  ].join(''),
);

const DICTIONARIES: Record<number, Buffer> = { 1: DICTIONARY_V1 };

// Layout: one byte FORMAT_VERSION, then the raw deflate stream of the JSON.
export function encodeState(stored: StoredState): Buffer {
  const json = JSON.stringify({ v: FORMAT_VERSION, e: stored.engine, t: stored.timers.map((t) => [t.executionId, t.activityId, t.expireAt]), s: stored.start });
  const body = zlib.deflateRawSync(json, { level: 9, memLevel: 9, dictionary: DICTIONARIES[FORMAT_VERSION] });
  return Buffer.concat([Buffer.of(FORMAT_VERSION), body]);
}

export class StateFormatError extends Error {
  readonly code = 'STATE_INVALID';
}

// ---- format 2: a reference to the waiting template of a definition -------------------------------
//
// An instance started from a definition's template (see template.ts) differs from the template only
// in its execution ids (derived from `seed`), its variables and its timers' due times. Its stored
// state is just that: one byte 2, then the JSON `[fingerprint, seed, [due, …], variables?]`. The
// variables are left out when the caller keeps them elsewhere (the runtime's variables column) and
// hands them back on recover. Expanding needs the template, which only the definition's own engine
// layer holds: engine.ts expands a reference (expandState), this file only reads and writes it.

export const TEMPLATE_FORMAT_VERSION = 2;

export interface TemplateRef {
  fingerprint: string;
  seed: string;
  /** due times of the template's timers, in template order */
  dues: number[];
  /** absent when the variables are stored outside the state */
  variables?: Record<string, unknown>;
}

export function encodeTemplateRef(ref: TemplateRef): Buffer {
  const parts: unknown[] = [ref.fingerprint, ref.seed, ref.dues];
  if (ref.variables) parts.push(ref.variables);
  return Buffer.concat([Buffer.of(TEMPLATE_FORMAT_VERSION), Buffer.from(JSON.stringify(parts), 'utf8')]);
}

export function isTemplateRef(buf: Buffer): boolean {
  return Buffer.isBuffer(buf) && buf.length > 1 && buf[0] === TEMPLATE_FORMAT_VERSION;
}

export function decodeTemplateRef(buf: Buffer): TemplateRef {
  let parts: unknown;
  try {
    parts = JSON.parse(buf.subarray(1).toString('utf8'));
  } catch (err) {
    throw new StateFormatError(`cannot decode instance state: ${(err as Error).message}`);
  }
  const [fingerprint, seed, dues, variables] = Array.isArray(parts) ? parts : [];
  if (typeof fingerprint !== 'string' || typeof seed !== 'string' || !Array.isArray(dues) || !dues.every((d) => typeof d === 'number')) {
    throw new StateFormatError('cannot decode instance state: malformed template reference');
  }
  const ref: TemplateRef = { fingerprint, seed, dues };
  if (variables !== undefined) {
    if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) throw new StateFormatError('cannot decode instance state: malformed variables');
    ref.variables = variables as Record<string, unknown>;
  }
  return ref;
}

/**
 * The engine state of a stored instance in the full format (1). A template reference (format 2) is
 * expanded by its definition's template instead: engine.ts's expandState.
 */
export function decodeState(buf: Buffer): StoredState {
  if (isTemplateRef(buf)) throw new StateFormatError('instance state is a template reference: expand it with its definition (expandState)');
  const dictionary = Buffer.isBuffer(buf) && buf.length > 1 ? DICTIONARIES[buf[0]] : undefined;
  if (!dictionary) throw new StateFormatError(`unsupported instance state format ${Buffer.isBuffer(buf) ? buf[0] : typeof buf}`);
  let parsed: { v?: number; e?: EngineState; t?: [string, string, number][]; s?: unknown };
  try {
    parsed = JSON.parse(zlib.inflateRawSync(buf.subarray(1), { dictionary }).toString('utf8'));
  } catch (err) {
    throw new StateFormatError(`cannot decode instance state: ${(err as Error).message}`);
  }
  if (parsed.v !== FORMAT_VERSION || !parsed.e || !Array.isArray(parsed.e.definitions)) {
    throw new StateFormatError(`unsupported instance state format ${String(parsed.v)}`);
  }
  const out: StoredState = {
    engine: parsed.e,
    timers: (parsed.t ?? []).map(([executionId, activityId, expireAt]) => ({ executionId, activityId, expireAt })),
  };
  if (Array.isArray(parsed.s) && parsed.s.every((k) => typeof k === 'string')) out.start = parsed.s;
  return out;
}
