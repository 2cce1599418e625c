// Issue 17: the console's Incidents tab at 1,100,000 instances. A failed instance is one with
// status 'failed', or an active one whose timer run failed (its error kept): src/repo/incidents.ts.
// Without this index the active half read every running instance (100,000 at the bench's size:
// ~180 ms on SQLite). A partial index over exactly that predicate holds only the incidents.
//
// The predicate is written out here, not imported from src/repo: a migration is frozen once shipped,
// and SQLite uses a partial index only when the query repeats its WHERE text (literals, not
// parameters), which src/repo/incidents.ts does (FAILED_INSTANCE, checked by its test).
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX process_instance_incident ON process_instance (id) WHERE status = 'failed' OR (status = 'active' AND error IS NOT NULL)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX process_instance_incident');
}
