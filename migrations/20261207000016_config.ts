// Configuration objects changed over REST (PUT/DELETE /openidm/config/<name>, as OpenIDM's
// ConfigObjectService): one row per object, shared by every node of the cluster. A stored object
// overrides its conf file at start, and running nodes apply a newer version when they poll.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('config', (t) => {
    // the conf file's name without .json: sync, metrics, schedule-<name>, <factoryPid>-<alias>
    t.string('name', 255).primary();
    // 1 on the first PUT, +1 on every change: a compare-and-swap, and what polling nodes compare
    t.integer('version').notNullable();
    // the JSON document as written (&{…} unresolved); null: deleted (DELETE config/<name>)
    t.text('document');
    t.string('updated_by', 255);
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('config');
}
