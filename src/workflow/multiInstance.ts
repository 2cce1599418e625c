// Multi-instance activities as Camunda/Activiti/Flowable model them, on bpmn-elements' own loop
// machinery. This is bpmn-elements 17's LoopCharacteristics (src/tasks/LoopCharacteristics.js),
// ported with what those engines add and bpmn-elements lacks:
//   - the loop variables nrOfInstances / nrOfCompletedInstances / nrOfActiveInstances / loopCounter
//     and the element variable, visible to expressions of the iteration (assignee `${approver}`) and
//     of the completion condition (see LOOP_VARIABLES and expressions.ts' engine lookup);
//   - a `collection` that names a variable (Camunda and Activiti accept `approvers` as well as
//     `${approvers}`);
//   - a completion condition coerced as JUEL does (`"false"` is false).
// The broker messages (and so the stored state and its recovery) are bpmn-elements' own: the parallel
// body keeps index/running/discarded in its root message, the sequential one its next index.
import { LOOP_VARIABLES, truthy } from './expressions';
import type { ModdleElement } from './taskDefinitions';

/* eslint-disable @typescript-eslint/no-require-imports */
const { RunError } = require('bpmn-elements') as { RunError: new (message: string, source: unknown) => Error };
/* eslint-enable @typescript-eslint/no-require-imports */

type Obj = Record<string, unknown>;
interface Message {
  fields: Obj & { routingKey?: string; redelivered?: boolean };
  content: Obj & { executionId?: string; index?: number; output?: unknown; parent?: Parent };
  properties: Obj;
}
interface Parent {
  id?: string;
  type?: string;
  executionId?: string;
  path?: Parent[];
}
interface Broker {
  publish(exchange: string, routingKey: string, content: Obj, options?: Obj): unknown;
  subscribeTmp(exchange: string, pattern: string, fn: (routingKey: string, message: Message) => void, options?: Obj, more?: Obj): unknown;
  cancel(consumerTag: string): unknown;
}
interface ActivityLike {
  id: string;
  broker: Broker;
  environment: { settings: Obj; resolveExpression(expr: unknown, message?: unknown): unknown };
}
interface LoopDef {
  type?: string;
  behaviour?: Obj & {
    isSequential?: boolean;
    collection?: string;
    elementVariable?: string;
    loopCardinality?: string;
    completionCondition?: string;
  };
}

function cloneParent(parent: Parent): Parent {
  return { ...parent, ...(parent.path && { path: parent.path.map((p) => ({ ...p })) }) };
}

function cloneContent(content: Obj): Obj {
  const clone: Obj = { ...content };
  if (content.parent) clone.parent = cloneParent(content.parent as Parent);
  for (const key of ['discardSequence', 'inbound', 'outbound', 'sequence']) {
    const v = content[key];
    if (Array.isArray(v)) clone[key] = v.map((c: unknown) => (c && typeof c === 'object' ? cloneContent(c as Obj) : c));
  }
  return clone;
}

function cloneMessage(message: Message, extend: Obj): Message {
  return { fields: { ...message.fields }, content: { ...cloneContent(message.content), ...extend }, properties: { ...message.properties } };
}

function unshiftParent(parent: Parent | undefined, adopting: Obj): Parent {
  const { id, type, executionId } = adopting as Parent;
  if (!parent) return { id, type, executionId };
  const clone = cloneParent(parent);
  clone.path = clone.path ?? [];
  clone.path.unshift({ id: parent.id, type: parent.type, executionId: parent.executionId });
  return Object.assign(clone, { id, type, executionId });
}

/** Camunda and Activiti take a variable's name as well as an expression. */
function collectionExpression(text: string): string {
  return /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(text.trim()) ? `\${${text.trim()}}` : text;
}

class Characteristics {
  readonly id: string;
  readonly broker: Broker;
  readonly parentExecutionId: string;
  readonly isSequential: boolean;
  readonly output: unknown[];
  readonly parent: Parent;
  readonly completionCondition: string | undefined;
  readonly collection: unknown[] | undefined;
  readonly elementVariable: string | undefined;
  readonly cardinality: number | undefined;
  readonly batchSize: number;

