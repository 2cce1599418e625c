// Domain errors: what went wrong, in the service's words. Services and the rooms below them throw
// these; src/api/errors.ts alone turns them into CREST's {code, reason, message, detail} (HTTP).
export type ErrorKind =
  | 'InvalidInput'
  | 'Unauthenticated'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'PreconditionFailed'
  | 'TooManyRequests'
  | 'ProcessDefect'
  | 'NotSupported'
  | 'Unavailable';

/**
 * The CREST code each kind is answered with (src/api/errors.ts) and, as the recon audit has always
 * shown a refusal, written in front of an audit message ("409 …").
 */
export const CODE_OF_KIND: Record<ErrorKind, number> = {
  InvalidInput: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  PreconditionFailed: 412,
  TooManyRequests: 429,
  ProcessDefect: 500,
  NotSupported: 501,
  Unavailable: 503,
};

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, readonly detail?: unknown) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request (a body, a parameter, a form value, a query) is not acceptable as it is. */
export class InvalidInput extends DomainError {
  readonly kind = 'InvalidInput';
}

/** No (valid) credentials. */
export class Unauthenticated extends DomainError {
  readonly kind = 'Unauthenticated';
  constructor(message = 'Access Denied', detail?: unknown) {
    super(message, detail);
  }
}

/** Known caller, not allowed; also a policy that refuses a value (OpenIDM answers both with 403). */
export class Forbidden extends DomainError {
  readonly kind = 'Forbidden';
  constructor(message = 'Access denied', detail?: unknown) {
    super(message, detail);
  }
}

export class NotFound extends DomainError {
  readonly kind = 'NotFound';
}

/** The state changed under the caller (a lost race, a task already completed, a run already active). */
export class Conflict extends DomainError {
  readonly kind = 'Conflict';
}

/** An If-Match / If-None-Match style expectation does not hold. */
export class PreconditionFailed extends DomainError {
  readonly kind = 'PreconditionFailed';
}

export class TooManyRequests extends DomainError {
  readonly kind = 'TooManyRequests';
}

/** A process step failed (script, expression, timer): a defect of the process, not of the request. */
export class ProcessDefect extends DomainError {
  readonly kind = 'ProcessDefect';
}

/** An operation reconflow does not perform (CREST's NotSupportedException), e.g. changing at run time what is read at start only. */
export class NotSupported extends DomainError {
  readonly kind = 'NotSupported';
}

/** A dependency (the repository, a source) cannot answer now; trying again later may work. */
export class Unavailable extends DomainError {
  readonly kind = 'Unavailable';
}
