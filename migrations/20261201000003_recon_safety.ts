// One row per node identity (NODE_ID, or the stable default): which process holds it and when it
// last beat, by the database's clock. A server that starts reclaims its predecessor's jobs and
// runs only after this row shows that no live process holds the identity.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('node', (t) => {
    t.string('id', 255).primary();
    /** Random per process: the compare-and-swap token of a takeover. */
    t.string('instance', 64).notNullable();
    t.string('host', 255).notNullable();
    t.integer('pid').notNullable();
    /** Linux pid namespace (/proc/self/ns/pid): a pid is only checked within the same one. */
    t.string('pid_ns', 64);
    /** Epoch ms by the database's clock; null once the process stopped cleanly. */
    t.bigInteger('heartbeat');
    t.bigInteger('started_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('node');
}
