// Password hashing with scrypt (memory-hard). Stored format: scrypt$N$r$p$salt$hash (salt and
// hash base64url), so every hash carries its own cost and older ones still verify after the
// parameters change; needsRehash tells the authenticator to upgrade one at its next sign-in.
// Default: OWASP's scrypt minimum (N=2^17, r=8, p=1: 128 MiB and ~250 ms per hash on one core).
import crypto from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const OWASP_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
const KEYLEN = 32;
/** Stored hashes with a cost beyond this are refused rather than allowed to exhaust memory. */
const MAX_MEM = 1024 * 1024 * 1024;

let current: ScryptParams = OWASP_SCRYPT;

/** Set once at start from conf/authentication.json (passwordHashing.scrypt). */
export function setScryptParams(params: ScryptParams): void {
  current = { ...params };
}

function scrypt(password: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; node refuses above maxmem (default 32 MiB, too small for 2^17).
  const maxmem = Math.min(MAX_MEM, 128 * N * r * 2 + 1024 * 1024);
  return new Promise((resolve, reject) => {
    crypto.scrypt(password, salt, KEYLEN, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = current): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0) || 128 * N * r > MAX_MEM) return null;
  return { params: { N, r, p }, salt: Buffer.from(parts[4], 'base64url'), hash: Buffer.from(parts[5], 'base64url') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h) return false;
  const key = await scrypt(password, h.salt, h.params);
  return key.length === h.hash.length && crypto.timingSafeEqual(key, h.hash);
}

/** True when a stored hash was made with other parameters than the current ones. */
export function needsRehash(stored: string): boolean {
  const h = parse(stored);
  return !h || h.params.N !== current.N || h.params.r !== current.r || h.params.p !== current.p;
}

// A hash of a random password nobody knows, at the current cost: unknown user names are checked
// against it, so that they cost as much as known ones (no enumeration by timing).
let dummy: { params: ScryptParams; hash: Promise<string> } | null = null;

export function dummyHash(): Promise<string> {
  if (!dummy || dummy.params !== current) dummy = { params: current, hash: hashPassword(crypto.randomBytes(16).toString('base64url')) };
  return dummy.hash;
}