  constructor(
    readonly activity: ActivityLike,
    behaviour: NonNullable<LoopDef['behaviour']>,
    readonly message: Message,
  ) {
    this.id = activity.id;
    this.broker = activity.broker;
    this.parentExecutionId = String(message.content.executionId);
    this.isSequential = behaviour.isSequential === true;
    this.output = (message.content.output as unknown[] | undefined) ?? [];
    this.parent = unshiftParent(message.content.parent, message.content);
    this.completionCondition = behaviour.completionCondition || undefined;
    if (behaviour.collection) {
      const value = activity.environment.resolveExpression(collectionExpression(behaviour.collection), message);
      if (!Array.isArray(value)) {
        throw new RunError(`<${this.id}> multi-instance collection "${behaviour.collection}" is ${value === undefined ? 'not set' : `not a list (${typeof value})`}`, message);
      }
      this.collection = value;
      this.elementVariable = behaviour.elementVariable || 'item';
    }
    this.cardinality = this.cardinalityOf(behaviour.loopCardinality);
    this.batchSize = Number(activity.environment.settings.batchSize) || 50;
  }

  private cardinalityOf(expression: string | undefined): number | undefined {
    const length = this.collection?.length;
    if (!expression) return length;
    const raw = this.activity.environment.resolveExpression(expression, this.message);
    // JUEL coerces a String to Number: "3" is 3.
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (value === undefined || value === null) return length;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new RunError(`<${this.id}> invalid loop cardinality >${String(raw)}<`, this.message);
    return value;
  }

  content(): Obj {
    return { ...cloneContent(this.message.content), loopCardinality: this.cardinality, isSequential: this.isSequential, output: undefined };
  }

  /** The loop variables an iteration sees when it starts. */
  private variables(index: number): Obj {
    const n = this.cardinality ?? 0;
    const vars: Obj = {
      loopCounter: index,
      nrOfInstances: n,
      nrOfCompletedInstances: this.isSequential ? index : 0,
      nrOfActiveInstances: this.isSequential ? 1 : Math.min(n, this.batchSize),
    };
    if (this.collection && this.elementVariable) vars[this.elementVariable] = this.collection[index];
    return vars;
  }

  next(index: number): Obj | undefined {
    if (this.cardinality !== undefined && this.cardinality > 0 && index >= this.cardinality) return undefined;
    if (this.collection && index >= this.collection.length) return undefined;
    const content: Obj = {
      ...this.content(),
      isRootScope: undefined,
      executionId: `${this.parentExecutionId}_${index}`,
      isMultiInstance: true,
      parent: cloneParent(this.parent),
      index,
      [LOOP_VARIABLES]: this.variables(index),
    };
    // bpmn-engine's own form: the item is on the iteration's content (${content.item}).
    if (this.collection && this.elementVariable) content[this.elementVariable] = this.collection[index];
    return content;
  }

  isCompletionConditionMet(message: Message, completed: number, active: number): boolean {
    if (!this.completionCondition) return false;
    const index = Number(message.content.index);
    const vars: Obj = { ...(message.content[LOOP_VARIABLES] as Obj | undefined), loopCounter: index, nrOfInstances: this.cardinality ?? 0, nrOfCompletedInstances: completed, nrOfActiveInstances: active };
    const context = cloneMessage(message, { loopOutput: this.output, [LOOP_VARIABLES]: vars });
    return truthy(this.activity.environment.resolveExpression(this.completionCondition, context));
  }

  complete(content: Obj, allDiscarded = false): unknown {
    this.stop();
    return this.broker.publish('execution', `execute.${allDiscarded ? 'discard' : 'completed'}`, { ...content, ...this.content(), output: this.output });
  }

