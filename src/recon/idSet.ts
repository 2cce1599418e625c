// The ids a recon has seen, for its target phase. A Set<string> of 1,000,000 ids of a dozen
// characters holds ~65 MB of V8 heap (a string object and a hash-table slot each), and V8 grows
// the heap by a multiple of what stays alive; here every id is its UTF-8 bytes in one buffer plus
// 4 bytes of end offset and two 4-byte table slots: ~25 MB outside the heap, and exact.

const EMPTY = 0;

/** FNV-1a over the bytes: cheap, and good enough spread for an open-addressing table. */
function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= buf[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** What the phases need of a set of ids (a clustered page also records what it adds: clustered.ts). */
export interface IdMarks {
  has(id: string): boolean;
  add(id: string): unknown;
}

export class IdSet {
  private bytes = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  /** ends[i] is where entry i ends; entry i starts at ends[i - 1] (or 0). */
  private ends = new Uint32Array(1024);
  private count = 0;
  /** open addressing: entry index + 1, or EMPTY */
  private table = new Uint32Array(2048);
  private scratch = Buffer.allocUnsafe(256);

  get size(): number {
    return this.count;
  }

  /** The id's bytes in `scratch`; returns their length. */
  private encode(id: string): number {
    const max = Buffer.byteLength(id, 'utf8');
    if (max > this.scratch.length) this.scratch = Buffer.allocUnsafe(max * 2);
    return this.scratch.write(id, 0, 'utf8');
  }

  /** The table slot holding this id, or the empty slot where it would go. */
  private slotOf(len: number, hash: number): number {
    const mask = this.table.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot];
      if (entry === EMPTY) return slot;
      const start = entry === 1 ? 0 : this.ends[entry - 2];
      const end = this.ends[entry - 1];
      if (end - start === len && this.bytes.compare(this.scratch, 0, len, start, end) === 0) return slot;
    }
  }

  has(id: string): boolean {
    const len = this.encode(id);
    return this.table[this.slotOf(len, hashBytes(this.scratch, 0, len))] !== EMPTY;
  }

  add(id: string): this {
    const len = this.encode(id);
    const hash = hashBytes(this.scratch, 0, len);
    const slot = this.slotOf(len, hash);
    if (this.table[slot] !== EMPTY) return this;
    if (this.used + len > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + len));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    this.scratch.copy(this.bytes, this.used, 0, len);
    this.used += len;
    if (this.count === this.ends.length) {
      const bigger = new Uint32Array(this.ends.length * 2);
      bigger.set(this.ends);
      this.ends = bigger;
    }
    this.ends[this.count++] = this.used;
    this.table[slot] = this.count;
    if (this.count * 2 > this.table.length) this.rehash();
    return this;
  }

  /** Doubles the table (load stays under one half). */
  private rehash(): void {
    const table = new Uint32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let i = 0; i < this.count; i++) {
      const start = i === 0 ? 0 : this.ends[i - 1];
      let slot = hashBytes(this.bytes, start, this.ends[i]) & mask;
      while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
      table[slot] = i + 1;
    }
    this.table = table;
  }
}
