// Who may see and act on a user task: pure decisions over the principal and the task's assignee and
// candidates (the workflow runtime asks them with the caller's principal).
import { isAdmin } from './authorize';
import type { Principal } from './interfaces';

/** The people a task is for, as its row stores them. */
export interface TaskAudience {
  assignee: string | null;
  candidateUsers: string[];
  candidateGroups: string[];
}

/** Only the assignee, a candidate (of an unassigned task), or an admin may act on a task. */
export function mayWorkOn(p: Principal, t: TaskAudience): boolean {
  if (isAdmin(p)) return true;
  if (t.assignee) return t.assignee === p.userName;
  return t.candidateUsers.includes(p.userName) || t.candidateGroups.some((g) => p.roles.includes(g) || p.roles.includes(g.replace(/^internal\/role\//, '')));
}

/**
 * Which tasks a principal's queries list: every one for an admin (userId null); otherwise those
 * assigned to or offered to the user, or offered to one of its roles (with or without the
 * internal/role/ prefix a process may write).
 */
export function taskScope(p: Principal): { userId: string | null; groups: string[] } {
  return isAdmin(p) ? { userId: null, groups: [] } : { userId: p.userName, groups: p.roles.flatMap((x) => [x, `internal/role/${x}`]) };
}
