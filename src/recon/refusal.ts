// The code of a refusal (a domain error of the managed-user service, a policy, the repository), as
// the recon audit has always shown it in front of the message ("409 A managed user with userName
// … already exists"), and whether a retry would meet it again. It is text for the audit and the
// job's outcome, not an HTTP answer: src/api/errors.ts alone makes HTTP of errors.
import { DomainError, ErrorKind } from '../errors';

const CODE: Record<ErrorKind, number> = {
  InvalidInput: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  PreconditionFailed: 412,
  TooManyRequests: 429,
  ProcessDefect: 500,
  Unavailable: 503,
};

/**
 * The refusal's code, or undefined when `e` is not a refusal (a bug, a driver error). A room not
 * yet on domain errors still throws CREST errors (an Error with a numeric `code`): read the same.
 */
export function refusalCode(e: unknown): number | undefined {
  if (e instanceof DomainError) return CODE[e.kind];
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'number' ? code : undefined;
}

/** A refusal that trying again cannot change: the value, the permission, the target or the revision. */
export function isFinalRefusal(e: unknown): boolean {
  const code = refusalCode(e);
  return code !== undefined && [400, 403, 404, 409, 412].includes(code);
}
