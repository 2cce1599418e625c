// internal/user (the bootstrapped administrators: read, change password) and internal/role (read),
// as a service: the router parses HTTP and checks who asks, this decides and stores.
import { PasswordPolicyConfig } from '../config/conf';
import { newRev } from '../crest/rev';
import { Forbidden, InvalidInput, NotFound, PreconditionFailed } from '../errors';
import type { PatchOperation } from '../managed/patch';
import { Q } from '../repo/dialect';
import { InternalUserRow, listRoles, readInternalUser, updateInternalUser } from '../repo/internalUsers';
import { failedPolicy, passwordFailures } from './passwordPolicy';
import { hashPassword } from './passwords';

export interface InternalUserView {
  _id: string;
  _rev: string;
  authzRoles: { _ref: string }[];
}

export interface RoleView {
  _id: string;
  _rev: string;
  description: string;
}

/** A password change that passed every check but the caller's reauthentication. */
export interface PasswordChange {
  user: InternalUserRow;
  password: string;
}

const view = (u: InternalUserRow): InternalUserView => ({ _id: u.id, _rev: u.rev, authzRoles: u.authzRoles });

export class InternalUsers {
  /** `staticUsers`: STATIC_USER names of authentication.json, whose password lives in that file. */
  constructor(private q: Q, private policy: PasswordPolicyConfig, private staticUsers: string[] = []) {}

  private async row(id: string): Promise<InternalUserRow> {
    const u = await readInternalUser(this.q, id);
    if (!u) throw new NotFound(`Object internal/user/${id} not found`);
    return u;
  }

  async read(id: string): Promise<InternalUserView> {
    return view(await this.row(id));
  }

  /** Only the password can change here: roles of bootstrapped users come from conf. */
  async planPasswordChange(id: string, ops: PatchOperation[], ifMatch: string | null): Promise<PasswordChange> {
    const u = await this.row(id);
    if (this.staticUsers.includes(id)) throw new Forbidden(`internal/user/${id} is a STATIC_USER of conf/authentication.json: change its password there (a change here would be undone at the next start)`);
    if (ifMatch !== null && ifMatch !== '*' && ifMatch !== u.rev) throw new PreconditionFailed(`Revision ${ifMatch} does not match`);
    let password: string | undefined;
    for (const op of ops) {
      if (op.field.replace(/^\//, '') !== 'password' || !['replace', 'add'].includes(op.operation)) throw new InvalidInput('Only /password can be replaced on an internal user');
      const failed = passwordFailures(op.value, u.id, this.policy);
      if (failed.length) throw failedPolicy([{ property: 'password', policyRequirements: failed }]);
      password = op.value as string;
    }
    if (password === undefined) throw new InvalidInput('Nothing to change');
    return { user: u, password };
  }

  async changePassword({ user, password }: PasswordChange): Promise<InternalUserView> {
    const next = { ...user, rev: newRev(), passwordHash: await hashPassword(password) };
    if (!(await updateInternalUser(this.q, next, user.rev))) throw new PreconditionFailed(`internal/user/${user.id} was changed concurrently`);
    return view(next);
  }

  async roles(): Promise<RoleView[]> {
    return (await listRoles(this.q)).map((x) => ({ _id: x.id, _rev: x.rev, description: x.description }));
  }
}
