// A refusal's code in the audit message and whether a createUser job gives up at once, for every
// domain error (src/errors.ts) the rooms below the API throw.
import { Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed, ProcessDefect, Unavailable } from '../../../src/errors';
import { isFinalRefusal, refusalCode } from '../../../src/recon/refusal';

describe('refusalCode / isFinalRefusal', () => {
  it('gives a domain error the code its CREST answer has', () => {
    expect(refusalCode(new InvalidInput('x'))).toBe(400);
    expect(refusalCode(new Forbidden('x'))).toBe(403);
    expect(refusalCode(new NotFound('x'))).toBe(404);
    expect(refusalCode(new Conflict('x'))).toBe(409);
    expect(refusalCode(new PreconditionFailed('x'))).toBe(412);
    expect(refusalCode(new ProcessDefect('x'))).toBe(500);
    expect(refusalCode(new Unavailable('x'))).toBe(503);
  });

  it('is no refusal for a driver error or a bug (string codes, no code)', () => {
    expect(refusalCode(Object.assign(new Error('unique'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }))).toBeUndefined();
    expect(refusalCode(new TypeError('bug'))).toBeUndefined();
    expect(refusalCode('text')).toBeUndefined();
    expect(refusalCode(null)).toBeUndefined();
  });

  it('gives up at once on what a retry meets again, not on what may pass later', () => {
    for (const e of [new InvalidInput('x'), new Forbidden('x'), new NotFound('x'), new Conflict('x'), new PreconditionFailed('x')]) expect(isFinalRefusal(e)).toBe(true);
    for (const e of [new Unavailable('x'), new ProcessDefect('x'), new Error('x')]) expect(isFinalRefusal(e)).toBe(false);
  });
});
