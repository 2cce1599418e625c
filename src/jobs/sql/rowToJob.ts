import { parseJson } from '../../repo/dialect';
import { Job } from '../interfaces';

export function rowToJob(r: Record<string, unknown>): Job {
  return {
    id: Number(r.id),
    key: r.key as string,
    type: r.type as string,
    payload: parseJson(r.payload),
    state: r.state as Job['state'],
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    runAt: Number(r.run_at),
    lockedBy: (r.locked_by as string) ?? null,
    lockedUntil: r.locked_until === null || r.locked_until === undefined ? null : Number(r.locked_until),
    lastError: (r.last_error as string) ?? null,
    result: r.result ? parseJson(r.result) : null,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}
