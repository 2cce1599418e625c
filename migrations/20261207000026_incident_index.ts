// Issue 17: the console's Incidents tab at 1,100,000 instances. A failed instance is one with
// status 'failed', or an active one whose timer run failed (its error kept): src/repo/incidents.ts.
// Without this index the active half read every running instance (100,000 at the bench's size:
// ~180 ms on SQLite). A partial index over exactly that predicate holds only the incidents.
//
// The predicate is written out here, not imported from src/repo: a migration is frozen once shipped,
// and SQLite uses a partial index only when the query repeats its WHERE text (literals, not
// parameters), which src/repo/incidents.ts does (FAILED_INSTANCE, checked by its test).
import { Knex } from 'knex';

//
// MariaDB/MySQL have no partial index: an invisible generated column, 1 on exactly that predicate
// and NULL otherwise, indexed; src/repo/incidents.ts asks for `incident = 1` there.
const mysql = (knex: Knex) => (knex.client as { dialect: string }).dialect === 'mysql';

export async function up(knex: Knex): Promise<void> {
  if (mysql(knex)) {
    await knex.raw(`ALTER TABLE process_instance ADD COLUMN incident TINYINT AS (CASE WHEN status = 'failed' OR (status = 'active' AND error IS NOT NULL) THEN 1 END) VIRTUAL INVISIBLE, ADD INDEX process_instance_incident (incident, id)`);
    return;
  }
  await knex.raw(`CREATE INDEX process_instance_incident ON process_instance (id) WHERE status = 'failed' OR (status = 'active' AND error IS NOT NULL)`);
}

export async function down(knex: Knex): Promise<void> {
  if (mysql(knex)) {
    await knex.raw('ALTER TABLE process_instance DROP INDEX process_instance_incident, DROP COLUMN incident');
    return;
  }
  await knex.raw('DROP INDEX process_instance_incident');
}
