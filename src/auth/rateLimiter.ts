// Counts failed sign-ins per user name and per address; past the limit, further attempts are
// refused (429) until the window has passed, whether or not the password is right.
export class LoginRateLimiter {
  private failures = new Map<string, number[]>();

  constructor(private maxFailures: number, private windowMs: number, private now: () => number = Date.now) {}

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Seconds until another try is allowed, or 0. */
  blockedFor(userName: string, address: string): number {
    let wait = 0;
    for (const key of [`u:${userName}`, `a:${address}`]) {
      const list = this.recent(key);
      if (list.length >= this.maxFailures) wait = Math.max(wait, Math.ceil((list[0] + this.windowMs - this.now()) / 1000));
    }
    return wait;
  }

  fail(userName: string, address: string): void {
    for (const key of [`u:${userName}`, `a:${address}`]) {
      const list = this.recent(key);
      list.push(this.now());
      this.failures.set(key, list);
    }
  }

  succeed(userName: string): void {
    this.failures.delete(`u:${userName}`);
  }
}
