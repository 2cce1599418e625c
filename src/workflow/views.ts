// OpenIDM's JSON shapes for definitions, instances and tasks.
import { DefinitionRow } from '../repo/processDefinitions';
import { InstanceRow } from '../repo/processInstances';
import type { WaitingSubscription } from '../repo/eventSubscriptions';
import { TaskRow } from '../repo/tasks';
import { FormPropertyDef, ParsedDefinition, ResolvedFormProperty } from './interfaces';

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
          formProperties: parsed.startFormProperties.map(formPropertyView),
          taskDefinitions: parsed.tasks.map((t) => ({
            _id: t.id,
            name: t.name,
            assignee: t.assignee ?? null,
            candidateUsers: t.candidateUsers ?? null,
            candidateGroups: t.candidateGroups ?? null,
            formKey: t.formKey ?? null,
            dueDate: t.dueDate ?? null,
            priority: t.priority ?? null,
            formProperties: t.formProperties.map(formPropertyView),
            freeVariables: t.freeVariables === true,
          })),
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
    formProperties: (t.form as ResolvedFormProperty[]).map(formPropertyView),
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
