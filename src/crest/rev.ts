import crypto from 'node:crypto';

/** A fresh revision in IDM's shape ("00000000e8f502db"); it changes on every write. */
export function newRev(): string {
  return '00000000' + crypto.randomBytes(4).toString('hex');
}

/** If-Match / If-None-Match values come quoted, possibly weak ("W/"), possibly several. */
export function parseEtag(header: string | undefined): string | null {
  if (header === undefined) return null;
  const h = header.trim();
  if (h === '*') return '*';
  const m = /^(?:W\/)?"?([^",]*)"?$/.exec(h);
  return m ? m[1] : h;
}
