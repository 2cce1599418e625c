// Deployment: every processes/*.bpmn and *.bpmn20.xml becomes a stored definition version.
// Each version is parsed once per process and its reusable context kept in memory.
import { groovyHost } from '../scripts/groovyHost';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { Logger } from '../context';
import { Conflict, NotFound } from '../errors';
import { Db } from '../repo/db';
import { isUniqueViolation, Q } from '../repo/dialect';
import * as repo from '../repo/processDefinitions';
import { deleteSubscriptionsOfDefinition } from '../repo/eventSubscriptions';
import { activeDefinitionIds, countActiveInstancesOf } from '../repo/processInstances';
import * as templates from '../repo/workflowTemplates';
import { CONTINUE_TOPIC } from './asyncBoundaries';
import { CALL_RETURN_TOPIC, checkCalledKeys, deploymentOrder } from './calledInstances';
import { parseDefinition, saveStartTemplate, useTemplateStore, type TemplateStore } from './engine';
import { DefinitionError, ParsedDefinition } from './interfaces';
import { storeStartSubscriptions } from './subscriptions';
import { readProcessFile } from './scriptResources';
import { readBarArchive } from './barArchive';
import { decodeXml } from './xmlEncoding';

export interface LoadedDefinition {
  row: repo.DefinitionRow;
  parsed: ParsedDefinition;
}

/**
 * The process folder holds a file that cannot be deployed: the server does not start with a process
 * it cannot run (an approval would never be asked, or would fail in front of an approver).
 */
export class ProcessFolderRefused extends Error {
  constructor(dir: string, failed: DeployReport['failed']) {
    super(
      `${failed.length} file(s) in ${dir} cannot be deployed: ${failed.map((f) => `${f.file}: ${f.reason}`).join('; ')}. ` +
        'Fix the file (docs/modeling.md lists what runs) or move it out of the process folder, then start again',
    );
    this.name = 'ProcessFolderRefused';
  }
}

export interface DeployReport {
  deployed: repo.DefinitionRow[];
  unchanged: string[];
  failed: { file: string; reason: string; elementId?: string }[];
}

/**
 * Another node moved a folder file's record, or (SQLite, another process) wrote after this
 * transaction's snapshot: the deployment runs again and sees what the other node did.
 */
class LostRace extends Error {}
const isLostRace = (e: unknown) => e instanceof LostRace || /^SQLITE_BUSY/.test(String((e as { code?: unknown } | null)?.code ?? ''));

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

export const isProcessFile = (f: string) => f.endsWith('.bpmn') || f.endsWith('.bpmn20.xml');
/** A business archive (IDM's workflow/*.bar): its process files deploy as `<archive>/<entry>`. */
export const isBarArchive = (f: string) => f.endsWith('.bar');
export const isDeployable = (f: string) => isProcessFile(f) || isBarArchive(f);

export class Definitions {
  private cache = new Map<string, Promise<LoadedDefinition>>();
  /**
   * Whether asynchronous continuations (camunda:asyncBefore, …) may be deployed: only where the
   * job worker runs WorkflowRuntime.continueJob under CONTINUE_TOPIC (wiring sets this with it).
   */
  asyncContinuations = false;
  /**
   * Whether call activities may be deployed: only where the job worker runs
   * WorkflowRuntime.callReturnJob under CALL_RETURN_TOPIC (a caller would wait for ever otherwise).
   */
  callActivities = false;

  constructor(private db: Db, private log: Logger) {}

  /** Parses a file and refuses what cannot run here (a version stored before these checks still loads: get()). */
  private async runnable(xml: string, resourceName: string, pendingKeys?: ReadonlySet<string>): Promise<ParsedDefinition> {
    const parsed = await parseDefinition(xml, resourceName);
    if (parsed.unrunnable) throw parsed.unrunnable;
    const async = parsed.asyncActivities?.[0];
    if (async && !this.asyncContinuations) {
      throw new DefinitionError(
        `Cannot deploy ${resourceName}: "${async.id}" has ${async.attribute}="true", and this server runs no ${CONTINUE_TOPIC} job handler to continue it; remove the attribute`,
        async.id,
      );
    }
    const call = parsed.calledElements?.[0];
    if (call && !this.callActivities) {
      throw new DefinitionError(`Cannot deploy ${resourceName}: callActivity "${call.activityId}" needs the ${CALL_RETURN_TOPIC} job handler, which this server does not run`, call.activityId);
    }
    await checkCalledKeys(this.db.knex, parsed, resourceName, pendingKeys);
    for (const g of parsed.groovySources ?? []) {
      const error = await groovyHost().compile(g.what, g.source);
      if (error) throw new DefinitionError(`Cannot deploy ${resourceName}: ${g.what} is not valid Groovy: ${error}`, g.elementId);
    }
    return parsed;
  }

