// Every error a client sees has ForgeRock CREST's shape: {"code","reason","message"[,"detail"]}.
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export class CrestError extends Error {
  readonly code: number;
  readonly detail?: unknown;
  constructor(code: number, message: string, detail?: unknown) {
    super(message);
    this.name = 'CrestError';
    this.code = code;
    this.detail = detail;
  }
  get reason(): string {
    return REASONS[this.code] ?? 'Error';
  }
  toJSON(): { code: number; reason: string; message: string; detail?: unknown } {
    const body: { code: number; reason: string; message: string; detail?: unknown } = { code: this.code, reason: this.reason, message: this.message };
    if (this.detail !== undefined) body.detail = this.detail;
    return body;
  }
}

export const badRequest = (message: string, detail?: unknown) => new CrestError(400, message, detail);
export const unauthorized = (message = 'Access Denied') => new CrestError(401, message);
export const forbidden = (message = 'Access denied') => new CrestError(403, message);
export const notFound = (message: string) => new CrestError(404, message);
export const conflict = (message: string, detail?: unknown) => new CrestError(409, message, detail);
export const preconditionFailed = (message: string) => new CrestError(412, message);
export const tooManyRequests = (message: string) => new CrestError(429, message);
export const unavailable = (message: string) => new CrestError(503, message);
