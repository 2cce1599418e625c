// Recon looks links up by (link_type, first_id) and (link_type, second_id) for a whole batch;
// the unique indexes lead with link_qualifier after link_type, so those lookups scanned every
// link of the mapping (quadratic over a run). These indexes make them point lookups.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('link', (t) => {
    t.index(['link_type', 'first_id'], 'link_by_first');
    t.index(['link_type', 'second_id'], 'link_by_second');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('link', (t) => {
    t.dropIndex(['link_type', 'first_id'], 'link_by_first');
    t.dropIndex(['link_type', 'second_id'], 'link_by_second');
  });
}
