import fs from 'node:fs';
import path from 'node:path';
import { completeTask, parseDefinition, startInstance } from '../../../src/workflow/engine';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../fixtures/bpmn', name), 'utf8');

// Activiti's own test resources (test/fixtures/bpmn/h-listeners-SOURCES.md), asserted as Activiti's tests do.
describe('standard resource assignments, as Activiti and Camunda read them', () => {
  it('humanPerformer is the assignee (TaskAssigneeTest)', async () => {
    const def = await parseDefinition(fixture('h-listeners-activiti-TaskAssigneeTest.bpmn20.xml'));
    const run = await startInstance(def, {});
    expect(run.openTasks[0]).toMatchObject({ taskDefinitionKey: 'theTask', assignee: 'kermit', candidateUsers: [], candidateGroups: [] });
  });

  it('potentialOwner user(x), group(y): a candidate user and a candidate group (TaskCandidateTest)', async () => {
    const def = await parseDefinition(fixture('h-listeners-activiti-MixedCandidateUserAndGroup.bpmn20.xml'));
    const run = await startInstance(def, {});
    expect(run.openTasks[0]).toMatchObject({ candidateUsers: ['kermit'], candidateGroups: ['sales'] });
    expect(run.openTasks[0].assignee).toBeUndefined();
  });

  it('a bare name is a candidate group (FinancialReportProcess), on every task', async () => {
    const def = await parseDefinition(fixture('h-listeners-activiti-FinancialReportProcess.bpmn20.xml'));
    const run = await startInstance(def, {});
    expect(run.openTasks[0]).toMatchObject({ taskDefinitionKey: 'writeReportTask', candidateGroups: ['accountancy'], candidateUsers: [] });
    const next = await completeTask(def, run.state!, run.openTasks[0].executionId, {});
    expect(next.openTasks[0]).toMatchObject({ taskDefinitionKey: 'verifyReportTask', candidateGroups: ['management'] });
  });

  const task = (inner: string, attrs = '') => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <userTask id="t" ${attrs}>${inner}</userTask><sequenceFlow id="f2" sourceRef="t" targetRef="e" /><endEvent id="e" />
  </process>
</definitions>`;
  const owner = (text: string, role = 'potentialOwner') => `<${role}><resourceAssignmentExpression><formalExpression>${text}</formalExpression></resourceAssignmentExpression></${role}>`;

  it('resolves ${expressions} (a list or a comma-separated text) and merges with candidate attributes', async () => {
    const def = await parseDefinition(
      task(owner('user(${requester}), group(${approvers}), ${extraGroup}') + owner('${manager}', 'humanPerformer'), 'camunda:candidateGroups="admins" camunda:candidateUsers="root"'),
    );
    const run = await startInstance(def, { requester: 'bjensen', approvers: ['hr', 'it'], extraGroup: 'audit, admins', manager: 'scarter' });
    expect(run.openTasks[0]).toMatchObject({ assignee: 'scarter', candidateUsers: ['root', 'bjensen'], candidateGroups: ['admins', 'hr', 'it', 'audit'] });
  });

  // Flowable's TaskAssignmentCandidateTest.testCandidateGroups (UserTaskXMLConverter: a resourceRef's
  // resource name is a candidate group; test/conformance/files/flowable-engine).
  it('potentialOwner resourceRef: the named resource is a candidate group', async () => {
    const xml = task('<potentialOwner id="r1"><resourceRef>res1</resourceRef></potentialOwner>').replace('<process', '<resource id="res1" name="management" />\n  <process');
    const def = await parseDefinition(xml, 'resource-ref.bpmn');
    const run = await startInstance(def, {});
    expect(run.error).toBeUndefined();
    expect(run.openTasks[0]).toMatchObject({ candidateGroups: ['management'], candidateUsers: [] });
    expect(run.openTasks[0].assignee).toBeUndefined();
  });

  it('refuses an assignee declared twice, naming the task', async () => {
    await expect(parseDefinition(task(owner('kermit', 'humanPerformer'), 'camunda:assignee="gonzo"'), 'twice.bpmn')).rejects.toThrow(
      'Invalid BPMN twice.bpmn: userTask "t" declares its assignee twice (humanPerformer and an assignee attribute)',
    );
  });
});
