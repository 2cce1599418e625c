// managed/user: schema defaults, password hashing, private fields, revisions and preconditions.
// Callers pass a Q (database or transaction) so that recon and jobs can create users inside
// their own transactions.
import crypto from 'node:crypto';
import { hashPassword } from '../auth/passwords';
import { passwordFailures, failedPolicy } from '../auth/passwordPolicy';
import { checkProperty, hasPolicy, mergeFailures, PolicyFailure } from './policies';
import { ManagedObjectConfig, ManagedPropertySchema, PasswordPolicyConfig } from '../config/conf';
import { Conflict, InvalidInput, NotFound, PreconditionFailed } from '../errors';
import { FieldList, names, project } from '../crest/fields';
import type { QueryRequest } from '../crest/query';
import { newRev } from '../crest/rev';
import { isUniqueViolation, Q } from '../repo/dialect';
import * as repo from '../repo/managedUsers';

export type ManagedUser = Record<string, unknown> & { _id: string; _rev: string };

/**
 * OpenIDM's rule for managed-object ids: any UTF-8 text except "/" (the resource path separator)
 * and control characters, at most 255 characters (the objectid VARCHAR(255) of IDM's repository
 * tables). "." and ".." are refused too: no URL can address them (clients normalize them away).
 */
export const MAX_ID_LENGTH = 255;
const FORBIDDEN_ID_CHARS = /[/\u0000-\u001f\u007f-\u009f]/;
/** Properties kept in varchar(255) columns as well as in obj (src/repo/managedUsers.ts). */
const COLUMN_PROPERTIES = new Set(['userName', 'givenName', 'sn', 'mail', 'accountStatus']);
const COLUMN_MAX = 255;

/** Why `id` cannot be a managed-object id, or null when it can. */
export function idProblem(id: string): string | null {
  const length = [...id].length;
  const ok =
    length >= 1 && length <= MAX_ID_LENGTH && !FORBIDDEN_ID_CHARS.test(id) && id !== '.' && id !== '..' && (id as string & { isWellFormed(): boolean }).isWellFormed();
  if (ok) return null;
  return `Invalid identifier ${JSON.stringify(id.slice(0, 64))}${length > 64 ? '…' : ''} (${length} characters): an id is 1-${MAX_ID_LENGTH} characters of UTF-8 text other than "/" and control characters, and not "." or ".."`;
}

export function assertValidId(id: string): void {
  const problem = idProblem(id);
  if (problem) throw new InvalidInput(problem);
}

export class ManagedUsers {
  private props: Record<string, ManagedPropertySchema>;
  /** IDM's schema.required. */
  private requiredList: string[];

  constructor(schema: ManagedObjectConfig | undefined, private passwordPolicy: PasswordPolicyConfig = { minLength: 8, notUserName: true }) {
    this.props = schema?.schema.properties ?? {};
    this.requiredList = schema?.schema.required ?? [];
  }

  private isPrivate(name: string): boolean {
    const p = this.props[name];
    return !!p && (p.scope === 'private' || p.encryption !== undefined || p.secureHash !== undefined || name === 'password');
  }

  /** What a caller sees: never the password; fields not returned by default only when asked for. */
  present(row: repo.ManagedUserRow, fields: FieldList = null): ManagedUser {
    const out: Record<string, unknown> = { _id: row.id, _rev: row.rev };
    for (const [k, v] of Object.entries(row.obj)) {
      if (this.isPrivate(k)) continue;
      if (this.props[k]?.returnByDefault === false && !names(fields, k)) continue;
      out[k] = v;
    }
    return project(out, fields) as ManagedUser;
  }

  /**
   * Why `body` could not be created as managed/user/`id` (id rules, required fields, types and
   * lengths), or null when it could: what a recon checks before it asks for an approval.
   */
  problemCreating(body: Record<string, unknown>, id: string | undefined): string | null {
    if (id !== undefined) {
      const problem = idProblem(id);
      if (problem) return problem;
    }
    try {
      this.policyFailures(this.withDefaults(body), []);
      return null;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  private withDefaults(body: Record<string, unknown>): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) {
      if (k === '_id' || k === '_rev' || k === 'password') continue;
      if (k.startsWith('_')) throw new InvalidInput(`Field ${k} is reserved`);
      obj[k] = v;
    }
    for (const [k, p] of Object.entries(this.props)) {
      if (obj[k] === undefined && p.default !== undefined && !this.isPrivate(k)) obj[k] = JSON.parse(JSON.stringify(p.default));
    }
    return obj;
  }

