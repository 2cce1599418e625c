// The code of a refusal (a domain error of the managed-user service, a policy, the repository), as
// the recon audit has always shown it in front of the message ("409 A managed user with userName
// … already exists"), and whether a retry would meet it again. It is text for the audit and the
// job's outcome, not an HTTP answer: src/api/errors.ts alone makes HTTP of errors.
import { CODE_OF_KIND, DomainError } from '../errors';

/** The refusal's code, or undefined when `e` is not a refusal (a bug, a driver error). */
export function refusalCode(e: unknown): number | undefined {
  return e instanceof DomainError ? CODE_OF_KIND[e.kind] : undefined;
}

/** A refusal that trying again cannot change: the value, the permission, the target or the revision. */
export function isFinalRefusal(e: unknown): boolean {
  const code = refusalCode(e);
  return code !== undefined && [400, 403, 404, 409, 412].includes(code);
}
