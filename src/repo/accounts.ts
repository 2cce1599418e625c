// SQL that authentication needs beyond the user tables' own reads: the password-hash upgrade.
import { Q } from './dialect';
import { writingInternalUser } from './internalUsers';

/**
 * Replaces a password hash if it is still `oldHash` (an upgrade to the current cost); the rev
 * stays: only the private hash changes, and the password it checks is the same.
 */
export async function replacePasswordHash(q: Q, table: 'internal_user' | 'managed_user', id: string, oldHash: string, newHash: string): Promise<boolean> {
  const update = async () => q(table).where({ id, password_hash: oldHash }).update({ password_hash: newHash });
  return (await (table === 'internal_user' ? writingInternalUser(q, update) : update())) === 1;
}
