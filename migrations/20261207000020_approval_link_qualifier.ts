// Approvals per (mapping, linkQualifier, source row), as OpenIDM's triggerWorkflowFromSync.js hands
// recon.actionParam.linkQualifier to the process: the request records the qualifier whose view it
// was mapped by and under which its job links. Every request made before is "default".
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('approval_request', (t) => {
    t.string('link_qualifier', 255).notNullable().defaultTo('default');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('approval_request', (t) => {
    t.dropColumn('link_qualifier');
  });
}
