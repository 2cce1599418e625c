// The edge: every error a client sees has CREST's shape. Domain errors (src/errors.ts) become HTTP
// here and nowhere else.
import { CrestError } from '../crest/errors';
import { DomainError, ErrorKind } from '../errors';

const STATUS: Record<ErrorKind, number> = {
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

export function crestErrorOf(e: DomainError): CrestError {
  return new CrestError(STATUS[e.kind], e.message, e.detail);
}
