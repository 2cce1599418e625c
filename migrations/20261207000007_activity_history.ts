// The path each instance took (issue 15, deliverable 9): one row per run (a start, a completion, a
// timer or continuation run, a trigger) with the ids of the activities and events it completed, in
// order. One row per run, not per activity, keeps a template start to one extra multi-row insert.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('activity_history', (t) => {
    t.increments('id').primary();
    t.integer('process_instance_id').notNullable();
    /** JSON array of activity ids, in the order they completed. */
    t.text('activity_ids').notNullable();
    t.string('recorded_at', 32).notNullable();
    t.index(['process_instance_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('activity_history');
}
