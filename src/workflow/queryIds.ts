// IDM's named queries on workflow/taskinstance and workflow/processinstance ("filtered-query"; OpenIDM
// openidm-workflow-activiti: ActivitiConstants, TaskInstanceResource/ProcessInstanceResource
// setTaskParams/setProcessInstanceParams): shared by the REST routes (src/api/workflow.ts) and the
// script API (src/scriptApi/openidmFacade.ts).
import { InvalidInput } from '../errors';
import type { QueryIds } from '../crest/query';
import { Filter } from '../crest/queryFilter';

export const eq = (field: string[], value: string | number): Filter => ({ type: 'compare', op: 'eq', field, value });
export const all = (operands: Filter[]): Filter => (operands.length ? { type: 'and', operands } : { type: 'literal', value: true });

/** `var-<name>=<value>`: processVariableValueEquals(name, value) (ActivitiUtil.fetchVarParams). */
export function varParams(params: Record<string, string>): Filter[] {
  return Object.entries(params).filter(([k]) => k.startsWith('var-') && k.length > 4).map(([k, v]) => eq(['processVariables', k.slice(4)], v));
}

/** The scalar parameters of a task filtered-query; taskCandidateUser/Group are read by the route. */
export function taskFilter(params: Record<string, string>): Filter {
  const f: Filter[] = [];
  const column: Record<string, string> = {
    executionId: 'executionId', processDefinitionId: 'processDefinitionId', processDefinitionKey: 'processDefinitionKey',
    processInstanceId: 'processInstanceId', assignee: 'assignee', name: 'name', owner: 'owner', description: 'description',
  };
  for (const [k, v] of Object.entries(params)) {
    if (column[k]) f.push(eq([column[k]], v));
    else if (k === 'priority') {
      if (!/^-?\d{1,9}$/.test(v)) throw new InvalidInput('priority must be an integer');
      f.push(eq(['priority'], Number(v)));
    } else if (k === 'unassigned' && v === 'true') f.push({ type: 'not', operand: { type: 'present', field: ['assignee'] } });
  }
  return all([...f, ...varParams(params)]);
}

export const TASK_QUERY_IDS: QueryIds = { 'filtered-query': taskFilter };


export function instanceFilter(params: Record<string, string>): Filter {
  const f: Filter[] = [];
  const column: Record<string, string> = {
    processDefinitionId: 'processDefinitionId', processDefinitionKey: 'processDefinitionKey', processInstanceBusinessKey: 'businessKey',
    processInstanceId: 'processInstanceId', superProcessInstanceId: 'superProcessInstanceId', startUserId: 'startUserId',
  };
  for (const [k, v] of Object.entries(params)) {
    if (column[k]) f.push(eq([column[k]], v));
    else if (k === 'finished' && v === 'true') f.push({ type: 'not', operand: eq(['status'], 'active') });
    else if (k === 'unfinished' && v === 'true') f.push(eq(['status'], 'active'));
    else if (k === 'involvedUserId') throw new InvalidInput('involvedUserId is not supported by this server: query tasks by assignee or taskCandidateUser');
  }
  return all([...f, ...varParams(params)]);
}

export const INSTANCE_QUERY_IDS: QueryIds = { 'filtered-query': instanceFilter };