  /** The schema's policies on obj (src/managed/policies.ts); throws IDM's 403 when obj (or `more`) breaks one. */
  private policyFailures(obj: Record<string, unknown>, more: PolicyFailure[]): void {
    const failures: PolicyFailure[] = [];
    for (const [k, p] of Object.entries(this.props)) {
      if (this.isPrivate(k) || k === '_id') continue;
      const v = obj[k];
      const required = this.requiredList.includes(k) || p.required === true;
      failures.push(...checkProperty(k, p, v, obj, required, required));
      // The same answer on both backends (PostgreSQL's varchar(255) would refuse it, SQLite would not).
      if (typeof v === 'string' && COLUMN_PROPERTIES.has(k) && v.length > COLUMN_MAX) failures.push({ property: k, policyRequirements: [{ policyRequirement: 'MAX_LENGTH', params: { maxLength: COLUMN_MAX } }] });
    }
    failures.push(...more);
    if (failures.length) throw failedPolicy(mergeFailures(failures));
  }

  /** IDM's `unique` policy: another managed user with the same value (found in the repository). */
  private async uniqueFailures(q: Q, obj: Record<string, unknown>, selfId: string): Promise<PolicyFailure[]> {
    const out: PolicyFailure[] = [];
    for (const [k, p] of Object.entries(this.props)) {
      const v = obj[k];
      if (!hasPolicy(p, 'unique') || typeof v !== 'string' || !v) continue;
      const other =
        k === 'userName'
          ? await repo.findManagedUserByUserName(q, v)
          : (await repo.queryManagedUsers(q, { filter: { type: 'compare', op: 'eq', field: [k], value: v }, sort: [], offset: 0, limit: 2, countTotal: false })).rows.find((r) => r.id !== selfId);
      if (other && other.id !== selfId) out.push({ property: k, policyRequirements: [{ policyRequirement: 'UNIQUE' }] });
    }
    return out;
  }

  /** Validates a body and splits it into the stored object and the password hash. */
  private async prepare(q: Q, selfId: string, body: Record<string, unknown>, previousHash: string | null): Promise<{ obj: Record<string, unknown>; passwordHash: string | null }> {
    const obj = this.withDefaults(body);
    const more: PolicyFailure[] = [];
    const password = body.password;
    const passwordSchema = this.props.password;
    if (password !== undefined && password !== null) {
      const failed = passwordFailures(password, obj.userName, this.passwordPolicy);
      if (failed.length) more.push({ property: 'password', policyRequirements: failed });
    }
    // managed.json's own password policies, on the clear text (it is hashed below, never stored).
    if (passwordSchema) {
      const required = previousHash === null && (this.requiredList.includes('password') || passwordSchema.required === true);
      more.push(...checkProperty('password', passwordSchema, password ?? undefined, obj, required));
    }
    // IDM's policies on _id (e.g. cannot-contain-characters) apply to the id the object gets.
    if (this.props._id) more.push(...checkProperty('_id', this.props._id, selfId, obj, false));
    more.push(...(await this.uniqueFailures(q, obj, selfId)));
    this.policyFailures(obj, more);
    // Hashed only once every policy has passed (scrypt at OWASP's cost is not spent on a refusal).
    const passwordHash = password !== undefined && password !== null ? await hashPassword(password as string) : previousHash;
    return { obj, passwordHash };
  }

  async create(q: Q, body: Record<string, unknown>, id?: string): Promise<ManagedUser> {
    const newId = id ?? (typeof body._id === 'string' ? body._id : crypto.randomUUID());
    assertValidId(newId);
    const { obj, passwordHash } = await this.prepare(q, newId, body, null);
    const row = { id: newId, rev: newRev(), obj, passwordHash };
    try {
      await repo.insertManagedUser(q, row);
    } catch (e) {
      if (isUniqueViolation(e)) {
        const existing = await repo.readManagedUser(q, newId);
        if (existing) throw new PreconditionFailed(`managed/user/${newId} already exists`);
        throw new Conflict(`A managed user with userName "${String(obj.userName)}" already exists`);
      }
      throw e;
    }
    return this.present(row);
  }

