import fs from 'node:fs';
import path from 'node:path';
import { DefinitionError, parseDefinition, startInstance } from '../../../src/workflow/engine';

const root = path.resolve(__dirname, '../../..');
const fixture = (name: string) => fs.readFileSync(path.join(root, 'test/fixtures/bpmn', name), 'utf8');
const sampleXml = fs.readFileSync(path.join(root, 'processes/managedUserApproval.bpmn'), 'utf8');

async function definitionError(xml: string, name?: string): Promise<DefinitionError> {
  const err = await parseDefinition(xml, name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DefinitionError);
  return err as DefinitionError;
}

describe('parseDefinition: processes/managedUserApproval.bpmn', () => {
  it('reads key, name, task, form properties and end events', async () => {
    const def = await parseDefinition(sampleXml, 'managedUserApproval.bpmn');
    expect(def.key).toBe('managedUserApproval');
    expect(def.name).toBe('Managed User Approval Workflow');
    expect(def.documentation).toMatch(/async\.admin/);
    expect(def.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(def.startFormProperties).toEqual([]);
    expect(def.tasks).toEqual([
      {
        id: 'evaluateRequest',
        name: 'Evaluate request',
        documentation: expect.stringContaining('${sourceId}'),
        assignee: 'async.admin',
        formProperties: [
          {
            id: 'requesterName',
            name: "Requester's name",
            type: { name: 'string' },
            readable: true,
            writable: false,
            required: false,
            defaultExpression: '${sourceId}',
          },
          {
            id: 'requestApproved',
            name: 'Do you approve the request?',
            type: { name: 'enum', values: { true: 'Yes', false: 'No' } },
            readable: true,
            writable: true,
            required: true,
          },
        ],
      },
      {
        id: 'escalatedReview',
        name: 'Review escalated request',
        documentation: expect.stringContaining('${sourceId}'),
        assignee: 'openidm-admin',
        formProperties: def.tasks[0].formProperties,
      },
    ]);
    expect(def.endEvents).toEqual([
      { id: 'approved', name: 'Request approved', jobTopic: 'createUser' },
      { id: 'rejected', name: 'Request rejected' },
    ]);
  });

  it('hashes the XML (sha256): the same text, the same hash', async () => {
    const [a, b, c] = await Promise.all([parseDefinition(sampleXml), parseDefinition(sampleXml), parseDefinition(sampleXml + '\n')]);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
  });

  it('carries diagram interchange for every flow node and sequence flow', () => {
    const ids = [...sampleXml.matchAll(/<bpmn:(?:startEvent|userTask|exclusiveGateway|boundaryEvent|endEvent|sequenceFlow) id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBe(15);
    for (const id of ids) expect(sampleXml).toMatch(new RegExp(`bpmnElement="${id}"`));
    expect(sampleXml.match(/<di:waypoint /g)!.length).toBeGreaterThanOrEqual(8);
  });
});

describe('parseDefinition: activiti and flowable dialects', () => {
  it.each(['activiti-style.bpmn20.xml', 'flowable-style.bpmn20.xml'])('reads %s', async (name) => {
    const def = await parseDefinition(fixture(name), name);
    expect(def.category).toBe('Examples');
    expect(def.tasks[0]).toEqual({
      id: 'evaluateRequest',
      name: 'Evaluate request',
      documentation: 'Approve ${sourceId}?',
      assignee: '${approver}',
      candidateUsers: '${sourceId}, jdoe',
      candidateGroups: 'openidm-admin, approvers',
      formKey: 'approvalForm',
      dueDate: 'PT2H',
      priority: '${urgency}',
      formProperties: [
        { id: 'requesterName', name: "Requester's name", type: { name: 'string' }, readable: true, writable: false, required: false, defaultExpression: '${sourceId}' },
        {
          id: 'requestApproved',
          name: 'Do you approve the request?',
          type: { name: 'enum', values: { true: 'Yes', false: 'No' } },
          readable: true,
          writable: true,
          required: true,
        },
        { id: 'comment', name: 'Comment', type: { name: 'string' }, readable: true, writable: true, required: false, variableName: 'approvalComment' },
      ],
    });
  });

  it('resolves both dialects to the same open task', async () => {
    const now = Date.UTC(2026, 0, 1);
    const tasks = [];
    for (const name of ['activiti-style.bpmn20.xml', 'flowable-style.bpmn20.xml']) {
      const def = await parseDefinition(fixture(name));
      const run = await startInstance(def, { sourceId: 'bjensen', approver: 'async.admin', urgency: '70' }, { now: () => now });
      expect(run.status).toBe('waiting');
      const { executionId, ...task } = run.openTasks[0];
      expect(executionId).toMatch(/^evaluateRequest_/);
      tasks.push(task);
    }
    expect(tasks[0]).toEqual(tasks[1]);
    expect(tasks[0]).toMatchObject({
      assignee: 'async.admin',
      candidateUsers: ['bjensen', 'jdoe'],
      candidateGroups: ['openidm-admin', 'approvers'],
      formKey: 'approvalForm',
      dueDate: '2026-01-01T02:00:00.000Z', // PT2H after task creation, on the injected clock
      priority: 70,
      documentation: 'Approve bjensen?',
    });
    expect(tasks[0].formProperties.map((p) => [p.id, p.value])).toEqual([
      ['requesterName', 'bjensen'],
      ['requestApproved', undefined],
      ['comment', undefined],
    ]);
  });
});

describe('parseDefinition: rejected documents', () => {
  it('names the sequence flow whose target is missing', async () => {
    const err = await definitionError(fixture('broken-reference.bpmn'), 'broken-reference.bpmn');
    expect(err.elementId).toBe('toNowhere');
    expect(err.message).toMatch(/toNowhere/);
    expect(err.message).toMatch(/missingTask/);
    expect(err.message).toMatch(/broken-reference\.bpmn/);
  });

  it('refuses DOCTYPE / ENTITY (XXE, billion laughs) before parsing', async () => {
    expect((await definitionError(fixture('xxe.bpmn'))).message).toMatch(/DOCTYPE\/ENTITY/);
    expect((await definitionError('<?xml version="1.0"?><!ENTITY a "b"><x/>')).message).toMatch(/DOCTYPE\/ENTITY/);
  });

  it('refuses documents over 5 MB', async () => {
    const big = sampleXml.replace('</bpmn:definitions>', `<!-- ${'x'.repeat(5 * 1024 * 1024)} --></bpmn:definitions>`);
    expect((await definitionError(big)).message).toMatch(/larger than/);
  });

  it('wants exactly one executable process', async () => {
    expect((await definitionError(sampleXml.replace('isExecutable="true"', 'isExecutable="false"'))).message).toMatch(/found 0/);
    const two = sampleXml.replace(
      '<bpmndi:BPMNDiagram',
      '<bpmn:process id="second" isExecutable="true"><bpmn:startEvent id="s2" /></bpmn:process><bpmndi:BPMNDiagram',
    );
    expect((await definitionError(two)).message).toMatch(/found 2/);
  });

  it('reports unparsable and non-BPMN documents', async () => {
    await definitionError('<not-bpmn/>');
    await definitionError('');
    await definitionError(sampleXml.slice(0, 2000)); // truncated
  });

  it('names a boundary event attached to a missing activity', async () => {
    const xml = sampleXml.replace(
      '<bpmn:sequenceFlow id="toEvaluateRequest"',
      '<bpmn:boundaryEvent id="lostTimer" attachedToRef="ghost"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:sequenceFlow id="toEvaluateRequest"',
    );
    const err = await definitionError(xml);
    expect(err.elementId).toBe('lostTimer');
    expect(err.message).toMatch(/ghost/);
  });
});