  subscribe(onIterationComplete: (routingKey: string, message: Message) => void): void {
    this.broker.subscribeTmp('api', `activity.*.${this.parentExecutionId}`, (_k, message) => {
      const type = message.properties.type;
      if (type === 'stop' || type === 'discard') this.stop();
    }, { noAck: true, consumerTag: '_api-multi-instance-tag' }, { priority: 400 });
    this.broker.subscribeTmp('execution', 'execute.*', (routingKey, message) => {
      if (!message.content.isMultiInstance) return;
      if (routingKey === 'execute.discard' || routingKey === 'execute.cancel' || routingKey === 'execute.completed') onIterationComplete(routingKey, message);
    }, { noAck: true, consumerTag: '_execute-q-multi-instance-tag', priority: 300 });
  }

  stop(): void {
    this.broker.cancel('_execute-q-multi-instance-tag');
    this.broker.cancel('_api-multi-instance-tag');
  }
}

class SequentialLoop {
  constructor(
    private readonly activity: ActivityLike,
    private readonly chr: Characteristics,
  ) {}

  execute(executeMessage: Message): unknown {
    const { routingKey, redelivered } = executeMessage.fields;
    const chr = this.chr;
    if (!chr.cardinality && !chr.completionCondition) {
      throw new RunError(`<${chr.id}> cardinality, collection, or condition is required in sequential loops`, executeMessage);
    }
    const startIndex = redelivered && routingKey === 'execute.iteration.next' ? Number(executeMessage.content.index) : 0;
    chr.subscribe((_k, message) => this.onComplete(message));
    return this.startNext(startIndex, redelivered === true);
  }

  private startNext(index: number, ignoreIfExecuting = false): Obj | undefined {
    const chr = this.chr;
    const content = chr.next(index);
    if (!content) return undefined;
    const broker = this.activity.broker;
    broker.publish('execution', 'execute.iteration.next', { ...content, ...chr.content(), index, preventComplete: true, output: chr.output.slice(), state: 'iteration.next' });
    broker.publish('execution', 'execute.start', { ...content, ignoreIfExecuting });
    return content;
  }

  private onComplete(message: Message): unknown {
    const chr = this.chr;
    const { content } = message;
    const index = Number(content.index);
    if (content.output !== undefined) chr.output[index] = content.output;
    this.activity.broker.publish('execution', 'execute.iteration.completed', { ...content, ...chr.content(), preventComplete: true, output: chr.output.slice(), state: 'iteration.completed' });
    if (!chr.isCompletionConditionMet(message, index + 1, 0) && this.startNext(index + 1)) return undefined;
    return chr.complete(content);
  }
}

class ParallelLoop {
  private running = 0;
  private index = 0;
  private discarded = 0;

  constructor(
    private readonly activity: ActivityLike,
    private readonly chr: Characteristics,
  ) {}

  execute(executeMessage: Message): unknown {
    const chr = this.chr;
    if (!chr.cardinality) throw new RunError(`<${chr.id}> cardinality or collection is required in parallel loops`, executeMessage);
    const redelivered = executeMessage.fields.redelivered === true;
    if (redelivered) {
      const { index, running, discarded } = executeMessage.content;
      if (!Number.isNaN(Number(index))) this.index = Number(index);
      if (!Number.isNaN(Number(running))) this.running = Number(running);
      if (!Number.isNaN(Number(discarded))) this.discarded = Number(discarded);
    }
    chr.subscribe((routingKey, message) => this.onComplete(routingKey, message));
    return redelivered ? undefined : this.startBatch();
  }

  private startBatch(): void {
    const chr = this.chr;
    const batch: Obj[] = [];
    for (let content = chr.next(this.index); content; content = chr.next(this.index)) {
      batch.push(content);
      this.running++;
      this.index++;
      if (this.index >= (chr.cardinality ?? 0) || this.running >= chr.batchSize) break;
    }
    const broker = this.activity.broker;
    broker.publish('execution', 'execute.iteration.batch', { ...chr.content(), index: this.index, running: this.running, discarded: this.discarded, output: chr.output, preventComplete: true });
    for (const content of batch) broker.publish('execution', 'execute.start', content);
  }

