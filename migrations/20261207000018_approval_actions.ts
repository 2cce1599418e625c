// Approvals on any situation and phase (issue 16): the request records the action its approval
// performs (null: CREATE, as every request made before) with the situation it was asked for, and
// the target it concerns; a target-phase request (SOURCE_MISSING, UNASSIGNED, TARGET_IGNORED) may
// have no source row, so source_id becomes nullable.
import { Knex } from 'knex';

const COLUMNS = `process_instance_id, mapping, source_id, source_hash, recon_id, target, requested_at, outcome, outcome_message, outcome_at`;

export async function up(knex: Knex): Promise<void> {
  const pg = (knex.client as { dialect: string }).dialect === 'postgresql';
  if (pg) {
    await knex.raw('ALTER TABLE approval_request ALTER COLUMN source_id DROP NOT NULL');
  } else if ((knex.client as { dialect: string }).dialect === 'mysql') {
    await knex.raw('ALTER TABLE approval_request MODIFY source_id VARCHAR(255) NULL');
  } else {
    // SQLite cannot drop NOT NULL in place: the table is copied into a new one.
    await knex.schema.createTable('approval_request_new', (t) => {
      t.bigInteger('process_instance_id').primary();
      t.string('mapping', 255).notNullable();
      t.string('source_id', 255);
      t.string('source_hash', 64);
      t.string('recon_id', 64);
      t.text('target');
      t.string('requested_at', 32).notNullable();
      t.string('outcome', 16);
      t.text('outcome_message');
      t.string('outcome_at', 32);
    });
    await knex.raw(`INSERT INTO approval_request_new (${COLUMNS}) SELECT ${COLUMNS} FROM approval_request`);
    await knex.schema.dropTable('approval_request');
    await knex.schema.renameTable('approval_request_new', 'approval_request');
    await knex.raw('CREATE INDEX approval_request_source ON approval_request (mapping, source_id)');
  }
  await knex.schema.alterTable('approval_request', (t) => {
    t.string('action', 16);
    t.string('situation', 32);
    t.string('target_id', 255);
  });
  await knex.raw('CREATE INDEX approval_request_target ON approval_request (mapping, target_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX approval_request_target${(knex.client as { dialect: string }).dialect === 'mysql' ? ' ON approval_request' : ''}`);
  await knex.schema.alterTable('approval_request', (t) => {
    t.dropColumn('action');
    t.dropColumn('situation');
    t.dropColumn('target_id');
  });
}