  /** One deployment transaction, again when another node deployed at the same moment (unique key, version, seq or file). */
  private async retrying<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.knex.transaction(fn);
      } catch (e) {
        if ((isUniqueViolation(e) || isLostRace(e)) && attempt < 5) continue;
        throw e;
      }
    }
  }

  private async insertVersion(trx: Knex.Transaction, parsed: ParsedDefinition, xml: string, hash: string, resourceName: string): Promise<repo.DefinitionRow> {
    const row = await repo.insertDefinitionVersion(trx, {
      key: parsed.key, name: parsed.name, category: parsed.category ?? null, resourceName, hash, xml,
    });
    // A message or signal start event starts the latest version of its key (see eventSubscriptions).
    await storeStartSubscriptions(trx, row, parsed);
    useTemplateStore(parsed, this.templateStore(row.id));
    // Cached once committed: a rolled-back insert (a lost race) must not leave its id behind.
    trx.executionPromise.then(() => this.cache.set(row.id, Promise.resolve({ row, parsed })), () => undefined);
    return row;
  }

  /**
   * An explicit deployment (REST, the kit): a new version of the key unless its latest version has
   * the same content. `resourceName` names the version's lineage; naming a file of the process folder
   * makes the upload the newest of that file's lineage (docs/modeling.md, Versions).
   */
  async deployXml(xml: string, resourceName: string): Promise<{ row: repo.DefinitionRow; created: boolean }> {
    const parsed = await this.runnable(xml, resourceName);
    const hash = sha256(xml);
    return this.retrying(async (trx) => {
      const latest = await repo.latestDefinition(trx, parsed.key);
      if (latest && latest.hash === hash) {
        // Idempotent: also records the start events of a version deployed before subscriptions existed.
        await storeStartSubscriptions(trx, latest, parsed);
        return { row: latest, created: false };
      }
      return { row: await this.insertVersion(trx, parsed, xml, hash, resourceName), created: true };
    });
  }

  /**
   * A file of the process folder (at start, and by the watch), deployed as Camunda's duplicate
   * filtering does, by file: only when its content changed since the folder last held it
   * (process_folder_file), so a restart never supersedes a version deployed over REST. A changed
   * file that equals the newest version of its lineage (its resource name, from the folder or an
   * upload naming it) or of its key is recorded without a new version.
   */
  async deployFile(xml: string, file: string, batch: { pendingKeys?: ReadonlySet<string> } = {}): Promise<{ row: repo.DefinitionRow; created: boolean }> {
    const parsed = await this.runnable(xml, file, batch.pendingKeys);
    const hash = sha256(xml);
    return this.retrying(async (trx) => {
      const seen = await repo.readFolderFile(trx, file);
      // A version deleted since (DELETE …/processdefinition/{id}) comes back from its file.
      const seenRow = seen && seen.hash === hash ? await repo.readDefinition(trx, seen.definitionId) : null;
      if (seenRow) {
        await storeStartSubscriptions(trx, seenRow, parsed);
        return { row: seenRow, created: false };
      }
      const lineage = await repo.latestDefinitionOfResource(trx, file);
      const latest = await repo.latestDefinition(trx, parsed.key);
      const same = [lineage, latest].find((r) => r && r.hash === hash && r.key === parsed.key);
      if (same) await storeStartSubscriptions(trx, same, parsed);
      const row = same ?? (await this.insertVersion(trx, parsed, xml, hash, file));
      const record = { resourceName: file, hash, definitionId: row.id, readAt: new Date().toISOString() };
      if (!seen) await repo.insertFolderFile(trx, record);
      else if (!(await repo.updateFolderFile(trx, record, seen.hash))) throw new LostRace(`${file} was deployed concurrently by another node`);
      return { row, created: !same };
    });
  }

  async deployDirectory(dir: string): Promise<DeployReport> {
    const report: DeployReport = { deployed: [], unchanged: [], failed: [] };
    if (!fs.existsSync(dir)) return report;
    // Decoded by their declared encoding, script resources inlined (scriptResources.ts). An archive's
    // process files keep the archive in their name (their lineage); its script resources are not
    // inlined (a resource script left unresolved is refused at deploy, naming its element).
    const files: { file: string; xml: string }[] = [];
    for (const name of fs.readdirSync(dir).filter(isDeployable).sort()) {
      if (isProcessFile(name)) {
        files.push({ file: name, xml: readProcessFile(path.join(dir, name)) });
        continue;
      }
      try {
        const { entries, skipped } = await readBarArchive(path.join(dir, name), isProcessFile);
        if (skipped.length) this.log.warn(`${name}: entries not deployed (only *.bpmn and *.bpmn20.xml are): ${skipped.join(', ')}`);
        if (!entries.length) throw new DefinitionError(`Cannot deploy ${name}: the archive holds no process file (*.bpmn, *.bpmn20.xml)`);
        for (const e of entries) files.push({ file: `${name}/${e.name}`, xml: decodeXml(e.bytes, ` ${name}/${e.name}`) });
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        report.failed.push({ file: name, reason });
        this.log.error(`cannot deploy ${name}: ${reason}`);
      }
    }
    // Called processes first; a caller may name a key another file of this folder is still to deploy.
    const ordered = await deploymentOrder(files);
    const pendingKeys = new Set(ordered.map((f) => f.key).filter((k): k is string => !!k));
    for (const { file, xml, key } of ordered) {
      try {
        const { row, created } = await this.deployFile(xml, file, { pendingKeys });
        if (created) {
          report.deployed.push(row);
          this.log.info(`deployed ${file} as ${row.id}`);
        } else report.unchanged.push(file);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        const elementId = e instanceof DefinitionError ? e.elementId : undefined;
        report.failed.push({ file, reason, elementId });
        this.log.error(`cannot deploy ${file}: ${reason}`);
      } finally {
        // Deployed (the repository has it now) or refused (its callers must be too).
        if (key) pendingKeys.delete(key);
      }
    }
    return report;
  }

  /** A definition version with its parsed context; parsed lazily from the stored XML. */
  get(id: string, q: Q = this.db.knex): Promise<LoadedDefinition> {
    let p = this.cache.get(id);
    if (!p) {
      p = (async () => {
        const row = await repo.readDefinition(q, id);
        if (!row) throw new NotFound(`Process definition ${id} not found`);
        const parsed = await parseDefinition(row.xml, row.resourceName ?? undefined);
        // The templates stored references name: they expand by these, whichever engine is installed.
        useTemplateStore(parsed, this.templateStore(id), await templates.templatesOfDefinition(q, id));
        return { row, parsed };
      })();
      this.cache.set(id, p);
      p.catch(() => this.cache.delete(id));
    }
    return p;
  }

  /** The repository as the engine layer's template store of one definition version. */
  private templateStore(definitionId: string): TemplateStore {
    const knex = this.db.knex;
    return {
      save: (r) => templates.insertTemplateIfAbsent(knex, { definitionId, fingerprint: r.fingerprint, body: r.body }),
      load: async (fingerprint) => (await templates.readTemplate(knex, definitionId, fingerprint)) ?? undefined,
    };
  }

  /**
   * Stores the start template of every definition version that active instances run on. Instances
   * started before templates were stored refer to the template the installed engine builds: storing
   * it now, before any engine upgrade, keeps them loadable after one. Run at server start.
   */
  async storeTemplatesOfActiveDefinitions(): Promise<number> {
    let stored = 0;
    for (const id of await activeDefinitionIds(this.db.knex)) {
      try {
        if (await saveStartTemplate((await this.get(id)).parsed)) stored++;
      } catch (e) {
        this.log.error(`cannot store the start template of ${id}`, e);
      }
    }
    return stored;
  }

  async latest(key: string, q: Q = this.db.knex): Promise<LoadedDefinition> {
    const row = await repo.latestDefinition(q, key);
    if (!row) throw new NotFound(`No process definition with key ${key}`);
    return this.get(row.id, q);
  }

  /**
   * Loads the latest version of `key` and stores its start template now, outside any caller's
   * transaction (the template store writes through its own connection; SQLite has only one).
   */
  async prepareStarts(key: string): Promise<void> {
    await saveStartTemplate((await this.latest(key)).parsed);
  }

  /** The same definitions, read through `q` (a caller's transaction: SQLite has one connection, which that holds). */
  within(q: Q): Definitions {
    const self = this;
    return Object.create(this, {
      latest: { value: (key: string) => self.latest(key, q) },
      get: { value: (id: string) => self.get(id, q) },
    }) as Definitions;
  }

  list(withXml = false): Promise<repo.DefinitionRow[]> {
    return repo.listDefinitions(this.db.knex, withXml);
  }

  /** Refuses while instances of that version still run. */
  async remove(id: string): Promise<repo.DefinitionRow> {
    return this.db.knex.transaction(async (trx) => {
      const row = await repo.readDefinition(trx, id);
      if (!row) throw new NotFound(`Process definition ${id} not found`);
      const running = await countActiveInstancesOf(trx, id);
      if (running > 0) throw new Conflict(`Process definition ${id} has ${running} running instance(s)`);
      await templates.deleteTemplatesOfDefinition(trx, id);
      await repo.deleteDefinition(trx, id);
      await deleteSubscriptionsOfDefinition(trx, id);
      this.cache.delete(id);
      return row;
    });
  }
}
