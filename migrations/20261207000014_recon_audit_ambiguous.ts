// The recon audit's ambiguousTargetObjectIds (OpenIDM's ReconAuditEventBuilder field): the
// correlated target ids of an AMBIGUOUS source (or an invalid one correlating to several), as
// IDM writes them, comma-separated.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('recon_audit', (t) => {
    t.text('ambiguous_target_object_ids');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('recon_audit', (t) => {
    t.dropColumn('ambiguous_target_object_ids');
  });
}
