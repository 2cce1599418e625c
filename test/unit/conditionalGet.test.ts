// The weak ETag of a JSON read and If-None-Match's weak comparison (src/api/conditionalGet.ts).
import { noneMatchHits, weakEtagOf } from '../../src/api/conditionalGet';

describe('conditional GET', () => {
  it('tags equal content alike and different content differently', () => {
    expect(weakEtagOf({ a: 1 })).toMatch(/^W\/"[A-Za-z0-9_-]{27}"$/);
    expect(weakEtagOf({ a: 1 })).toBe(weakEtagOf({ a: 1 }));
    expect(weakEtagOf({ a: 1 })).not.toBe(weakEtagOf({ a: 2 }));
  });
  it('compares weakly, in a list, and * matches any', () => {
    const tag = weakEtagOf([1]);
    expect(noneMatchHits(tag, tag)).toBe(true);
    expect(noneMatchHits(tag.slice(2), tag)).toBe(true);
    expect(noneMatchHits(`W/"x", ${tag}`, tag)).toBe(true);
    expect(noneMatchHits('*', '"3"')).toBe(true);
    expect(noneMatchHits('"3"', '"3"')).toBe(true);
    expect(noneMatchHits('W/"x"', tag)).toBe(false);
    expect(noneMatchHits(undefined, tag)).toBe(false);
  });
});
