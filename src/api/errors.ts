// The edge: every error a client sees has CREST's shape. Domain errors (src/errors.ts) become HTTP
// here and nowhere else.
import { CrestError } from '../crest/errors';
import { CODE_OF_KIND, DomainError } from '../errors';

export function crestErrorOf(e: DomainError): CrestError {
  return new CrestError(CODE_OF_KIND[e.kind], e.message, e.detail);
}
