// What a link remembers of its last sync: the source row's hash (with the mapping's fingerprint)
// and the target's revision then. A recon finds an unchanged row by comparing the two, without
// mapping it again.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('link', (t) => {
    t.string('source_hash', 64);
    t.string('target_rev', 32);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('link', (t) => {
    t.dropColumn('source_hash');
    t.dropColumn('target_rev');
  });
}
