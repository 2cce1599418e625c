// Sign-in attempts per user name and per address, counted in the repository BEFORE the password
// is checked: each attempt takes its number atomically (src/repo/loginAttempts.ts), and one whose
// number is past the limit is refused (429) without a password check, whether or not the password
// is right. So at most maxFailures checks happen per window, however many requests arrive at once
// and on however many nodes. A right password gives its attempt back (see forgive).
//
// Only attempts that reach the real password check are counted: the authenticator's short cache
// of verified passwords answers without a write. That cache must still not become an oracle that
// tells right from wrong while a key is blocked, so the blocks this node has seen are remembered
// (blockedLocally); a node learns of a block from the first counted attempt it handles.
import { Q } from '../repo/dialect';
import { countAttempt, deleteStaleAttempts, forgiveAttempt } from '../repo/loginAttempts';

const LOCAL_MAX = 10_000;
const SWEEP_EVERY_MS = 60_000;

export class LoginRateLimiter {
  private blocked = new Map<string, number>();
  /** User keys this node saw counted and not yet forgiven: a cached right password resets them. */
  private pending = new Set<string>();
  private lastSweep = 0;

  constructor(private q: Q, readonly maxFailures: number, private windowMs: number, private now: () => number = Date.now) {}

  private keys(userName: string, address: string): [string, string] {
    return [`u:${userName}`, `a:${address}`];
  }

  /**
   * Counts an attempt that is about to check a password. Returns 0 if it may go on, else the
   * seconds until the window that refused it ends.
   */
  async begin(userName: string, address: string): Promise<number> {
    const now = this.now();
    const counts = await countAttempt(this.q, this.keys(userName, address), now, now - this.windowMs);
    let wait = 0;
    for (const c of counts) {
      if (c.key.startsWith('u:') && this.pending.size < LOCAL_MAX) this.pending.add(c.key);
      if (c.attempts <= this.maxFailures) continue;
      const until = c.windowStart + this.windowMs;
      wait = Math.max(wait, 1, Math.ceil((until - now) / 1000));
      this.remember(c.key, until);
    }
    if (now - this.lastSweep > SWEEP_EVERY_MS) {
      this.lastSweep = now;
      await deleteStaleAttempts(this.q, now - this.windowMs);
    }
    return wait;
  }

  /** The password was right: the user starts over, and the address is not charged for it. */
  async forgive(userName: string, address: string): Promise<void> {
    const [u, a] = this.keys(userName, address);
    this.blocked.delete(u);
    this.pending.delete(u);
    await forgiveAttempt(this.q, u, a);
  }

  /**
   * A right password answered from the cache: no attempt was counted for it, so the address owes
   * nothing; the user's earlier failures (if this node saw any) start over. No write otherwise.
   */
  async forgiveCached(userName: string): Promise<void> {
    const u = `u:${userName}`;
    if (!this.pending.delete(u)) return;
    await forgiveAttempt(this.q, u, null);
  }

  /** Whether a block of this user or address is known here (or this node cannot tell). */
  blockedLocally(userName: string, address: string): boolean {
    const now = this.now();
    for (const k of this.keys(userName, address)) {
      const until = this.blocked.get(k);
      if (until !== undefined && until > now) return true;
    }
    // Memory full of live blocks: this node can no longer tell, so the cache is not trusted.
    if (this.blocked.size >= LOCAL_MAX) this.prune(now);
    return this.blocked.size >= LOCAL_MAX;
  }

  private remember(key: string, until: number): void {
    if (this.blocked.size >= LOCAL_MAX) this.prune(this.now());
    if (this.blocked.size < LOCAL_MAX || this.blocked.has(key)) this.blocked.set(key, until);
  }

  private prune(now: number): void {
    for (const [k, u] of this.blocked) if (u <= now) this.blocked.delete(k);
  }
}
