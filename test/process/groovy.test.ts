// BPMN in Groovy on real Apache Groovy (the sidecar JVM): script tasks with and without
// autoStoreVariables, a Flowable ScriptTaskListener, conditions, durability across a restart, and
// the refusals. Fixture: test/fixtures/bpmn/g-groovy-approval.bpmn20.xml (written for reconflow).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processTestKit, ProcessTestKit } from '../../src/testing';
import { groovyInstallation } from '../../src/scripts/groovyHost';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'bpmn');
const installed = typeof groovyInstallation() !== 'string';
if (!installed) console.warn(`groovy process tests skipped: ${groovyInstallation()}`);
const maybe = installed ? describe : describe.skip;

maybe('Groovy in processes', () => {
  jest.setTimeout(120_000);
  let kit: ProcessTestKit;
  let dir: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-groovy-'));
    fs.copyFileSync(path.join(FIXTURES, 'g-groovy-approval.bpmn20.xml'), path.join(dir, 'g-groovy-approval.bpmn20.xml'));
    kit = await processTestKit({ baseDir: dir });
  });
  afterEach(async () => {
    await kit.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the script task, the task listener and the conditions; only autoStoreVariables stores assigned names', async () => {
    await kit.deploy('g-groovy-approval.bpmn20.xml');
    const p = await kit.start('groovyApproval', { sourceId: 'barbara.jensen', approver: 'async.admin' });
    await p.expectWaitingAt('evaluateRequest', { assignee: 'async.admin' });
    expect((await p.task('evaluateRequest')).candidateGroups).toEqual(['approvers']);
    expect(await p.variables()).toEqual({ sourceId: 'barbara.jensen', approver: 'async.admin', requesterName: 'Barbara Jensen', activity: 'prepare', assignedBy: 'groovy create' });

    // A restarted runtime (a new kit over the same database) resumes and runs the rest in Groovy.
    const restarted = new ProcessTestKit(kit.db, kit.clock, { baseDir: dir });
    const again = restarted.instance(p.id);
    await again.complete('evaluateRequest', { requestApproved: 'true' });
    await again.expectEndedAt('approvedEnd');
    expect(await again.variables()).toMatchObject({ decision: 'approved for Barbara Jensen', approvals: 1, requestApproved: 'true' });
    expect(await again.variables()).not.toHaveProperty('scratch');
  });

  it('takes the Groovy condition that holds', async () => {
    await kit.deploy('g-groovy-approval.bpmn20.xml');
    const p = await kit.start('groovyApproval', { sourceId: 'sam.carter' });
    await p.expectWaitingAt('evaluateRequest', { assignee: 'openidm-admin' });
    await p.complete('evaluateRequest', { requestApproved: 'false' });
    await p.expectEndedAt('rejected');
    expect(await p.variables()).not.toHaveProperty('decision');
  });

  it('fails the instance at the script that throws, naming it and the Groovy error', async () => {
    const xml = fs.readFileSync(path.join(FIXTURES, 'g-groovy-approval.bpmn20.xml'), 'utf8').replace("def parts = sourceId.tokenize('.')", "def parts = missingVariable.tokenize('.')");
    fs.writeFileSync(path.join(dir, 'broken.bpmn20.xml'), xml.replace(/groovyApproval/g, 'brokenGroovy'));
    await kit.deploy('broken.bpmn20.xml');
    const p = await kit.start('brokenGroovy', { sourceId: 'x' });
    await p.expectFailed(/script bpmn:ScriptTask\/prepare failed: No such property: missingVariable/);
  });
});

maybe('Groovy at deploy', () => {
  jest.setTimeout(120_000);
  it('refuses a script that does not compile, naming the element and the compiler message', async () => {
    const kit = await processTestKit();
    try {
      const xml = fs.readFileSync(path.join(FIXTURES, 'g-groovy-approval.bpmn20.xml'), 'utf8').replace("requestApproved == 'true'</conditionExpression>", "requestApproved == = 'true'</conditionExpression>");
      await expect(kit.deployXml(xml, 'broken.bpmn20.xml')).rejects.toMatchObject({
        elementId: 'yes',
        message: expect.stringMatching(/^Cannot deploy broken\.bpmn20\.xml: the condition of sequenceFlow "yes" is not valid Groovy: .*unexpected token: =/s),
      });
    } finally {
      await kit.close();
    }
  });
});
