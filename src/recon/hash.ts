// sha256 as hex, one-shot (crypto.hash, Node ≥ 20.12) where Node has it: twice as fast as a Hash
// object for the short texts a recon hashes once or twice per row.
import crypto from 'node:crypto';

const oneShot: ((algorithm: string, data: string, encoding: 'hex') => string) | undefined =
  typeof (crypto as { hash?: unknown }).hash === 'function' ? (crypto as unknown as { hash: (a: string, d: string, e: 'hex') => string }).hash : undefined;

export function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}
