// The conformance suite drives every case through this interface, so that the cases say what a
// modeler's process must do and not how today's kit does it. KitDriver implements it on the
// process-testing kit (src/testing) over the real durable runtime, on SQLite or PostgreSQL. Every
// capability a case needs exists on main; NotAvailable stays for a driver over something that lacks
// one (the case then fails naming it). Call activities: every kit step runs the workflow.callReturn
// jobs it left (ProcessTestKit.runCallReturns), as the server's worker would.
import crypto from 'node:crypto';
import path from 'node:path';
import type { Principal } from '../../src/auth/interfaces';
import { Db, isPostgresUrl, migrate, openDb } from '../../src/repo/db';
import { FakeClock, ProcessTestKit, type WaitingSubscription } from '../../src/testing';
import type { Vars } from './cases/types';

export const FILES_DIR = path.join(__dirname, 'files');

export class NotAvailable extends Error {
  constructor(readonly capability: string) {
    super(`not available yet: ${capability}`);
    this.name = 'NotAvailable';
  }
}

export interface OpenTask {
  activityId: string;
  name: string | null;
  assignee: string | null;
  candidateUsers: string[];
  candidateGroups: string[];
  priority: number;
  processInstanceId: number;
}

export interface InstanceView {
  status: string;
  endActivityId: string | null;
  businessKey: string | null;
  variables: Vars;
  error: string | null;
}

export interface ConformanceDriver {
  /** Deploys a file (relative to files/); throws the deploy refusal (message, elementId). */
  deploy(file: string): Promise<void>;
  start(key: string, variables: Vars, opts: { businessKey?: string; initiator?: string }): Promise<number>;
  startByMessage(name: string, variables: Vars, businessKey?: string): Promise<number>;
  startBySignal(name: string, variables: Vars): Promise<number>;
  completeTask(activityId: string, variables: Vars): Promise<void>;
  trigger(activityId: string, variables: Vars): Promise<void>;
  correlate(name: string, variables: Vars, businessKey?: string): Promise<void>;
  signal(name: string, variables: Vars): Promise<void>;
  completeExternal(topic: string, variables: Vars): Promise<void>;
  /** Moves the fake clock (ISO 8601 duration) and runs one pass of the timer scheduler. */
  advanceClock(by: string): Promise<void>;
  advanceClockTo(isoDateTime: string): Promise<void>;
  /** Drops every in-memory part (runtime, definitions cache) and recovers from storage. */
  restart(): Promise<void>;
  openTasks(): Promise<OpenTask[]>;
  /** Activity ids of open waits that are not user tasks or timers (trigger, message, signal, external). */
  waits(): Promise<string[]>;
  instance(id: number): Promise<InstanceView>;
  /** Activity ids the instance passed, in order. */
  passed(id: number): Promise<string[]>;
  close(): Promise<void>;
}

const ADMIN: Principal = { component: 'managed/user', id: 'openidm-admin', userName: 'openidm-admin', roles: ['openidm-admin'] };

/**
 * The databases the cases run on. SQLite: a fresh in-memory database per case (migrating one takes
 * milliseconds). PostgreSQL: one schema per test file, migrated once and emptied before each case
 * (migrating a schema per case would cost a second each).
 */
export class CaseDatabases {
  private constructor(
    private readonly shared: Db | undefined,
    private readonly schema: string | undefined,
  ) {}

  static async open(): Promise<CaseDatabases> {
    const url = process.env.DATABASE_URL;
    if (!url || !isPostgresUrl(url)) return new CaseDatabases(undefined, undefined);
    const schema = `conf_${crypto.randomBytes(6).toString('hex')}`;
    const db = openDb({ url, schema, projectDir: process.cwd() });
    await migrate(db, schema);
    return new CaseDatabases(db, schema);
  }

  async forCase(): Promise<Db> {
    if (!this.shared) {
      const db = openDb({ url: ':memory:', projectDir: process.cwd() });
      await migrate(db);
      return db;
    }
    const tables = (await this.shared.knex('information_schema.tables')
      .where({ table_schema: this.schema, table_type: 'BASE TABLE' })
      .whereNot('table_name', 'like', 'knex_migrations%')
      .select('table_name')) as { table_name: string }[];
    if (tables.length) {
      await this.shared.knex.raw(`TRUNCATE ${tables.map(() => '??').join(', ')} RESTART IDENTITY CASCADE`, tables.map((t) => t.table_name));
    }
    return this.shared;
  }

  async release(db: Db): Promise<void> {
    if (db !== this.shared) await db.knex.destroy();
  }

  async close(): Promise<void> {
    if (!this.shared) return;
    await this.shared.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [this.schema as string]);
    await this.shared.knex.destroy();
  }
}

