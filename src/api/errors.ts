// The edge: every error a client sees has CREST's shape. Domain errors (src/errors.ts) become HTTP
// here and nowhere else.
import { CrestError } from '../crest/errors';
import { CODE_OF_KIND, DomainError } from '../errors';

export function crestErrorOf(e: DomainError): CrestError {
  // IDM answers a policy refusal with exactly this message; the failures are in detail (the
  // error's own message, which names them, stays for logs and the recon audit).
  const policy = e.kind === 'Forbidden' && (e.detail as { failedPolicyRequirements?: unknown } | undefined)?.failedPolicyRequirements !== undefined;
  return new CrestError(CODE_OF_KIND[e.kind], policy ? 'Failed policy validation' : e.message, e.detail);
}
