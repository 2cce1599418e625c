// REST as OpenIDM/PingIDM answers it (issue 16, Deliver 5): each expectation names the OpenIDM
// source class (OpenIdentityPlatform/OpenIDM) or the PingIDM page it follows.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';

const enc = encodeURIComponent;

/** A process whose one task is offered to the user bob and the group approvers (no assignee). */
const CANDIDATE_BPMN = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://example.com/crest">
  <bpmn:process id="offered" name="Offered" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review" />
    <bpmn:userTask id="review" name="Review" camunda:candidateUsers="bob" camunda:candidateGroups="approvers">
      <bpmn:extensionElements><camunda:formData><camunda:formField id="ok" label="OK?" type="boolean" /></camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>`;

describe('REST compatibility with OpenIDM (CREST)', () => {
  let t: TestServer;
  const instances: string[] = [];

  beforeAll(async () => {
    t = await startTestServer({ workers: false });
    for (const sourceId of ['carol', 'alice', 'bob']) {
      const r = await t.call('POST', '/workflow/processinstance?_action=create', {
        headers: ADMIN, body: { _key: 'managedUserApproval', _businessKey: `sourceId: ${sourceId}`, sourceId, mapping: 'm', reconId: 'r1' },
      });
      expect(r.status).toBe(201);
      instances.push(r.body._id);
    }
    const dep = await fetch(`${t.base}/workflow/processdefinition?resourceName=offered.bpmn`, {
      method: 'POST', headers: { ...ADMIN, 'Content-Type': 'application/xml' }, body: CANDIDATE_BPMN,
    });
    expect(dep.status).toBe(201);
    const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'offered', subject: 'x' } });
    expect(started.status).toBe(201);
    for (const u of [{ _id: 'u1', userName: 'zed', givenName: 'Zed', sn: 'Z', mail: 'zed@example.com' }, { _id: 'u2', userName: 'amy', givenName: 'Amy', sn: 'A', mail: 'amy@example.com' }]) {
      expect((await t.call('PUT', `/managed/user/${u._id}`, { headers: ADMIN, body: u })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  describe('_queryId', () => {
    // OpenIDM repo.jdbc.json (openidm-zip db/*/conf): query-all-ids selects only objectid and rev.
    it('query-all-ids answers _id and _rev only, on managed, workflow and system resources', async () => {
      const users = await t.call('GET', '/managed/user?_queryId=query-all-ids', { headers: ADMIN });
      expect(users.status).toBe(200);
      for (const u of users.body.result) expect(Object.keys(u).sort()).toEqual(['_id', '_rev']);
      expect(users.body.result.map((u: any) => u._id).sort()).toEqual(['u1', 'u2']);
      const tasks = await t.call('GET', '/workflow/taskinstance?_queryId=query-all-ids', { headers: ADMIN });
      expect(tasks.body.result).toHaveLength(4);
      for (const x of tasks.body.result) expect(Object.keys(x).sort()).toEqual(['_id', '_rev']);
      const procs = await t.call('GET', '/workflow/processinstance?_queryId=query-all-ids', { headers: ADMIN });
      for (const x of procs.body.result) expect(Object.keys(x)).toEqual(['_id']);
      const accounts = await t.call('GET', '/system/csvfile/account?_queryId=query-all-ids', { headers: ADMIN });
      expect(accounts.body.result).toEqual([{ _id: 'bjensen' }, { _id: 'scarter' }]);
    });

    // repo.jdbc.json: "for-userName" (parameter uid), "get-by-field-value" (field, value).
    it('for-userName and get-by-field-value on managed/user', async () => {
      const one = await t.call('GET', '/managed/user?_queryId=for-userName&uid=zed', { headers: ADMIN });
      expect(one.status).toBe(200);
      expect(one.body.result).toEqual([expect.objectContaining({ _id: 'u1', userName: 'zed' })]);
      const byField = await t.call('GET', '/managed/user?_queryId=get-by-field-value&field=mail&value=amy%40example.com', { headers: ADMIN });
      expect(byField.body.result.map((u: any) => u._id)).toEqual(['u2']);
      expect((await t.call('GET', '/managed/user?_queryId=for-userName', { headers: ADMIN })).status).toBe(400);
    });

    // TaskInstanceResource.queryCollection: otherwise BadRequestException("Unknown query-id").
    it('an unknown query id is 400 everywhere; _queryFilter with _queryId is 400 (CREST Query)', async () => {
      for (const path of ['/managed/user', '/workflow/taskinstance', '/workflow/processinstance', '/system/csvfile/account']) {
        const r = await t.call('GET', `${path}?_queryId=no-such-query`, { headers: ADMIN });
        expect([path, r.status]).toEqual([path, 400]);
      }
      expect((await t.call('GET', '/managed/user?_queryId=query-all-ids&_queryFilter=true', { headers: ADMIN })).status).toBe(400);
    });

    // TaskInstanceResource.setTaskParams: processDefinitionKey, assignee, taskCandidateUser,
    // taskCandidateGroup (comma list → taskCandidateGroupIn), var-<name> (processVariableValueEquals).
    it('filtered-query on taskinstance with IDM parameters and var-*', async () => {
      const bySource = await t.call('GET', `/workflow/taskinstance?_queryId=filtered-query&processDefinitionKey=managedUserApproval&var-sourceId=alice`, { headers: ADMIN });
      expect(bySource.status).toBe(200);
      expect(bySource.body.result).toHaveLength(1);
      expect(bySource.body.result[0].processVariables.sourceId).toBe('alice');
      const byAssignee = await t.call('GET', '/workflow/taskinstance?_queryId=filtered-query&assignee=async.admin', { headers: ADMIN });
      expect(byAssignee.body.result).toHaveLength(3);
      const cu = await t.call('GET', '/workflow/taskinstance?_queryId=filtered-query&taskCandidateUser=bob', { headers: ADMIN });
      expect(cu.body.result.map((x: any) => x.name)).toEqual(['Review']);
      const cg = await t.call('GET', '/workflow/taskinstance?_queryId=filtered-query&taskCandidateGroup=nobody,approvers', { headers: ADMIN });
      expect(cg.body.result.map((x: any) => x.name)).toEqual(['Review']);
      const none = await t.call('GET', '/workflow/taskinstance?_queryId=filtered-query&taskCandidateUser=async.admin', { headers: ADMIN });
      expect(none.body.result).toEqual([]);
    });

    // ProcessInstanceResource.setProcessInstanceParams: processInstanceBusinessKey, var-*.
    it('filtered-query on processinstance', async () => {
      const r = await t.call('GET', `/workflow/processinstance?_queryId=filtered-query&processInstanceBusinessKey=${enc('sourceId: bob')}`, { headers: ADMIN });
      expect(r.body.result.map((x: any) => x._id)).toEqual([instances[2]]);
      const v = await t.call('GET', '/workflow/processinstance?_queryId=filtered-query&var-sourceId=carol', { headers: ADMIN });
      expect(v.body.result.map((x: any) => x._id)).toEqual([instances[0]]);
    });
  });

  describe('_sortKeys and _totalPagedResultsPolicy', () => {
    // TaskInstanceResource.setSortKeys / ProcessInstanceResource.setSortKeys: several keys, + and -.
    it('sorts tasks and instances by IDM sort keys, with exact totals', async () => {
      const desc = await t.call('GET', `/workflow/taskinstance?_queryId=filtered-query&assignee=async.admin&_sortKeys=-processInstanceId&_pageSize=2&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN });
      expect(desc.status).toBe(200);
      expect(desc.body.result.map((x: any) => x.processInstanceId)).toEqual([instances[2], instances[1]]);
      expect(desc.body).toMatchObject({ totalPagedResultsPolicy: 'EXACT', totalPagedResults: 3, remainingPagedResults: 1 });
      const byKey = await t.call('GET', `/workflow/processinstance?_queryFilter=true&_sortKeys=${enc('+processDefinitionId,-processInstanceId')}&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN });
      expect(byKey.body.result.map((x: any) => x._id).slice(0, 3)).toEqual([instances[2], instances[1], instances[0]]);
      expect(byKey.body.totalPagedResults).toBe(4);
      const none = await t.call('GET', '/workflow/processinstance?_queryFilter=true&_totalPagedResultsPolicy=NONE', { headers: ADMIN });
      expect(none.body).toMatchObject({ totalPagedResultsPolicy: 'NONE', totalPagedResults: -1 });
    });

    it('sorts the CSV source and definitions, with exact totals', async () => {
      const accounts = await t.call('GET', '/system/csvfile/account?_queryFilter=true&_sortKeys=-_id&_totalPagedResultsPolicy=EXACT&_pageSize=1', { headers: ADMIN });
      expect(accounts.status).toBe(200);
      expect(accounts.body.result.map((x: any) => x._id)).toEqual(['scarter']);
      expect(accounts.body).toMatchObject({ totalPagedResults: 2, remainingPagedResults: 1 });
      const defs = await t.call('GET', '/workflow/processdefinition?_queryFilter=true&_sortKeys=-key', { headers: ADMIN });
      expect(defs.body.result.map((x: any) => x.key)).toEqual(['offered', 'managedUserApproval']);
    });

    // setSortKeys: "Sort key: <key> is not valid" (OpenIDM answers NotSupportedException, 501; reconflow 400).
    it('an unknown sort key is 400', async () => {
      for (const path of ['/workflow/taskinstance', '/workflow/processinstance', '/workflow/processdefinition', '/system/csvfile/account']) {
        const r = await t.call('GET', `${path}?_queryFilter=true&_sortKeys=nosuchkey`, { headers: ADMIN });
        expect([path, r.status, r.body.message]).toEqual([path, 400, 'Sort key: nosuchkey is not valid']);
      }
    });

    // The same check on reconflow's other collections (they once ignored _sortKeys), and their sorting.
    it('jobs, incidents, audit/recon, internal/role and workflow/execution refuse an unknown sort key and sort by the known ones', async () => {
      for (const path of ['/jobs', '/workflow/incident', '/audit/recon', '/internal/role', '/workflow/execution']) {
        const r = await t.call('GET', `${path}?_queryFilter=true&_sortKeys=nosuchkey`, { headers: ADMIN });
        expect([path, r.status, r.body.message]).toEqual([path, 400, 'Sort key: nosuchkey is not valid']);
      }
      const roles = async (sort: string) => (await t.call('GET', `/internal/role?_queryFilter=true&_sortKeys=${enc(sort)}`, { headers: ADMIN })).body.result.map((x: any) => x._id);
      const up = await roles('_id');
      expect(up.length).toBeGreaterThan(1);
      expect(up).toEqual([...up].sort());
      expect(await roles('-_id')).toEqual([...up].reverse());
      // A recon run writes audit entries; sorted by sourceObjectId both ways.
      expect((await t.call('POST', '/recon?_action=recon&mapping=systemCsvfileAccounts_managedUser&waitForCompletion=true', { headers: ADMIN })).status).toBe(200);
      const audit = async (sort: string) => (await t.call('GET', `/audit/recon?_queryFilter=true&_sortKeys=${enc(sort)}`, { headers: ADMIN })).body.result.map((x: any) => x.sourceObjectId);
      const asc = await audit('sourceObjectId');
      expect(asc.length).toBeGreaterThan(1);
      // Entries without a source id (target-phase rows) sort last, as SQL NULLs (filterToSql.ts orderByField).
      const named = asc.filter((x: string | null) => x !== null);
      expect(asc).toEqual([...[...named].sort(), ...asc.filter((x: string | null) => x === null)]);
      expect(await audit('-sourceObjectId')).toEqual([...asc].reverse());
      const jobs = await t.call('GET', '/jobs?_queryFilter=true&_sortKeys=-_id', { headers: ADMIN });
      expect(jobs.status).toBe(200);
      const ids = jobs.body.result.map((x: any) => Number(x._id));
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      const executions = await t.call('GET', '/workflow/execution?_queryFilter=true&_sortKeys=-created', { headers: ADMIN });
      expect(executions.status).toBe(200);
      expect((await t.call('GET', '/workflow/incident?_queryFilter=true&_sortKeys=time', { headers: ADMIN })).status).toBe(200);
    });
  });

  // CREST "ETags and conditional requests" (PingIDM Common REST): a read carries ETag: "<_rev>";
  // If-None-Match with that revision answers 304 Not Modified without a body, another revision the object.
  describe('conditional reads', () => {
    it('GET managed/user with If-None-Match: "<rev>" is 304 when it matches, 200 with the object when it does not', async () => {
      const r = await t.call('GET', '/managed/user/u1', { headers: ADMIN });
      expect(r.status).toBe(200);
      expect(r.headers.get('etag')).toBe(`"${r.body._rev}"`);
      const same = await t.call('GET', '/managed/user/u1', { headers: { ...ADMIN, 'If-None-Match': `"${r.body._rev}"` } });
      expect(same.status).toBe(304);
      expect(same.body).toBe('');
      expect(same.headers.get('etag')).toBe(`"${r.body._rev}"`);
      const star = await t.call('GET', '/managed/user/u1', { headers: { ...ADMIN, 'If-None-Match': '*' } });
      expect(star.status).toBe(304);
      const other = await t.call('GET', '/managed/user/u1', { headers: { ...ADMIN, 'If-None-Match': '"00000000deadbeef"' } });
      expect(other.status).toBe(200);
      expect(other.body._id).toBe('u1');
      expect((await t.call('GET', '/managed/user/nosuchuser', { headers: { ...ADMIN, 'If-None-Match': '*' } })).status).toBe(404);
    });
  });

  // CREST common parameter _prettyPrint (PingIDM "About ForgeRock Common REST").
  it('_prettyPrint=true indents the JSON answer, errors included', async () => {
    const r = await fetch(`${t.base}/info/ping?_prettyPrint=true`);
    const text = await r.text();
    expect(text).toBe(JSON.stringify({ _id: '', state: 'ACTIVE_READY', shortDesc: 'OpenIDM ready' }, null, 2));
    const err = await fetch(`${t.base}/managed/user/nobody?_prettyPrint=true`, { headers: ADMIN });
    expect(await err.text()).toContain('\n  "code": 404');
    const plain = await fetch(`${t.base}/info/ping`);
    expect(await plain.text()).not.toContain('\n');
  });

  // PingIDM "REST API versioning": absent → the default version; CREST HttpUtils: a header that
  // does not parse is 400; a resource version no route serves is not found.
  it('checks Accept-API-Version as CREST does', async () => {
    const get = (v?: string) => fetch(`${t.base}/managed/user?_queryId=query-all-ids`, { headers: { ...ADMIN, ...(v !== undefined ? { 'Accept-API-Version': v } : {}) } });
    expect((await get()).status).toBe(200);
    expect((await get('resource=1.0')).status).toBe(200);
    expect((await get('protocol=2.1,resource=1.0')).status).toBe(200);
    expect((await get('resource=1')).status).toBe(200);
    const malformed = await get('resource=banana');
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).message).toMatch(/Malformed Accept-API-Version/);
    expect((await get('resource')).status).toBe(400);
    expect((await get('protocol=9.0,resource=1.0')).status).toBe(400);
    expect((await get('resource=2.0')).status).toBe(404);
  });

  describe('create, patch and preconditions', () => {
    // CREST "Create": POST to the collection without _action, the server assigns the _id.
    it('POST to managed/user without _action creates with a server-generated _id', async () => {
      const r = await t.call('POST', '/managed/user', { headers: ADMIN, body: { userName: 'gen1', givenName: 'G', sn: 'One', mail: 'g1@example.com' } });
      expect(r.status).toBe(201);
      expect(r.body._id).toMatch(/^[0-9a-f-]{36}$/);
      const again = await t.call('GET', `/managed/user/${r.body._id}`, { headers: ADMIN });
      expect(again.body.userName).toBe('gen1');
      expect((await t.call('POST', '/managed/user?_action=frobnicate', { headers: ADMIN, body: {} })).status).toBe(400);
      // An empty body is a create like any other: refused by the managed object's policy (403).
      expect((await t.call('POST', '/managed/user', { headers: ADMIN, body: {} })).status).toBe(403);
    });

    // CREST PATCH operations (PingIDM CREST "Patch"): add to an absent array creates it, "-" appends,
    // copy, move, remove, increment; transform only on config (PingIDM "ForgeRock REST and IDM").
    it('applies the CREST PATCH operation set; _action=patch is the same', async () => {
      const created = await t.call('PUT', '/managed/user/p1', { headers: ADMIN, body: { userName: 'p1', givenName: 'P', sn: 'One', mail: 'p1@example.com', count: 1 } });
      expect(created.status).toBe(201);
      const r = await t.call('PATCH', '/managed/user/p1', {
        headers: ADMIN,
        body: [
          { operation: 'add', field: '/tags/-', value: 'a' },
          { operation: 'add', field: '/tags', value: 'b' },
          { operation: 'add', field: '/aliases', value: ['x'] },
          { operation: 'copy', from: '/mail', field: '/description' },
          { operation: 'move', from: '/givenName', field: '/displayName' },
          { operation: 'increment', field: '/count', value: 2 },
          { operation: 'remove', field: '/aliases' },
        ],
      });
      expect(r.status).toBe(200);
      const got = (await t.call('GET', '/managed/user/p1', { headers: ADMIN })).body;
      expect(got).toMatchObject({ tags: ['a', 'b'], description: 'p1@example.com', displayName: 'P', count: 3 });
      expect(got.givenName).toBeUndefined();
      expect(got.aliases).toBeUndefined();
      const viaAction = await t.call('POST', '/managed/user/p1?_action=patch', { headers: ADMIN, body: [{ operation: 'replace', field: '/sn', value: 'Patched' }] });
      expect(viaAction.status).toBe(200);
      expect(viaAction.body.sn).toBe('Patched');
      const transform = await t.call('PATCH', '/managed/user/p1', { headers: ADMIN, body: [{ operation: 'transform', field: '/sn', value: {} }] });
      expect(transform.status).toBe(400);
      expect(transform.body.message).toMatch(/transform/);
      const noFrom = await t.call('PATCH', '/managed/user/p1', { headers: ADMIN, body: [{ operation: 'copy', field: '/sn' }] });
      expect(noFrom.status).toBe(400);
      const pwCopy = await t.call('PATCH', '/managed/user/p1', { headers: ADMIN, body: [{ operation: 'copy', from: '/mail', field: '/password' }] });
      expect(pwCopy.status).toBe(400);
    });

    // CREST HttpAdapter: If-None-Match on PUT may only be "*"; If-Match with a stale _rev is 412.
    it('If-None-Match other than * on PUT is 400; If-Match follows _rev', async () => {
      const body = { userName: 'inm', givenName: 'I', sn: 'N', mail: 'inm@example.com' };
      const bad = await t.call('PUT', '/managed/user/inm', { headers: { ...ADMIN, 'If-None-Match': '"abc"' }, body });
      expect(bad.status).toBe(400);
      expect((await t.call('GET', '/managed/user/inm', { headers: ADMIN })).status).toBe(404);
      const made = await t.call('PUT', '/managed/user/inm', { headers: { ...ADMIN, 'If-None-Match': '*' }, body });
      expect(made.status).toBe(201);
      const stale = await t.call('PATCH', '/managed/user/inm', { headers: { ...ADMIN, 'If-Match': '"00000000deadbeef"' }, body: [{ operation: 'replace', field: '/sn', value: 'x' }] });
      expect(stale.status).toBe(412);
      const fresh = await t.call('PATCH', '/managed/user/inm', { headers: { ...ADMIN, 'If-Match': `"${made.body._rev}"` }, body: [{ operation: 'replace', field: '/sn', value: 'x' }] });
      expect(fresh.status).toBe(200);
    });
  });

  describe('workflow shapes and task definitions', () => {
    // TaskInstanceResource.readInstance: formProperties is one {<id>: <value>} per form property.
    it('a task read has IDM formProperties ([{id: value}]) and reconflow form fields under form', async () => {
      const list = await t.call('GET', '/workflow/taskinstance?_queryId=filtered-query&var-sourceId=alice', { headers: ADMIN });
      const task = await t.call('GET', `/workflow/taskinstance/${list.body.result[0]._id}`, { headers: ADMIN });
      expect(task.body.formProperties).toEqual([{ requesterName: 'alice' }, { requestApproved: null }]);
      expect(task.body.form.map((f: any) => f._id)).toEqual(['requesterName', 'requestApproved']);
    });

    // ProcessDefinitionResource.convertInstance/getFormHandlerData; TaskDefinitionResource with
    // TaskDefinitionMixIn/FormPropertyHandlerMixIn/EnumFormTypeMixIn.
    it('processdefinition/{id}/taskdefinition lists and reads task definitions as OpenIDM does', async () => {
      const defs = await t.call('GET', '/workflow/processdefinition?_queryFilter=key eq "managedUserApproval"', { headers: ADMIN });
      const id = defs.body.result[0]._id;
      const def = await t.call('GET', `/workflow/processdefinition/${id}`, { headers: ADMIN });
      expect(Object.keys(def.body.taskDefinitions)).toEqual(['evaluateRequest', 'escalatedReview']);
      const list = await t.call('GET', `/workflow/processdefinition/${id}/taskdefinition?_queryId=query-all-ids`, { headers: ADMIN });
      expect(list.status).toBe(200);
      expect(list.body.result.map((x: any) => x._id)).toEqual(['evaluateRequest', 'escalatedReview']);
      const one = await t.call('GET', `/workflow/processdefinition/${id}/taskdefinition/evaluateRequest`, { headers: ADMIN });
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        _id: 'evaluateRequest', name: { expressionText: 'Evaluate request' }, assignee: { expressionText: 'async.admin' },
        taskCandidateUser: [], taskCandidateGroup: [],
      });
      expect(one.body.formProperties.formPropertyHandlers.find((h: any) => h._id === 'requestApproved')).toEqual({
        _id: 'requestApproved', name: expect.any(String), type: { name: 'enum', values: { true: 'Yes', false: 'No' }, datePattern: null },
        readable: true, writable: true, required: true, variableName: 'requestApproved', variableExpression: null, defaultExpression: null,
      });
      expect(def.body.taskDefinitions.evaluateRequest).toEqual(one.body);
      const missing = await t.call('GET', `/workflow/processdefinition/${id}/taskdefinition/nope`, { headers: ADMIN });
      expect(missing.status).toBe(404);
    });

    // TaskInstanceHistoryResource: filtered-query (finished, processInstanceId, var-*…), HistoricTaskInstanceEntityMixIn's fields.
    it('taskinstance/history lists finished tasks with deleteReason "completed"', async () => {
      const open = await t.call('GET', '/workflow/taskinstance?_queryId=filtered-query&var-sourceId=carol', { headers: ADMIN });
      const done = await t.call('POST', `/workflow/taskinstance/${open.body.result[0]._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'false' } });
      expect(done.status).toBe(200);
      const finished = await t.call('GET', `/workflow/taskinstance/history?_queryId=filtered-query&finished=true&processInstanceId=${instances[0]}&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN });
      expect(finished.status).toBe(200);
      expect(finished.body.totalPagedResults).toBe(1);
      expect(finished.body.result[0]).toMatchObject({
        _id: open.body.result[0]._id, processInstanceId: instances[0], taskDefinitionKey: 'evaluateRequest', assignee: 'async.admin',
        deleteReason: 'completed', endTime: expect.any(String), durationInMillis: expect.any(Number),
      });
      const byVar = await t.call('GET', '/workflow/taskinstance/history?_queryId=filtered-query&var-sourceId=carol', { headers: ADMIN });
      expect(byVar.body.result.map((x: any) => x._id)).toEqual([open.body.result[0]._id]);
      const unfinished = await t.call('GET', '/workflow/taskinstance/history?_queryId=filtered-query&unfinished=true&_sortKeys=-startTime', { headers: ADMIN });
      expect(unfinished.body.result.every((x: any) => x.endTime === null)).toBe(true);
      expect(unfinished.body.result.length).toBeGreaterThanOrEqual(3);
      const ids = await t.call('GET', '/workflow/taskinstance/history?_queryId=query-all-ids', { headers: ADMIN });
      for (const x of ids.body.result) expect(Object.keys(x)).toEqual(['_id']);
      expect((await t.call('GET', '/workflow/taskinstance/history?_queryId=filtered-query&taskCandidateUser=bob', { headers: ADMIN })).status).toBe(400);
    });
  });

  describe('missing endpoints, sync and recon answers', () => {
    const BOB = { 'X-OpenIDM-Username': 'bob', 'X-OpenIDM-Password': 'B0b-passw0rd' };
    beforeAll(async () => {
      const r = await t.call('PUT', '/managed/user/bob', {
        headers: ADMIN,
        body: { userName: 'bob', givenName: 'Bob', sn: 'B', mail: 'bob@example.com', password: 'B0b-passw0rd', authzRoles: [{ _ref: 'internal/role/openidm-authorized' }] },
      });
      expect(r.status).toBe(201);
    });

    // OpenIDM InfoService: the `version` binding of info/version.js.
    it('info/version answers reconflow\'s own version', async () => {
      const r = await t.call('GET', '/info/version', { headers: ADMIN });
      expect(r.status).toBe(200);
      let head: string | null = null;
      try {
        head = execSync('git rev-parse HEAD', { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' }).trim().slice(0, 10);
      } catch {
        head = null;
      }
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
      expect(r.body).toEqual({ _id: 'version', productVersion: pkg.version, productBuildDate: expect.stringMatching(/^\d{14}$/), productRevision: head });
    });

    // ConfigObjectService.read: the empty path lists {_id, pid, factoryPid}; a factory configuration is <factoryPid>/<alias>.
    it('config lists the configurations; config/provisioner.openicf/csvfile and the whole config/sync read', async () => {
      const list = await t.call('GET', '/config', { headers: ADMIN });
      expect(list.status).toBe(200);
      expect(list.body._id).toBe('');
      expect(list.body.configurations).toEqual(expect.arrayContaining([
        { _id: 'sync', pid: 'sync', factoryPid: null },
        { _id: 'provisioner.openicf/csvfile', pid: 'provisioner.openicf.csvfile', factoryPid: 'provisioner.openicf' },
      ]));
      expect(list.body.configurations.map((c: any) => c._id)).not.toContain('authentication');
      const csv = await t.call('GET', '/config/provisioner.openicf/csvfile', { headers: ADMIN });
      expect(csv.body).toMatchObject({ _id: 'provisioner.openicf/csvfile', connectorRef: { connectorName: 'org.forgerock.openicf.csvfile.CSVFileConnector' } });
      const sync = await t.call('GET', '/config/sync', { headers: ADMIN });
      expect(sync.body.mappings[0]).toMatchObject({ name: 'systemCsvfileAccounts_managedUser', properties: expect.any(Array), policies: expect.any(Array), correlationQuery: expect.any(Object) });
      expect((await t.call('GET', '/config/authentication', { headers: ADMIN })).status).toBe(404);
      expect((await t.call('GET', '/config', { headers: BOB })).status).toBe(403);
    });

    // OpenICFProvisionerService test action: {name, enabled, config, objectTypes, connectorRef, displayName, ok}.
    it('system?_action=test and system/csvfile?_action=test', async () => {
      const all = await t.call('POST', '/system?_action=test', { headers: ADMIN });
      expect(all.status).toBe(200);
      const expected = {
        name: 'csvfile', enabled: true, config: 'config/provisioner.openicf/csvfile', objectTypes: ['__ALL__', 'account'],
        connectorRef: expect.objectContaining({ connectorName: 'org.forgerock.openicf.csvfile.CSVFileConnector' }), displayName: 'CSV File Connector', ok: true,
      };
      expect(all.body).toEqual([expected]);
      const one = await t.call('POST', '/system/csvfile?_action=test', { headers: ADMIN });
      expect(one.body).toEqual(expected);
      expect((await t.call('POST', '/system/nope?_action=test', { headers: ADMIN })).status).toBe(404);
    });

    // AuthenticationService.actionInstance: reauthenticate → {reauthenticated: true} or 403; logout → {success: true}.
    it('authentication reauthenticate and logout answer as OpenIDM', async () => {
      const ok = await t.call('POST', '/authentication?_action=reauthenticate', { headers: { ...BOB, 'X-OpenIDM-Reauth-Password': 'B0b-passw0rd' } });
      expect([ok.status, ok.body]).toEqual([200, { reauthenticated: true }]);
      const wrong = await t.call('POST', '/authentication?_action=reauthenticate', { headers: { ...BOB, 'X-OpenIDM-Reauth-Password': 'nope-nope' } });
      expect(wrong.status).toBe(403);
      const missing = await t.call('POST', '/authentication?_action=reauthenticate', { headers: BOB });
      expect([missing.status, missing.body.message]).toEqual([403, 'Reauthentication failed, missing or empty headers']);
      expect((await t.call('POST', '/authentication?_action=reauthenticate')).status).toBe(401);
      const out = await t.call('POST', '/authentication?_action=logout', { headers: ADMIN });
      expect([out.status, out.body]).toEqual([200, { success: true }]);
    });

    // bin/defaults/script/workflow/gettasksview.js and getprocessesforuser.js (with conf/process-access.json's default).
    it('endpoint/gettasksview and endpoint/getprocessesforuser as IDM\'s UIs call them', async () => {
      const view = await t.call('GET', '/endpoint/gettasksview?_queryId=gettasksview', { headers: BOB });
      expect(view.status).toBe(200);
      expect(view.body.result).toHaveLength(1);
      const entries = Object.entries(view.body.result[0]) as [string, any][];
      expect(entries).toHaveLength(1);
      const [taskId, entry] = entries[0];
      expect(entry.name).toBe('Review');
      expect(entry.tasks[0]).toMatchObject({
        _id: taskId, processDefinitionId: expect.stringMatching(/^offered:1:/), businessKey: null, startUserId: 'openidm-admin',
        taskDefinition: { _id: 'review', taskCandidateUser: [{ expressionText: 'bob' }] }, usersToAssign: { users: [] },
      });
      const mine = await t.call('GET', '/endpoint/gettasksview?_queryId=gettasksview&viewType=assignee', { headers: BOB });
      expect(mine.body.result).toEqual([{}]);
      const procs = await t.call('GET', '/endpoint/getprocessesforuser', { headers: BOB });
      expect(procs.status).toBe(200);
      expect(procs.body.processes.map((p: any) => p.key).sort()).toEqual(['managedUserApproval', 'offered']);
      expect((await t.call('POST', '/endpoint/gettasksview', { headers: BOB, body: {} })).status).toBe(403);
      expect((await t.call('GET', '/endpoint/nosuch', { headers: BOB })).status).toBe(404);
    });

    // ObjectMapping.performAction: an expected situation that does not hold is a SynchronizationException
    // (409 "Expected situation does not match"); SynchronizationService answers {"status": "OK"}.
    // ReconciliationService: cancel of an ended run answers {_id, action: "cancel", status: "SUCCESS"}.
    // repo/link: OpenIDM's link objects.
    it('sync performAction, repo/link and recon cancel of an ended run', async () => {
      const MAPPING = 'systemCsvfileAccounts_managedUser';
      const run = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
      expect(run.status).toBe(200);
      await eventually(async () => (await t.call('GET', `/recon/${run.body._id}`, { headers: ADMIN })).body.state === 'SUCCESS', 30_000, 'the recon to end');
      const cancel = await t.call('POST', `/recon/${run.body._id}?_action=cancel`, { headers: ADMIN });
      expect([cancel.status, cancel.body]).toEqual([200, { _id: run.body._id, action: 'cancel', status: 'SUCCESS', state: 'SUCCESS' }]);
      expect((await t.call('GET', `/recon/${run.body._id}`, { headers: ADMIN })).body.state).toBe('SUCCESS');

      const sync = (qs: string) => t.call('POST', `/sync?_action=performAction&mapping=${MAPPING}&sourceId=bjensen&${qs}`, { headers: ADMIN });
      const mismatch = await sync('action=CREATE&situation=FOUND');
      expect([mismatch.status, mismatch.body.message]).toEqual([409, 'Expected situation does not match. Expected: FOUND, Found: ABSENT']);
      expect((await t.call('GET', '/managed/user?_queryId=for-userName&uid=bjensen%40example.com', { headers: ADMIN })).body.result).toEqual([]);
      const created = await sync('action=CREATE&situation=ABSENT');
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ status: 'OK', situation: 'ABSENT', action: 'CREATE' });
      const again = await sync('action=CREATE&situation=ABSENT');
      expect(again.status).toBe(409);
      expect(again.body.message).toMatch(/Expected situation does not match. Expected: ABSENT, Found: CONFIRMED/);
      const noSituation = await sync('action=CREATE');
      expect(noSituation.status).toBe(409);
      expect((await sync('action=CREATE&situation=NOPE')).status).toBe(400);

      const links = await t.call('GET', `/repo/link?_queryFilter=${enc('firstId eq "bjensen"')}&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN });
      expect(links.status).toBe(200);
      expect(links.body.result).toEqual([{ _id: expect.any(String), linkType: MAPPING, linkQualifier: 'default', firstId: 'bjensen', secondId: created.body.targetId }]);
      expect(links.body.totalPagedResults).toBe(1);
      const ids = await t.call('GET', '/repo/link?_queryId=query-all-ids', { headers: ADMIN });
      expect(ids.body.result).toEqual([{ _id: links.body.result[0]._id }]);
      expect((await t.call('GET', '/repo/link?_queryFilter=true&_sortKeys=nope', { headers: ADMIN })).status).toBe(400);
      expect((await t.call('GET', '/repo/link?_queryFilter=true', { headers: BOB })).status).toBe(403);
    });
  });
});