export class KitDriver implements ConformanceDriver {
  private kit: ProcessTestKit;

  private constructor(
    private readonly db: Db,
    private readonly clock: FakeClock,
    private readonly dbs: CaseDatabases,
  ) {
    this.kit = new ProcessTestKit(db, clock, { baseDir: FILES_DIR });
  }

  static async create(dbs: CaseDatabases, now: string): Promise<KitDriver> {
    return new KitDriver(await dbs.forCase(), new FakeClock(now), dbs);
  }

  async deploy(file: string): Promise<void> {
    await this.kit.deploy(file);
  }

  async start(key: string, variables: Vars, opts: { businessKey?: string; initiator?: string }): Promise<number> {
    const p = await this.kit.start(key, variables, { businessKey: opts.businessKey, startUserId: opts.initiator });
    return p.id;
  }

  async startByMessage(name: string, variables: Vars, businessKey?: string): Promise<number> {
    const started = (await this.kit.message(name, { processVariables: variables, businessKey })).filter((c) => c.started);
    if (started.length !== 1) throw new Error(`message "${name}" started ${started.length} instances, expected one`);
    return started[0].processInstanceId;
  }

  async startBySignal(name: string, variables: Vars): Promise<number> {
    const { started } = await this.kit.signal(name, variables);
    if (started.length !== 1) throw new Error(`signal "${name}" started ${started.length} instances, expected one`);
    return started[0];
  }

  async completeTask(activityId: string, variables: Vars): Promise<void> {
    const open = await this.kit.tasks({ taskDefinitionKey: activityId });
    if (!open.length) throw new Error(`no open task "${activityId}"`);
    // kit.tasks lists oldest first; as an administrator, who may complete any task.
    await this.kit.runtime.complete(open[0].id, variables, ADMIN);
    await this.kit.runCallReturns();
  }

  async trigger(activityId: string, variables: Vars): Promise<void> {
    const owners = [...new Set((await this.allWaits()).filter((w) => w.activityId === activityId).map((w) => w.processInstanceId))];
    if (owners.length !== 1) throw new Error(`${owners.length} instances wait at "${activityId}", expected one`);
    await this.kit.instance(owners[0]).trigger(activityId, variables);
  }

  async correlate(name: string, variables: Vars, businessKey?: string): Promise<void> {
    await this.kit.message(name, { processVariables: variables, businessKey });
  }

  async signal(name: string, variables: Vars): Promise<void> {
    await this.kit.signal(name, variables);
  }

  async completeExternal(topic: string, variables: Vars): Promise<void> {
    // The oldest external task of the topic, in any instance of the case (fetchAndLock's order).
    const open = (await this.kit.runtime.externalTasks.query({ offset: 0, limit: 1000 })).filter((t) => t.topicName === topic);
    if (!open.length) throw new Error(`no open external task of topic "${topic}"`);
    await this.kit.instance(open[0].processInstanceId).completeExternal(open[0].activityId, variables);
  }

  async advanceClock(by: string): Promise<void> {
    this.clock.advance(by);
    await this.kit.fireTimers();
  }

  async advanceClockTo(isoDateTime: string): Promise<void> {
    this.clock.set(isoDateTime);
    await this.kit.fireTimers();
  }

  async restart(): Promise<void> {
    await this.kit.runtime.close();
    this.kit = new ProcessTestKit(this.db, this.clock, { baseDir: FILES_DIR });
  }

  async openTasks(): Promise<OpenTask[]> {
    return (await this.kit.tasks()).map((t) => ({
      activityId: t.taskDefinitionKey,
      name: t.name,
      assignee: t.assignee,
      candidateUsers: t.candidateUsers,
      candidateGroups: t.candidateGroups,
      priority: t.priority,
      processInstanceId: t.processInstanceId,
    }));
  }

  private async allWaits(): Promise<WaitingSubscription[]> {
    return this.kit.runtime.waitingExecutions({ offset: 0 });
  }

  async waits(): Promise<string[]> {
    const external = await this.kit.runtime.externalTasks.query({ offset: 0, limit: 1000 });
    return [...(await this.allWaits()).map((w) => w.activityId), ...external.map((t) => t.activityId)];
  }

  async instance(id: number): Promise<InstanceView> {
    const i = await this.kit.instance(id).instance();
    return { status: i.status, endActivityId: i.endActivityId, businessKey: i.businessKey, variables: i.variables, error: i.error };
  }

  async passed(id: number): Promise<string[]> {
    return this.kit.instance(id).passed();
  }

  async close(): Promise<void> {
    await this.kit.runtime.close();
    await this.dbs.release(this.db);
  }
}