  private onComplete(routingKey: string, message: Message): unknown {
    const chr = this.chr;
    const { content } = message;
    if (content.output !== undefined) chr.output[Number(content.index)] = content.output;
    if (routingKey === 'execute.discard') this.discarded++;
    this.running--;
    this.activity.broker.publish('execution', 'execute.iteration.completed', {
      ...content, ...chr.content(), index: this.index, running: this.running, discarded: this.discarded, output: chr.output, state: 'iteration.completed', preventComplete: true,
    });
    if (this.running <= 0 && !chr.next(this.index)) return chr.complete(content, this.discarded === this.index);
    if (chr.isCompletionConditionMet(message, this.index - this.running, this.running)) return chr.complete(content, this.discarded === this.index);
    if (this.running <= 0) {
      this.running = 0;
      this.startBatch();
    }
    return undefined;
  }
}

/** The Behaviour bpmn-elements instantiates for bpmn:multiInstanceLoopCharacteristics. */
export class MultiInstanceLoop {
  readonly type: string;
  readonly isSequential: boolean;
  private characteristics: Characteristics | undefined;

  constructor(
    private readonly activity: ActivityLike,
    private readonly loop: LoopDef,
  ) {
    this.type = loop.type ?? 'LoopCharacteristics';
    this.isSequential = loop.behaviour?.isSequential === true;
  }

  execute(executeMessage: Message): unknown {
    if (!executeMessage) throw new TypeError('LoopCharacteristics execution requires message');
    const chr = (this.characteristics ??= new Characteristics(this.activity, this.loop.behaviour ?? {}, executeMessage));
    if (chr.cardinality === 0) return chr.complete(executeMessage.content);
    return (this.isSequential ? new SequentialLoop(this.activity, chr) : new ParallelLoop(this.activity, chr)).execute(executeMessage);
  }
}

const DIALECTS = ['activiti', 'flowable'];

/**
 * Activiti/Flowable write collection and elementVariable as attributes of their own namespace
 * (camunda's descriptor reads camunda:collection into the element itself): copy them onto the
 * element before it is serialized, so that the loop above reads them all alike.
 */
export function adoptVendorLoopAttributes(el: ModdleElement): void {
  const loop = el.loopCharacteristics as ModdleElement | undefined;
  if (loop?.$type !== 'bpmn:MultiInstanceLoopCharacteristics') return;
  for (const name of ['collection', 'elementVariable']) {
    if (typeof loop[name] === 'string' && loop[name] !== '') continue;
    for (const prefix of DIALECTS) {
      const v = loop.$attrs?.[`${prefix}:${name}`];
      if (typeof v === 'string' && v !== '') {
        loop[name] = v;
        break;
      }
    }
  }
}

interface UnresolvedWarning {
  message: string;
  element?: ModdleElement;
  property?: string;
  value?: string;
}

/**
 * BPMN's own multi-instance data: `<loopDataInputRef>assigneeList</loopDataInputRef>` with
 * `<inputDataItem name="assignee"/>`. Camunda and Activiti read the ref's text as the collection
 * variable and the item's name as the element variable, though the ref names no element of the file
 * (bpmn-moddle reports it unresolved). Adopts those as collection / elementVariable (unless the
 * vendor attributes set them); returns the other warnings.
 */
export function adoptLoopDataInputs(warnings: UnresolvedWarning[]): UnresolvedWarning[] {
  return warnings.filter((w) => {
    const loop = w.element;
    if (loop?.$type !== 'bpmn:MultiInstanceLoopCharacteristics' || w.property !== 'bpmn:loopDataInputRef' || !/^unresolved reference/.test(w.message)) return true;
    const name = (w.value ?? '').trim();
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) return true;
    if (typeof loop.collection !== 'string' || loop.collection === '') loop.collection = name;
    const item = (loop.inputDataItem as ModdleElement | undefined)?.name;
    if ((typeof loop.elementVariable !== 'string' || loop.elementVariable === '') && typeof item === 'string' && item.trim()) loop.elementVariable = item.trim();
    return false;
  });
}
