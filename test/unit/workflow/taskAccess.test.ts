// Who may see and act on a task is src/auth's decision, over the principal and the task's people.
import { mayWorkOn, taskScope } from '../../../src/auth/taskAccess';
import type { Principal } from '../../../src/auth/interfaces';

const user = (userName: string, roles: string[] = []): Principal => ({ component: 'managed/user', id: userName, userName, roles });
const admin = user('openidm-admin', ['openidm-admin']);
const task = (t: Partial<{ assignee: string | null; candidateUsers: string[]; candidateGroups: string[] }>) => ({ assignee: null, candidateUsers: [], candidateGroups: [], ...t });

describe('mayWorkOn', () => {
  it('lets an admin act on any task', () => {
    expect(mayWorkOn(admin, task({ assignee: 'bjensen' }))).toBe(true);
  });
  it('an assigned task: only its assignee, whatever the candidates', () => {
    const t = task({ assignee: 'bjensen', candidateUsers: ['scarter'], candidateGroups: ['approvers'] });
    expect(mayWorkOn(user('bjensen'), t)).toBe(true);
    expect(mayWorkOn(user('scarter', ['approvers']), t)).toBe(false);
  });
  it('an unassigned task: a candidate user or a member of a candidate group (with or without internal/role/)', () => {
    expect(mayWorkOn(user('scarter'), task({ candidateUsers: ['scarter'] }))).toBe(true);
    expect(mayWorkOn(user('x', ['approvers']), task({ candidateGroups: ['internal/role/approvers'] }))).toBe(true);
    expect(mayWorkOn(user('x', ['approvers']), task({ candidateGroups: ['approvers'] }))).toBe(true);
    expect(mayWorkOn(user('mallory', ['other']), task({ candidateUsers: ['scarter'], candidateGroups: ['approvers'] }))).toBe(false);
  });
});

describe('taskScope', () => {
  it('is every task for an admin, the own and the roles\' tasks otherwise', () => {
    expect(taskScope(admin)).toEqual({ userId: null, groups: [] });
    expect(taskScope(user('bjensen', ['approvers']))).toEqual({ userId: 'bjensen', groups: ['approvers', 'internal/role/approvers'] });
  });
});
