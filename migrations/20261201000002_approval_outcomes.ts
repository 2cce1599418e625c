// What an approval binds to: the request snapshot (the source row's hash and the mapped target
// shown to the approver), keyed by its process instance and never written by a submission, and
// the createUser step's outcome (created | superseded | failed, with its message).
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('approval_request', (t) => {
    t.bigInteger('process_instance_id').primary();
    t.string('mapping', 255).notNullable();
    t.string('source_id', 255).notNullable();
    t.string('source_hash', 64);
    t.string('recon_id', 64);
    // The mapped target (JSON), exactly what createUser creates; null for requests made before this table.
    t.text('target');
    t.string('requested_at', 32).notNullable();
    t.string('outcome', 16); // null until the createUser step ran: created | superseded | failed
    t.text('outcome_message');
    t.string('outcome_at', 32);
  });
  await knex.raw('CREATE INDEX approval_request_source ON approval_request (mapping, source_id)');
  // Decisions made before snapshots existed keep their rejection memory (without a target).
  await knex.raw(`
    INSERT INTO approval_request (process_instance_id, mapping, source_id, source_hash, recon_id, target, requested_at)
    SELECT process_instance_id, mapping, source_id, source_hash, recon_id, NULL, decided_at FROM decision
    WHERE mapping IS NOT NULL AND source_id IS NOT NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('approval_request');
}
