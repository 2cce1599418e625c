// The Groovy sidecar on real Apache Groovy: bindings, answers, refusals, the time limit and the
// JVM's replacement. Skipped (and said so) only where Groovy is not installed; CI installs it.
import { groovyHost, groovyInstallation, groovyMissing } from '../../../src/scripts/groovyHost';
import { ScriptLimitError } from '../../../src/scripts/host';

const META = '@@reconflow.execution';
const LISTENER_META = '@@reconflow.listener';
const installed = typeof groovyInstallation() !== 'string';
const maybe = installed ? describe : describe.skip;
if (!installed) console.warn(`groovy tests skipped: ${groovyInstallation()}`);

const meta = (e: Record<string, unknown> = {}) => ({ e: { id: 'ex1', activityId: 'act', eventName: null, processInstanceId: 'pi1', businessKey: 'bk', processDefinitionKey: 'p', ...e }, l: {} });
const task = (source: string, vars: Record<string, unknown>, autoStore = false) =>
  JSON.parse(groovyHost().run('task', 'scriptTask/t', source, JSON.stringify({ ...vars, [META]: meta() }), 20_000, { autoStore })!);

maybe('Groovy sidecar', () => {
  jest.setTimeout(120_000);

  it('binds variables by name and execution, returns the value and the variables', () => {
    const out = task(`execution.setVariable('approved', requestApproved == 'true'); note = 'local'; execution.getProcessInstanceId() + '/' + execution.processBusinessKey + '/' + sourceId`, {
      requestApproved: 'true',
      sourceId: 'bjensen',
    });
    expect(out.r).toBe('pi1/bk/bjensen');
    expect(out.v).toEqual({ requestApproved: 'true', sourceId: 'bjensen', approved: true });
  });

  it('stores names the script assigns only with autoStoreVariables', () => {
    expect(task(`x = count + 1`, { count: 1 }, true).v).toEqual({ count: 1, x: 2 });
    expect(task(`x = count + 1`, { count: 1 }, false).v).toEqual({ count: 1 });
  });

  it('gives a task listener `task`, and hands back what it changed', () => {
    const data = { id: 'ex1', taskDefinitionKey: 'evaluate', eventName: 'create', name: 'Evaluate', description: null, assignee: null, owner: null, priority: 50, dueDate: null, candidateUsers: [], candidateGroups: [] };
    const json = groovyHost().run('listener', 'taskListener create', `task.assignee = 'async.admin'; task.addCandidateGroup('openidm-admin'); task.priority = 70; task.setVariable('seen', task.name)`, JSON.stringify({ a: 1, [LISTENER_META]: { ...meta({ eventName: 'create' }), t: data } }), 20_000);
    const out = JSON.parse(json!);
    expect(out.r.t).toMatchObject({ assignee: 'async.admin', candidateGroups: ['openidm-admin'], priority: 70 });
    expect(out.v).toEqual({ a: 1, seen: 'Evaluate' });
  });

  it('names a missing variable and a failing script', () => {
    expect(() => task(`nope + 1`, {})).toThrow('No such property: nope');
    expect(() => task(`throw new IllegalStateException('no approver')`, {})).toThrow('no approver');
    expect(() => task(`def x = (`, {})).toThrow(/unexpected|expecting/i);
  });

  it('refuses processes, files, sockets, threads and exit while a script runs', () => {
    expect(() => task(`'id'.execute().text`, {})).toThrow(/scripts may not use files/);
    expect(() => task(`new File('/etc/hostname').text`, {})).toThrow(/scripts may not use files/);
    expect(() => task(`new File('/tmp/reconflow-groovy-probe').text = 'x'`, {})).toThrow(/scripts may not use files/);
    expect(() => task(`new Socket('127.0.0.1', 5432)`, {})).toThrow(/scripts may not/);
    expect(() => task(`Thread.start { }`, {})).toThrow(/scripts may not start threads/);
    expect(() => task(`System.exit(3)`, {})).toThrow(/exitVM/);
    // and the sidecar still answers
    expect(task(`1 + 1`, {}).r).toBe(2);
  });

  it('stops a script past its limit and answers the next call from a fresh JVM', () => {
    expect(() => groovyHost().run('task', 'loop', `while (true) {}`, JSON.stringify({ [META]: meta() }), 1500)).toThrow(ScriptLimitError);
    expect(task(`'after ' + n`, { n: 1 }).r).toBe('after 1');
  });

  it('answers within milliseconds once warm', () => {
    task(`a + 1`, { a: 1 });
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      task(`a + 1`, { a: i });
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    // Not a speed target (bench/groovyCalls.ts measures that): a JVM per call would take ~1 s.
    expect(times[100]).toBeLessThan(100);
  });
});

describe('without Groovy', () => {
  it('says how to install it', () => {
    const saved = { PATH: process.env.PATH, GROOVY_HOME: process.env.GROOVY_HOME };
    jest.isolateModules(() => {
      process.env.PATH = '/nonexistent';
      delete process.env.GROOVY_HOME;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('../../../src/scripts/groovyHost') as typeof import('../../../src/scripts/groovyHost');
      expect(mod.groovyMissing('scriptTask "callOpenidmSync"')).toMatch(/scriptTask "callOpenidmSync" is written in Groovy, and Apache Groovy is not installed .*apt-get install groovy/);
    });
    process.env.PATH = saved.PATH;
    if (saved.GROOVY_HOME !== undefined) process.env.GROOVY_HOME = saved.GROOVY_HOME;
    if (installed) expect(groovyMissing('x')).toBeUndefined();
  });
});
