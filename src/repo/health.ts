// The two questions readiness asks the repository (src/health.ts): does it answer, and which
// migrations has it applied. Read-only: knex's own migrate.list() would create its tables if missing.
import type { Knex } from 'knex';
import { migrationSource } from '../../migrations';

/** The cheapest round trip: a statement that touches no table. */
export async function pingDatabase(knex: Knex): Promise<void> {
  await knex.raw('select 1');
}

/** The migrations this code lists that the repository has not applied (knex_migrations, in the connection's schema). */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  const known = await migrationSource.getMigrations([]);
  const applied = new Set((await knex('knex_migrations').select('name')).map((r: { name: string }) => r.name));
  return known.filter((name) => !applied.has(name));
}
