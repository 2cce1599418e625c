// A process file that cannot run refuses the server's start (issue 13: what the runtime can never
// run never reaches an approver): the error names the file, the element and what to do, and the
// refused start leaves nothing running (its database handle, node heartbeat and hooks are closed).
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb, TestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { startTestServer } from '../helpers/server';

const PYTHON = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="pythonProcess" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:scriptTask id="work" scriptFormat="python"><bpmn:script>print('x')</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" /><bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

describe('the process folder at start', () => {
  let project: TestProject;
  let db: TestDb;
  beforeEach(async () => {
    project = makeProject();
    db = await createTestDb();
  });
  afterEach(async () => {
    await db.destroy();
    project.remove();
  });

  it('refuses to start with a file it cannot run, naming the file, the element and what to do', async () => {
    fs.writeFileSync(path.join(project.dir, 'processes', 'escalate.bpmn'), PYTHON);
    const started = startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
    await expect(started).rejects.toThrow(/escalate\.bpmn: .*scriptTask "work".*python.*move it out of the process folder/s);
    // Nothing of the refused start is left: the same node starts at once once the file is gone.
    fs.rmSync(path.join(project.dir, 'processes', 'escalate.bpmn'));
    const t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
    try {
      const defs = await t.call('GET', '/workflow/processdefinition?_queryFilter=true&_fields=key', { headers: { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'openidm-admin' } });
      expect(defs.body.result.map((d: { key: string }) => d.key)).toEqual(['managedUserApproval']);
    } finally {
      await t.close();
    }
  });
});
