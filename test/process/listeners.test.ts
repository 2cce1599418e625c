// Listener scripts given as resources beside the process file (inlined into the stored version at
// deploy), and durability: what a listener set and the initiator survive a restart (a second kit
// over the same database parses the stored version afresh, with no script file in reach).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processTestKit, ProcessTestKit } from '../../src/testing';
import { Definitions } from '../../src/workflow/definitions';
import { readProcessFile } from '../../src/workflow/scriptResources';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'bpmn');

describe('script resources and restarts', () => {
  let kit: ProcessTestKit;
  let dir: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-listeners-'));
    for (const f of ['h-listeners-resource.bpmn', 'h-listeners-notify.js']) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
    kit = await processTestKit({ baseDir: dir });
  });
  afterEach(async () => {
    await kit.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a resource script, and a restarted runtime completes the instance without the script file', async () => {
    const deployed = await kit.deploy('h-listeners-resource.bpmn');
    const p = await kit.start('resourceListener', {}, { startUserId: 'bjensen' });
    await p.expectWaitingAt('review', { assignee: 'bjensen' });
    expect((await p.task('review')).candidateGroups).toEqual(['audit]]>group']);
    expect(await p.variables()).toEqual({ requester: 'bjensen', reviewers: ['bjensen'] });

    // "Restart": the script file is gone; a new runtime over the same database parses the stored XML.
    fs.rmSync(path.join(dir, 'h-listeners-notify.js'));
    const restarted = new ProcessTestKit(kit.db, kit.clock, { baseDir: dir });
    const again = restarted.instance(p.id);
    expect((await restarted.definitions.get(deployed.id)).parsed.unrunnable).toBeUndefined();
    await again.complete('review', { note: 'fine' });
    await again.expectWaitingAt('second', { assignee: 'bjensen.lead' });
    await again.complete('second');
    await again.expectEndedAt('end');
    expect(await again.variables()).toEqual({ requester: 'bjensen', reviewers: ['bjensen', 'bjensen.lead'], note: 'fine' });
  });

  it('a changed script file is a new version; a missing one is refused naming its element, a path outside the folder naming the path', async () => {
    const first = await kit.deploy('h-listeners-resource.bpmn');
    expect((await kit.deploy('h-listeners-resource.bpmn')).created).toBe(false);
    fs.appendFileSync(path.join(dir, 'h-listeners-notify.js'), '\nexecution.setVariable("v2", true);\n');
    const second = await kit.deploy('h-listeners-resource.bpmn');
    expect(second.created).toBe(true);
    expect(second.version).toBe(first.version + 1);

    // A missing file: refused at deploy naming the element whose listener references it.
    fs.rmSync(path.join(dir, 'h-listeners-notify.js'));
    await expect(kit.deploy('h-listeners-resource.bpmn')).rejects.toMatchObject({
      elementId: 'review',
      message: expect.stringContaining('camunda:taskListener (event "create") on userTask "review" has a script resource ("deployment://h-listeners-notify.js"), which is read only when a file of the process folder is deployed (an upload carries no script files) and only from a file beside it: no such file was there'),
    });
    const outside = path.join(dir, 'outside.bpmn');
    fs.writeFileSync(outside, fs.readFileSync(path.join(FIXTURES, 'h-listeners-resource.bpmn'), 'utf8').replace('deployment://h-listeners-notify.js', '../etc/passwd'));
    expect(() => readProcessFile(outside)).toThrow('Cannot deploy outside.bpmn: script resource "../etc/passwd" must be a relative path inside the process folder');
  });

  it('an upload (no folder) with a resource script is refused naming the element', async () => {
    const definitions = new Definitions(kit.db, { info() {}, warn() {}, error() {} });
    const xml = fs.readFileSync(path.join(FIXTURES, 'h-listeners-resource.bpmn'), 'utf8');
    await expect(definitions.deployXml(xml, 'upload.bpmn')).rejects.toMatchObject({
      elementId: 'review',
      message: expect.stringContaining('camunda:taskListener (event "create") on userTask "review" has a script resource ("deployment://h-listeners-notify.js"), which is read only when a file of the process folder is deployed'),
    });
  });
});
