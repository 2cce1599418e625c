// OpenIDM's JSON shapes for definitions, instances and tasks.
import { DefinitionRow } from '../repo/processDefinitions';
import { InstanceRow } from '../repo/processInstances';
import type { WaitingSubscription } from '../repo/eventSubscriptions';
import { TaskHistoryRow, TaskRow } from '../repo/tasks';
import { FormPropertyDef, ParsedDefinition, ResolvedFormProperty, TaskDefinition } from './interfaces';

/** A form field as reconflow's UIs read it: its label, type, flags and (for a task) its value. */
function formPropertyView(f: FormPropertyDef | ResolvedFormProperty) {
  return {
    _id: f.id,
    name: f.name,
    type: f.type.name === 'enum' ? { name: 'enum', values: f.type.values ?? {} } : { name: f.type.name },
    value: 'value' in f ? f.value ?? null : null,
    readable: f.readable,
    writable: f.writable,
    required: f.required,
    ...(f.defaultExpression ? { defaultExpression: f.defaultExpression } : {}),
  };
}

/** An Activiti expression as IDM's Jackson mapper writes one (JuelExpression: {expressionText}). */
const expression = (text: string | undefined | null) => (text === undefined || text === null || text === '' ? null : { expressionText: text });

/**
 * A form property handler as OpenIDM's ProcessDefinitionResource.getFormHandlerData writes it
 * (and TaskDefinitionResource through FormPropertyHandlerMixIn).
 */
function formHandlerView(f: FormPropertyDef) {
  return {
    _id: f.id,
    name: f.name,
    type: { name: f.type.name, values: f.type.name === 'enum' ? f.type.values ?? {} : null, datePattern: f.type.name === 'date' ? 'yyyy-MM-dd' : null },
    readable: f.readable,
    writable: f.writable,
    required: f.required,
    variableName: f.variableName ?? f.id,
    variableExpression: null,
    defaultExpression: expression(f.defaultExpression),
  };
}

/**
 * A task definition as OpenIDM's TaskDefinitionResource writes it (TaskDefinitionMixIn):
 * expressions as {expressionText}, candidates as lists of expressions, the form under
 * formProperties.formPropertyHandlers; `freeVariables` is reconflow's (docs/modeling.md).
 */
export function taskDefinitionView(t: TaskDefinition) {
  const list = (csv: string | undefined, kind: 'user' | 'group') => [
    ...(csv ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    ...(t.potentialOwners ?? []).filter((o) => o.kind === kind).map((o) => o.expression),
  ].map((x) => ({ expressionText: x }));
  return {
    _id: t.id,
    name: expression(t.name),
    assignee: expression(t.assignee),
    taskCandidateUser: list(t.candidateUsers, 'user'),
    taskCandidateGroup: list(t.candidateGroups, 'group'),
    dueDate: expression(t.dueDate),
    priority: expression(t.priority),
    formResourceKey: t.formKey ?? null,
    formProperties: { formKey: expression(t.formKey), formPropertyHandlers: t.formProperties.map(formHandlerView) },
    freeVariables: t.freeVariables === true,
  };
}

export function definitionView(row: DefinitionRow, parsed?: ParsedDefinition) {
  return {
    _id: row.id,
    key: row.key,
    name: row.name,
    category: row.category,
    version: row.version,
    deploymentId: String(row.seq),
    resourceName: row.resourceName,
    deploymentTime: row.deployedAt,
    suspended: false,
    ...(parsed
      ? {
          description: parsed.documentation ?? null,
          // ProcessDefinitionResource.convertInstance: the start form's handlers.
          formProperties: parsed.startFormProperties.map(formHandlerView),
          // ProcessDefinitionEntity.getTaskDefinitions(): a map by task id.
          taskDefinitions: Object.fromEntries(parsed.tasks.map((t) => [t.id, taskDefinitionView(t)])),
          endEvents: parsed.endEvents,
        }
      : {}),
  };
}

export function instanceView(i: InstanceRow, withTasks?: TaskRow[]) {
  return {
    _id: String(i.id),
    processInstanceId: String(i.id),
    processDefinitionId: i.definitionId,
    processDefinitionKey: i.definitionKey,
    businessKey: i.businessKey,
    status: i.status,
    startTime: i.startTime,
    startUserId: i.startUserId,
    startActivityId: i.startActivityId,
    endTime: i.endTime,
    endActivityId: i.endActivityId,
    deleteReason: i.status === 'canceled' ? 'canceled' : i.status === 'active' ? null : i.error,
    /** An active instance's last failed timer run (kept at its previous state, retried), or why it failed. */
    error: i.error,
    processVariables: i.variables,
    /** the instance whose call activity started this one (Activiti's/Camunda's superProcessInstanceId) */
    superProcessInstanceId: i.superInstanceId != null ? String(i.superInstanceId) : null,
    ...(withTasks ? { tasks: withTasks.map((t) => taskView(t)) } : {}),
  };
}

export function taskView(t: TaskRow, full = false) {
  const base = {
    _id: String(t.id),
    _rev: String(t.rev),
    name: t.name,
    assignee: t.assignee,
    owner: t.owner,
    taskDefinitionKey: t.taskDefinitionKey,
    processInstanceId: String(t.processInstanceId),
    processDefinitionId: t.definitionId,
    executionId: t.executionId,
    createTime: t.createTime,
    dueDate: t.dueDate,
    priority: t.priority,
    description: t.description,
    category: null,
    suspended: false,
    delegationState: null,
    tenantId: '',
    formResourceKey: t.formKey,
    processVariables: t.processVariables ?? {},
    taskLocalVariables: {},
  };
  if (!full) return base;
  return {
    ...base,
    // TaskInstanceResource.readInstance: one {<field id>: <value>} per form property.
    formProperties: (t.form as ResolvedFormProperty[]).map((f) => ({ [f.id]: f.value ?? null })),
    // reconflow's: each field with its label, type and flags, as the inbox renders it.
    form: (t.form as ResolvedFormProperty[]).map(formPropertyView),
    variables: t.processVariables ?? {},
    candidates: { candidateUsers: t.candidateUsers, candidateGroups: t.candidateGroups },
  };
}

/** A waiting execution other than a user task or a timer (GET workflow/execution). */
export function executionView(s: WaitingSubscription) {
  return {
    _id: String(s.id),
    id: String(s.id),
    processInstanceId: String(s.processInstanceId),
    processDefinitionId: s.definitionId,
    activityId: s.activityId,
    executionId: s.executionId,
    kind: s.kind,
    name: s.name,
    businessKey: s.businessKey,
    created: s.created,
  };
}

/** A task in workflow/taskinstance/history, as OpenIDM's HistoricTaskInstanceEntityMixIn writes it. */
export function historicTaskView(t: TaskHistoryRow) {
  return {
    _id: String(t.id),
    processDefinitionId: t.definitionId,
    processInstanceId: String(t.processInstanceId),
    executionId: t.executionId,
    taskDefinitionKey: t.taskDefinitionKey,
    name: t.name,
    description: t.description,
    owner: t.owner,
    assignee: t.assignee,
    startTime: t.createTime,
    endTime: t.endTime,
    durationInMillis: t.endTime ? Date.parse(t.endTime) - Date.parse(t.createTime) : null,
    deleteReason: t.deleteReason,
    priority: t.priority,
    dueDate: t.dueDate,
    category: null,
    tenantId: '',
  };
}
