// Deployment: every processes/*.bpmn and *.bpmn20.xml becomes a stored definition version.
// Each version is parsed once per process and its reusable context kept in memory.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Logger } from '../context';
import { Conflict, NotFound } from '../errors';
import { Db } from '../repo/db';
import { isUniqueViolation, Q } from '../repo/dialect';
import * as repo from '../repo/processDefinitions';
import { countActiveInstancesOf } from '../repo/processInstances';
import { CONTINUE_TOPIC } from './asyncBoundaries';
import { parseDefinition } from './engine';
import { DefinitionError, ParsedDefinition } from './interfaces';
import { readProcessFile } from './scriptResources';

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

export const isProcessFile = (f: string) => f.endsWith('.bpmn') || f.endsWith('.bpmn20.xml');

export class Definitions {
  private cache = new Map<string, Promise<LoadedDefinition>>();
  /**
   * Whether asynchronous continuations (camunda:asyncBefore, …) may be deployed: only where the
   * job worker runs WorkflowRuntime.continueJob under CONTINUE_TOPIC (wiring sets this with it).
   */
  asyncContinuations = false;

  constructor(private db: Db, private log: Logger) {}

  /** Parses and stores a new version unless the latest version of that key has the same content. */
  async deployXml(xml: string, resourceName: string): Promise<{ row: repo.DefinitionRow; created: boolean }> {
    const parsed = await parseDefinition(xml, resourceName);
    // Never deploy what cannot run (a version stored before this check still loads: get()).
    if (parsed.unrunnable) throw parsed.unrunnable;
    const async = parsed.asyncActivities?.[0];
    if (async && !this.asyncContinuations) {
      throw new DefinitionError(
        `Cannot deploy ${resourceName}: "${async.id}" has ${async.attribute}="true", and this server runs no ${CONTINUE_TOPIC} job handler to continue it; remove the attribute`,
        async.id,
      );
    }
    const hash = crypto.createHash('sha256').update(xml).digest('hex');
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.knex.transaction(async (trx) => {
          const latest = await repo.latestDefinition(trx, parsed.key);
          if (latest && latest.hash === hash) return { row: latest, created: false };
          const row = await repo.insertDefinitionVersion(trx, {
            key: parsed.key, name: parsed.name, category: parsed.category ?? null, resourceName, hash, xml,
          });
          this.cache.set(row.id, Promise.resolve({ row, parsed }));
          return { row, created: true };
        });
      } catch (e) {
        // Another node deployed the same file at the same moment: look again.
        if (isUniqueViolation(e) && attempt < 5) continue;
        throw e;
      }
    }
  }

  async deployDirectory(dir: string): Promise<DeployReport> {
    const report: DeployReport = { deployed: [], unchanged: [], failed: [] };
    if (!fs.existsSync(dir)) return report;
    for (const file of fs.readdirSync(dir).filter(isProcessFile).sort()) {
      try {
        const { row, created } = await this.deployXml(readProcessFile(path.join(dir, file)), file);
        if (created) {
          report.deployed.push(row);
          this.log.info(`deployed ${file} as ${row.id}`);
        } else report.unchanged.push(file);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        const elementId = e instanceof DefinitionError ? e.elementId : undefined;
        report.failed.push({ file, reason, elementId });
        this.log.error(`cannot deploy ${file}: ${reason}`);
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
        return { row, parsed: await parseDefinition(row.xml, row.resourceName ?? undefined) };
      })();
      this.cache.set(id, p);
      p.catch(() => this.cache.delete(id));
    }
    return p;
  }

  async latest(key: string): Promise<LoadedDefinition> {
    const row = await repo.latestDefinition(this.db.knex, key);
    if (!row) throw new NotFound(`No process definition with key ${key}`);
    return this.get(row.id);
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
      await repo.deleteDefinition(trx, id);
      this.cache.delete(id);
      return row;
    });
  }
}
