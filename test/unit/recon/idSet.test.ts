// IdSet (src/recon/idSet.ts) must answer exactly as a Set<string> would.
import { IdSet } from '../../../src/recon/idSet';

describe('IdSet', () => {
  it('agrees with Set<string> over many ids, through its growth', () => {
    const ids = new IdSet();
    const reference = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const id = i % 7 === 0 ? `user${i % 1000}` : `user${i}`; // some repeats
      ids.add(id);
      reference.add(id);
    }
    expect(ids.size).toBe(reference.size);
    for (let i = 0; i < 60_000; i++) expect(ids.has(`user${i}`)).toBe(reference.has(`user${i}`));
  });

  it('keeps ids that differ only in case, length or beyond ASCII apart', () => {
    const ids = new IdSet();
    const samples = ['bjensen', 'BJensen', 'bjensen ', '', 'b', 'bjensen\u0000', 'Zoë', 'Zoe\u0308', '用户', '😀', 'x'.repeat(5000)];
    for (const s of samples) ids.add(s);
    expect(ids.size).toBe(samples.length);
    for (const s of samples) expect(ids.has(s)).toBe(true);
    for (const s of ['bjensen  ', 'Zoe', '用', 'x'.repeat(4999), 'BJENSEN']) expect(ids.has(s)).toBe(false);
  });
});
