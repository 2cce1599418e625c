// Configuration changed while the server runs: PUT, DELETE and create of /openidm/config/<name>,
// as OpenIDM's ConfigObjectService (openidm-config, org.forgerock.openidm.config.manage) does them.
// A document is checked exactly as start-up checks its file (the conf schema, then the room's
// validator, then the object's own preparation), stored in the repository (src/repo/config.ts,
// one row per object with a version) and applied. Every node of a cluster shares the repository:
// at start a stored document replaces its conf file (server.ts), and running nodes apply a newer
// version when they poll (POLL_MS). Only objects registered here change at run time; any other
// answers 501 saying a restart is needed, never a 2xx that changes nothing.
import { Logger } from '../context';
import { InvalidInput, NotFound, NotSupported, Conflict, PreconditionFailed } from '../errors';
import { errorMessage } from '../log';
import { Db } from '../repo/db';
import { readStoredConfig, storedConfigVersions, StoredConfig, writeStoredConfig } from '../repo/config';
import { ConfigError, ConfValidator, ProjectConfig, validateConfDocument } from './conf';
import { PropertyResolver } from './properties';

/** How often a node looks for objects another node changed. */
export const POLL_MS = 2_000;

/**
 * An object that can change at run time. prepare() checks what the generic validation cannot
 * (throws ConfigError, InvalidInput or NotSupported) and returns the change to make; it must not
 * change anything itself. `json` is null when the object is deleted.
 */
export interface LiveObject {
  prepare(file: string, json: unknown | null, from: 'request' | 'poll'): Promise<() => Promise<void> | void>;
}

/** `sync` → sync.json, `schedule/nightly` → schedule-nightly.json (OpenIDM's JSONConfigInstaller naming). */
export function fileOfId(id: string): string {
  const parts = id.split('/');
  const ok = (p: string) => /^[A-Za-z0-9][A-Za-z0-9_.@]*$/.test(p) || false;
  if (parts.length === 1 && ok(parts[0])) return `${parts[0]}.json`;
  if (parts.length === 2 && ok(parts[0]) && /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,254}$/.test(parts[1])) return `${parts[0]}-${parts[1]}.json`;
  // ConfigObjectService's ParsedId: "The passed resourcePath has more than two parts", or a name it cannot hold.
  throw new InvalidInput(`The configuration id ${id.slice(0, 200)} is not <name> or <factoryPid>/<alias> (letters, digits, _ . @; an alias may hold -)`);
}

export interface ConfigChange {
  id: string;
  version: number;
  created: boolean;
  /** As stored (before: what was deleted). */
  document: Record<string, unknown>;
}

export interface LiveConfigDeps {
  db: Db;
  log: Logger;
  config: ProjectConfig;
  validators: Record<string, ConfValidator>;
  env?: NodeJS.ProcessEnv;
}

export class LiveConfig {
  private objects: Array<{ match: RegExp; object: LiveObject; id: string }> = [];
  /** The version applied on this node, per file (absent: the conf file, version 0). */
  private applied = new Map<string, number>();
  /** One change at a time on this node (requests and polls), so that versions apply in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private lastPollError = '';

  constructor(private deps: LiveConfigDeps) {}

  /** Objects whose file name matches change at run time through `object`; `id` names them in errors (config/<id>). */
  register(match: RegExp, object: LiveObject, id: string): void {
    this.objects.push({ match, object, id });
  }

  /** The versions the start applied (server.ts read them before the configuration was loaded). */
  startedWith(rows: StoredConfig[]): void {
    for (const r of rows) this.applied.set(`${r.name}.json`, r.version);
  }

  /** The version of an object on this node: 0 for its conf file, else the stored version applied. */
  versionOf(file: string): number {
    return this.applied.get(file) ?? 0;
  }

