// workflow/processdefinition, workflow/processinstance and workflow/taskinstance.
import express, { Router } from 'express';
import { isAdmin, requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { CrestError, badRequest, notFound } from '../crest/errors';
import { parseFields, project } from '../crest/fields';
import { envelope, parseQueryRequest, QueryIds, resultShape, sortInMemory } from '../crest/query';
import { Filter } from '../crest/queryFilter';
import { matchesFilter, parseQueryFilter } from '../crest/queryFilter';
import { AppContext } from '../context';
import { DefinitionError } from '../workflow/interfaces';
import { decodeXml } from '../workflow/xmlEncoding';
import { all, eq, INSTANCE_QUERY_IDS, TASK_QUERY_IDS, varParams } from '../workflow/queryIds';
import { type InstanceStatus, WorkflowRuntime } from '../workflow/runtime';
import type { TaskRow } from '../workflow/tasks';
import { definitionView, historicTaskView, instanceView, taskDefinitionView, taskView } from '../workflow/views';
import { actionOf, objectBody, queryString, unknownAction } from './http';
import { approvalPeople, ApprovalPerson, historyApproval, taskApproval } from '../approval/views';
import { sendUnpaged, shapeBatches, shapeEachBatch } from './queryStream';

const MAX_BPMN_BYTES = 5 * 1024 * 1024;

function numericId(raw: string, what: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw notFound(`${what} ${raw.slice(0, 64)} not found`);
  return Number(raw);
}

function sendProjected(res: express.Response, obj: Record<string, unknown>, fieldsParam: string | undefined) {
  res.json(project(obj, parseFields(fieldsParam), false));
}

// ---- IDM's named queries and sort keys (OpenIDM openidm-workflow-activiti: ActivitiConstants,
// TaskInstanceResource/ProcessInstanceResource setTaskParams/setProcessInstanceParams/setSortKeys) ----

const TASK_SORT_KEYS = ['_id', 'name', 'description', 'priority', 'assignee', 'createTime', 'processInstanceId', 'executionId', 'dueDate'] as const;
/** TaskInstanceHistoryResource.setTaskParams; candidates are not kept in history (400). */
function historyFilter(params: Record<string, string>): Filter {
  const f: Filter[] = [];
  const column: Record<string, string> = {
    executionId: 'executionId', processDefinitionId: 'processDefinitionId', processDefinitionKey: 'processDefinitionKey', processInstanceId: 'processInstanceId',
    assignee: 'assignee', taskId: '_id', taskName: 'name', owner: 'owner', description: 'description', taskDeleteReason: 'deleteReason',
  };
  for (const [k, v] of Object.entries(params)) {
    if (column[k]) f.push(eq([column[k]], v));
    else if (k === 'finished' && v === 'true') f.push({ type: 'present', field: ['endTime'] });
    else if (k === 'unfinished' && v === 'true') f.push({ type: 'not', operand: { type: 'present', field: ['endTime'] } });
    else if (k === 'priority') {
      if (!/^-?\d{1,9}$/.test(v)) throw badRequest('priority must be an integer');
      f.push(eq(['priority'], Number(v)));
    } else if (k === 'taskCandidateUser' || k === 'taskCandidateGroup' || k === 'processFinished' || k === 'processUnfinished') {
      throw badRequest(`${k} is not supported on workflow/taskinstance/history by this server`);
    }
  }
  return all([...f, ...varParams(params)]);
}

const HISTORY_QUERY_IDS: QueryIds = { 'filtered-query': historyFilter };
const HISTORY_SORT_KEYS = ['_id', 'taskId', 'name', 'taskName', 'description', 'assignee', 'owner', 'priority', 'processInstanceId', 'processDefinitionId', 'executionId', 'startTime', 'endTime', 'dueDate', 'deleteReason'] as const;

const INSTANCE_SORT_KEYS = ['processInstanceId', 'processDefinitionId', 'processInstanceBusinessKey', 'startTime', 'endTime'] as const;
const DEFINITION_SORT_KEYS = ['_id', 'key', 'name', 'category', 'version', 'deploymentId', 'resourceName', 'deploymentTime'] as const;

export function workflowRouter(runtime: WorkflowRuntime) {
  return (ctx: AppContext): Router => {
    const r = Router();
    const knex = ctx.db.knex;

    // --- process definitions ---
    r.get('/workflow/processdefinition', async (req, res) => {
      const q = parseQueryRequest(req.query as Record<string, unknown>, { sortKeys: DEFINITION_SORT_KEYS });
      const views = (await runtime.definitions.list()).map((d) => definitionView(d));
      const matched = sortInMemory(views.filter((d) => matchesFilter(q.filter, d)), q.sort);
      const page = matched.slice(q.offset, q.pageSize !== undefined ? q.offset + q.pageSize + 1 : undefined);
      const fields = parseFields(queryString(req, '_fields'));
      res.json(envelope(q, page.map((d) => resultShape(q, project(d, fields))), matched.length));
    });

    r.get('/workflow/processdefinition/:id', async (req, res) => {
      const def = await runtime.definitions.get(req.params.id);
      const view: Record<string, unknown> = definitionView(def.row, def.parsed);
      // The XML carries every script, expression and form of the process: administrators only
      // (a task view carries what its task needs).
      if (parseFields(queryString(req, '_fields'))?.paths.some((path) => path[0] === 'xml')) {
        requireAdmin(principalOf(res));
        view.xml = def.row.xml;
      }
      sendProjected(res, view, queryString(req, '_fields'));
    });

    // OpenIDM's TaskDefinitionResource (workflow/processdefinition/{procdefid}/taskdefinition): its
    // query-all-ids answers whole task definitions (not ids only), as OpenIDM's does.
    r.get('/workflow/processdefinition/:id/taskdefinition', async (req, res) => {
      const def = await runtime.definitions.get(req.params.id);
      const q = parseQueryRequest(req.query as Record<string, unknown>, { sortKeys: ['_id'] });
      const views = sortInMemory(def.parsed.tasks.map(taskDefinitionView).filter((t) => matchesFilter(q.filter, t)), q.sort);
      const page = views.slice(q.offset, q.pageSize !== undefined ? q.offset + q.pageSize + 1 : undefined);
      const fields = parseFields(queryString(req, '_fields'));
      res.json(envelope({ ...q, idsOnly: false }, page.map((t) => project(t, fields)), views.length));
    });

    r.get('/workflow/processdefinition/:id/taskdefinition/:taskId', async (req, res) => {
      const def = await runtime.definitions.get(req.params.id);
      const task = def.parsed.tasks.find((t) => t.id === req.params.taskId);
      if (!task) throw notFound(`Task definition for ${req.params.taskId.slice(0, 200)} was not found`);
      sendProjected(res, taskDefinitionView(task), queryString(req, '_fields'));
    });

    // Raw bytes: the document's own encoding (BOM, declaration) decides how it is read (xmlEncoding.ts).
    r.post('/workflow/processdefinition', express.raw({ type: () => true, limit: MAX_BPMN_BYTES }), async (req, res) => {
      requireAdmin(principalOf(res));
      const type = req.get('Content-Type') ?? '';
      if (!/^(application|text)\/(xml|bpmn\+xml|octet-stream)/i.test(type) && !/bpmn/i.test(type)) {
        throw new CrestError(415, 'Upload a BPMN file as application/xml or text/xml');
      }
      if (!Buffer.isBuffer(req.body) || !req.body.length) throw badRequest('The request body must be the BPMN XML');
      const name = (queryString(req, 'resourceName') ?? 'upload.bpmn').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 200);
      try {
        const xml = decodeXml(req.body, ` ${name}`);
        if (!xml.trim()) throw badRequest('The request body must be the BPMN XML');
        const { row, created } = await runtime.definitions.deployXml(xml, name);
        const def = await runtime.definitions.get(row.id);
        res.status(created ? 201 : 200).json(definitionView(def.row, def.parsed));
      } catch (e) {
        if (e instanceof DefinitionError) throw badRequest(e.message, { elementId: e.elementId ?? null });
        throw e;
      }
    });

    r.delete('/workflow/processdefinition/:id', async (req, res) => {
      requireAdmin(principalOf(res));
      res.json(definitionView(await runtime.definitions.remove(req.params.id)));
    });

    // --- process instances ---
    const queryInstances = (statuses: InstanceStatus[]) => async (req: express.Request, res: express.Response) => {
      requireAdmin(principalOf(res));
      const q = parseQueryRequest(req.query as Record<string, unknown>, { queryIds: INSTANCE_QUERY_IDS, sortKeys: INSTANCE_SORT_KEYS });
      const fields = parseFields(queryString(req, '_fields'));
      if (q.pageSize === undefined) {
        // Unpaged: from a cursor, however many match (src/api/queryStream.ts).
        const batches = runtime.streamInstances(q.filter, { statuses, offset: q.offset, sort: q.sort });
        return sendUnpaged(req, res, q, {
          batches: shapeBatches(batches, (i) => resultShape(q, project(instanceView(i), fields))),
          count: () => runtime.countInstances(q.filter, statuses),
        }, ctx.log);
      }
      const rows = await runtime.queryInstances(q.filter, {
        statuses, offset: q.offset, limit: q.pageSize + 1, sort: q.sort, countTotal: q.totalPolicy !== 'NONE',
      });
      res.json(envelope(q, rows.map((i) => resultShape(q, project(instanceView(i), fields))), rows.total));
    };
    r.get('/workflow/processinstance/history', queryInstances(['active', 'ended', 'failed', 'canceled']));
    r.get('/workflow/processinstance/history/:id', async (req, res) => {
      const p = principalOf(res);
      const inst = await runtime.readInstance(numericId(req.params.id, 'Process instance'));
      if (!inst) throw notFound(`Process instance ${req.params.id} not found`);
      // src/approval: the approval's snapshot, decision and outcome; its decider may read it too.
      const approval = await historyApproval(knex, inst);
      if (!isAdmin(p) && (!approval.approval || approval.approval.decidedBy !== p.userName)) requireAdmin(p);
      // passed: the activities and events completed so far, in order (docs/modeling.md, Testing).
      sendProjected(res, { ...instanceView(inst), ...approval, passed: await runtime.passedActivities(inst.id) }, queryString(req, '_fields'));
    });
    r.get('/workflow/processinstance', queryInstances(['active']));

    r.post('/workflow/processinstance', async (req, res) => {
      const p = principalOf(res);
      requireAdmin(p);
      const action = actionOf(req);
      if (action !== 'create') throw unknownAction(action);
      const body = objectBody(req);
      const { _key, _processDefinitionId, _businessKey, ...variables } = body;
      if (_key === undefined && _processDefinitionId === undefined) throw badRequest('_key or _processDefinitionId is required');
      if (_key !== undefined && typeof _key !== 'string') throw badRequest('_key must be a string');
      if (_processDefinitionId !== undefined && typeof _processDefinitionId !== 'string') throw badRequest('_processDefinitionId must be a string');
      if (_businessKey !== undefined && _businessKey !== null && typeof _businessKey !== 'string') throw badRequest('_businessKey must be a string');
      const { instance } = await runtime.start({
        key: _key as string | undefined,
        definitionId: _processDefinitionId as string | undefined,
        businessKey: (_businessKey as string | undefined) ?? null,
        variables,
        startUserId: p.userName,
      });
      // Never a 2xx for a start whose run failed: the failed instance stays in the history.
      if (instance.status === 'failed') {
        throw new CrestError(500, `Process instance ${instance.id} failed at ${instance.endActivityId ?? 'its start'}: ${instance.error ?? 'failed'}`, {
          processInstanceId: String(instance.id), activityId: instance.endActivityId, cause: instance.error,
        });
      }
      res.status(201).json({
        _id: String(instance.id),
        processInstanceId: String(instance.id),
        status: instance.status === 'active' ? 'suspended' : instance.status,
        businessKey: instance.businessKey,
        processDefinitionId: instance.definitionId,
      });
    });

    r.get('/workflow/processinstance/:id', async (req, res) => {
      requireAdmin(principalOf(res));
      const id = numericId(req.params.id, 'Process instance');
      const inst = await runtime.readInstance(id);
      if (!inst || inst.status !== 'active') throw notFound(`Process instance ${id} not found`);
      sendProjected(res, instanceView(inst, await runtime.tasksOfInstance(id)), queryString(req, '_fields'));
    });

    r.delete('/workflow/processinstance/:id', async (req, res) => {
      requireAdmin(principalOf(res));
      res.json(instanceView(await runtime.cancel(numericId(req.params.id, 'Process instance'))));
    });

    // --- tasks ---
    r.get('/workflow/taskinstance', async (req, res) => {
      const p = principalOf(res);
      const q = parseQueryRequest(req.query as Record<string, unknown>, { queryIds: TASK_QUERY_IDS, sortKeys: TASK_SORT_KEYS });
      // taskCandidateUser / taskCandidateGroup (comma-separated: taskCandidateGroupIn): unassigned
      // tasks offered to them; the caller's own roles count as its groups (IDM's identity service).
      let candidate: { user?: string; groups?: string[] } | undefined;
      if (q.queryId === 'filtered-query' && (q.params.taskCandidateUser !== undefined || q.params.taskCandidateGroup !== undefined)) {
        const user = q.params.taskCandidateUser;
        const groups = q.params.taskCandidateGroup?.split(',').map((g) => g.trim()).filter(Boolean) ?? [];
        if (user !== undefined && user === p.userName) groups.push(...p.roles.flatMap((x) => [x, `internal/role/${x}`]));
        candidate = { user, groups };
      }
      const fields = parseFields(queryString(req, '_fields'));
      // Who each approval is about (src/approval), so a list names its people without a read per task.
      const shape = async (rows: TaskRow[]) => {
        const people = q.idsOnly ? new Map<number, ApprovalPerson>() : await approvalPeople(knex, rows.map((t) => t.processInstanceId));
        return rows.map((t) => {
          const person = people.get(t.processInstanceId);
          return resultShape(q, project(person ? { ...taskView(t), approvalTarget: person } : taskView(t), fields, false));
        });
      };
      if (q.pageSize === undefined) {
        const batches = runtime.streamTasks(q.filter, p, { offset: q.offset, sort: q.sort, candidate });
        return sendUnpaged(req, res, q, { batches: shapeEachBatch(batches, shape), count: () => runtime.countTasks(q.filter, p, { candidate, sort: q.sort }) }, ctx.log);
      }
      const rows = await runtime.queryTasks(q.filter, p, {
        offset: q.offset, limit: q.pageSize + 1, sort: q.sort, candidate, countTotal: q.totalPolicy !== 'NONE',
      });
      res.json(envelope(q, await shape(rows), rows.total));
    });

    // "Select all matching" (issue 17): completes every task the caller may work on that matches
    // _queryFilter, as a durable operation (202; progress at workflow/bulk/{id}).
    r.post('/workflow/taskinstance', async (req, res) => {
      const p = principalOf(res);
      const action = actionOf(req);
      if (action !== 'complete') throw unknownAction(action);
      const text = queryString(req, '_queryFilter');
      if (text === undefined) throw badRequest('_queryFilter is required: the tasks to complete are those it matches');
      const started = await runtime.startBulkCompletion(parseQueryFilter(text), p, objectBody(req));
      res.status(202).setHeader('Location', `/openidm/workflow/bulk/${started._id}`);
      res.json(started);
    });

    // OpenIDM's TaskInstanceHistoryResource: finished and open tasks (HistoricTaskInstanceEntityMixIn's fields).
    r.get('/workflow/taskinstance/history', async (req, res) => {
      const p = principalOf(res);
      const q = parseQueryRequest(req.query as Record<string, unknown>, { queryIds: HISTORY_QUERY_IDS, sortKeys: HISTORY_SORT_KEYS });
      const fields = parseFields(queryString(req, '_fields'));
      if (q.pageSize === undefined) {
        const batches = runtime.streamTaskHistory(q.filter, p, { offset: q.offset, sort: q.sort });
        return sendUnpaged(req, res, q, {
          batches: shapeBatches(batches, (t) => resultShape(q, project(historicTaskView(t), fields, false))),
          count: () => runtime.countTaskHistory(q.filter, p),
        }, ctx.log);
      }
      const rows = await runtime.queryTaskHistory(q.filter, p, {
        offset: q.offset, limit: q.pageSize + 1, sort: q.sort, countTotal: q.totalPolicy !== 'NONE',
      });
      res.json(envelope(q, rows.map((t) => resultShape(q, project(historicTaskView(t), fields, false))), rows.total));
    });

    r.get('/workflow/taskinstance/:id', async (req, res) => {
      const p = principalOf(res);
      const task = await runtime.readTask(numericId(req.params.id, 'Task instance'));
      if (!runtime.mayWorkOn(p, task)) throw notFound(`Task instance ${req.params.id} not found`);
      res.setHeader('ETag', `"${task.rev}"`);
      // src/approval: what the approver is asked to approve.
      // reconflow's escalationDeadline: when the activity's boundary timer takes the task away (or null).
      const escalationDeadline = await runtime.escalationDeadline(task);
      sendProjected(res, { ...taskView(task, true), escalationDeadline, ...(await taskApproval(knex, task.processInstanceId)) }, queryString(req, '_fields'));
    });

    r.put('/workflow/taskinstance/:id', async (req, res) => {
      requireAdmin(principalOf(res));
      const id = numericId(req.params.id, 'Task instance');
      const body = objectBody(req);
      const changes: Record<string, string | null> = {};
      for (const k of ['assignee', 'owner', 'name', 'description']) {
        if (k in body) {
          if (body[k] !== null && typeof body[k] !== 'string') throw badRequest(`${k} must be a string or null`);
          changes[k] = body[k] as string | null;
        }
      }
      const rev = req.get('If-Match')?.replace(/"/g, '');
      await runtime.updateTask(id, changes, rev && rev !== '*' ? Number(rev) : null);
      res.json({ 'Task updated': String(id) });
    });

    r.post('/workflow/taskinstance/:id', async (req, res) => {
      const p = principalOf(res);
      const id = numericId(req.params.id, 'Task instance');
      const action = actionOf(req);
      const body = objectBody(req);
      if (action === 'complete') {
        await runtime.complete(id, body, p);
        res.json({ 'Task action performed': 'complete' });
      } else if (action === 'claim') {
        const userId = body.userId ?? p.userName;
        if (typeof userId !== 'string' || !userId) throw badRequest('userId must be a string');
        await runtime.claim(id, userId, p);
        res.json({ 'Task action performed': 'claim' });
      } else throw unknownAction(action);
    });

    return r;
  };
}