  async read(q: Q, id: string, fields: FieldList = null): Promise<ManagedUser> {
    const row = await repo.readManagedUser(q, id);
    if (!row) throw new NotFound(`Object managed/user/${id} not found`);
    return this.present(row, fields);
  }

  async readRow(q: Q, id: string): Promise<repo.ManagedUserRow | null> {
    return repo.readManagedUser(q, id);
  }

  /** PUT: If-Match rev replaces (412 when stale), no precondition creates or replaces. */
  async replace(q: Q, id: string, body: Record<string, unknown>, ifMatch: string | null): Promise<{ user: ManagedUser; created: boolean }> {
    assertValidId(id);
    const existing = await repo.readManagedUser(q, id);
    if (!existing) {
      if (ifMatch !== null && ifMatch !== '*') throw new NotFound(`Object managed/user/${id} not found`);
      return { user: await this.create(q, body, id), created: true };
    }
    if (ifMatch !== null && ifMatch !== '*' && ifMatch !== existing.rev) throw new PreconditionFailed(`Revision ${ifMatch} does not match the current revision of managed/user/${id}`);
    const { obj, passwordHash } = await this.prepare(q, id, body, existing.passwordHash);
    return { user: await this.write(q, { id, rev: newRev(), obj, passwordHash }, existing.rev), created: false };
  }

  /** Applies `change` to the stored object under optimistic concurrency. */
  async modify(q: Q, id: string, ifMatch: string | null, change: (obj: Record<string, unknown>) => Record<string, unknown>): Promise<ManagedUser> {
    const existing = await repo.readManagedUser(q, id);
    if (!existing) throw new NotFound(`Object managed/user/${id} not found`);
    if (ifMatch !== null && ifMatch !== '*' && ifMatch !== existing.rev) throw new PreconditionFailed(`Revision ${ifMatch} does not match the current revision of managed/user/${id}`);
    const next = change({ ...existing.obj });
    const { obj, passwordHash } = await this.prepare(q, id, next, existing.passwordHash);
    return this.write(q, { id, rev: newRev(), obj, passwordHash }, existing.rev);
  }

  private async write(q: Q, row: repo.ManagedUserRow, expectedRev: string): Promise<ManagedUser> {
    let ok: boolean;
    try {
      ok = await repo.updateManagedUser(q, row, expectedRev);
    } catch (e) {
      if (isUniqueViolation(e)) throw new Conflict(`A managed user with userName "${String(row.obj.userName)}" already exists`);
      throw e;
    }
    if (!ok) throw new PreconditionFailed(`managed/user/${row.id} was changed concurrently`);
    return this.present(row);
  }

  async remove(q: Q, id: string, ifMatch: string | null): Promise<ManagedUser> {
    const existing = await repo.readManagedUser(q, id);
    if (!existing) throw new NotFound(`Object managed/user/${id} not found`);
    if (ifMatch !== null && ifMatch !== '*' && ifMatch !== existing.rev) throw new PreconditionFailed(`Revision ${ifMatch} does not match the current revision of managed/user/${id}`);
    if (!(await repo.deleteManagedUser(q, id, existing.rev))) throw new PreconditionFailed(`managed/user/${id} was changed concurrently`);
    return this.present(existing);
  }

  async query(q: Q, req: QueryRequest, fields: FieldList): Promise<{ items: ManagedUser[]; total?: number }> {
    const { rows, total } = await repo.queryManagedUsers(q, {
      filter: req.filter,
      sort: req.sort,
      offset: req.offset,
      limit: req.pageSize !== undefined ? req.pageSize + 1 : undefined,
      countTotal: req.totalPolicy !== 'NONE',
    });
    return { items: rows.map((r) => this.present(r, fields)), total };
  }

  /** An unpaged query (no pageSize): every match from req.offset on, batch by batch from a cursor. */
  async *stream(q: Q, req: QueryRequest, fields: FieldList): AsyncGenerator<ManagedUser[]> {
    for await (const rows of repo.streamManagedUsers(q, { filter: req.filter, sort: req.sort, offset: req.offset })) yield rows.map((r) => this.present(r, fields));
  }

  count(q: Q, req: QueryRequest): Promise<number> {
    return repo.countMatchingUsers(q, req.filter);
  }
}