  private liveObject(file: string, id: string): LiveObject {
    const found = this.objects.find((o) => o.match.test(file));
    if (!found) {
      throw new NotSupported(
        `config/${id} cannot change while the server runs (reconflow reads it at start only): edit conf/${file} and restart every node. ` +
          `Objects that change at run time: ${this.objects.map((o) => `config/${o.id}`).join(', ')}`,
      );
    }
    return found.object;
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * PUT config/<id> (create or replace; `createOnly`: If-None-Match: * or _action=create, 412 when
   * it exists; `ifMatch`: the revision expected, 412 when it differs).
   */
  put(id: string, document: unknown, by: string | null, o: { createOnly?: boolean; ifMatch?: string } = {}): Promise<ConfigChange> {
    const file = fileOfId(id);
    if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new InvalidInput(`Invalid configuration provided for ${id}: the body must be a JSON object`);
    // ConfigObjectService.update strips _id and _rev before storing.
    const { _id, _rev, ...doc } = document as Record<string, unknown>;
    void _id;
    void _rev;
    const object = this.liveObject(file, id);
    return this.serially(async () => {
      const exists = this.deps.config.written[file] !== undefined;
      if (o.createOnly && exists) throw new PreconditionFailed(`Can not create a new configuration with ID ${id}, configuration for this ID already exists.`);
      this.checkRevision(file, id, exists, o.ifMatch);
      const apply = await this.check(file, id, doc, object, 'request');
      const version = await this.store(file, id, doc, by);
      await this.commit(file, doc, version, apply);
      this.deps.log.info(`config/${id} version ${version} stored and applied (by ${by ?? 'unknown'})`);
      return { id, version, created: !exists, document: doc };
    });
  }

  /** DELETE config/<id>: the object is gone on every node (and stays gone at restart, whatever conf/ holds). */
  remove(id: string, by: string | null, o: { ifMatch?: string } = {}): Promise<ConfigChange> {
    const file = fileOfId(id);
    const object = this.liveObject(file, id);
    return this.serially(async () => {
      const before = this.deps.config.written[file];
      if (before === undefined) throw new NotFound(`No existing configuration found for ${id}, can not delete the configuration.`);
      this.checkRevision(file, id, true, o.ifMatch);
      const apply = await this.check(file, id, null, object, 'request');
      const version = await this.store(file, id, null, by);
      await this.commit(file, null, version, apply);
      this.deps.log.info(`config/${id} deleted (version ${version}, by ${by ?? 'unknown'})`);
      return { id, version, created: false, document: before as Record<string, unknown> };
    });
  }

  private checkRevision(file: string, id: string, exists: boolean, ifMatch: string | undefined): void {
    if (ifMatch === undefined || ifMatch === '*') {
      if (ifMatch === '*' && !exists) throw new NotFound(`No existing configuration found for ${id}`);
      return;
    }
    if (String(this.versionOf(file)) !== ifMatch) throw new PreconditionFailed(`config/${id} is at revision ${this.versionOf(file)}, not ${ifMatch.slice(0, 40)}`);
  }

  /** What start-up would say of this document, then the object's own checks. ConfigError → 400 naming the key. */
  private async check(file: string, id: string, doc: Record<string, unknown> | null, object: LiveObject, from: 'request' | 'poll') {
    try {
      let resolved: unknown = null;
      if (doc !== null) {
        resolved = new PropertyResolver({ projectDir: this.deps.config.dir, env: this.deps.env }).substitute(doc, file);
        const warning = validateConfDocument(file, resolved, this.deps.validators, this.deps.config.dir);
        if (warning) this.deps.log.warn(warning);
      }
      const apply = await object.prepare(file, resolved, from);
      return { apply, resolved };
    } catch (e) {
      if (e instanceof ConfigError) throw new InvalidInput(`Invalid configuration provided for ${id}: ${e.message}`);
      throw e;
    }
  }

  private async store(file: string, id: string, doc: Record<string, unknown> | null, by: string | null): Promise<number> {
    const name = file.replace(/\.json$/, '');
    const current = await readStoredConfig(this.deps.db.knex, name);
    const expected = current?.version ?? 0;
    // Another node changed it and this node has not applied that yet: the caller read an old revision.
    if (expected !== this.versionOf(file)) throw new Conflict(`config/${id} was changed on another node (version ${expected}); try again in a few seconds`);
    const version = await writeStoredConfig(this.deps.db.knex, name, expected, doc, by);
    if (version === null) throw new Conflict(`config/${id} changed concurrently; try again`);
    return version;
  }

  private async commit(file: string, doc: Record<string, unknown> | null, version: number, prepared: { apply: () => Promise<void> | void; resolved: unknown }): Promise<void> {
    await prepared.apply();
    const cfg = this.deps.config;
    if (doc === null) {
      delete cfg.written[file];
      delete cfg.raw[file];
    } else {
      cfg.written[file] = doc;
      cfg.raw[file] = prepared.resolved;
    }
    this.applied.set(file, version);
  }

  /** Applies what other nodes stored since this node last looked. */
  poll(): Promise<void> {
    return this.serially(async () => {
      const versions = await storedConfigVersions(this.deps.db.knex);
      // sync first: a schedule stored with it may name one of its new mappings.
      const names = [...versions.keys()].sort((a, b) => Number(b === 'sync') - Number(a === 'sync') || a.localeCompare(b));
      for (const name of names) {
        const version = versions.get(name)!;
        const file = `${name}.json`;
        if (version <= this.versionOf(file)) continue;
        const row = await readStoredConfig(this.deps.db.knex, name);
        if (!row) continue;
        const id = name.includes('-') ? name.replace('-', '/') : name;
        try {
          const object = this.liveObject(file, id);
          const prepared = await this.check(file, id, row.document, object, 'poll');
          await this.commit(file, row.document, row.version, prepared);
          this.deps.log.info(`config/${id} version ${row.version}, stored by ${row.updatedBy ?? 'another node'}, applied on this node`);
        } catch (e) {
          // Not applied here (e.g. metrics turned on where they were off at start): said once per version.
          this.applied.set(file, row.version);
          this.deps.log.error(`config/${id} version ${row.version} cannot be applied on this node; restart it to apply: ${errorMessage(e)}`);
        }
      }
    });
  }

  startPolling(): void {
    const loop = () => {
      this.timer = setTimeout(() => {
        void this.poll()
          .then(() => (this.lastPollError = ''))
          .catch((e) => {
            const msg = errorMessage(e);
            if (msg !== this.lastPollError) this.deps.log.warn(`config polling: ${msg}`);
            this.lastPollError = msg;
          })
          .finally(() => {
            if (this.timer) loop();
          });
      }, POLL_MS);
      this.timer.unref();
    };
    loop();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.queue;
  }
}
