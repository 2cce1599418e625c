// Issue 19: clustered reconciliation (src/recon/clustered.ts). A run whose mapping has
// clusteredSourceReconEnabled is split into source pages, each a durable job any node claims.
//  - recon_run.pages_total / pages_done: the page count planned at the start, and how many pages
//    have committed. Each page adds 1 in its own transaction (a row lock serialises the last ones),
//    so exactly one page sees pages_done = pages_total and enqueues the run's finish job.
//  - recon_run.removed: deletions/unlinks committed by the run's pages (its deletionThreshold
//    budget is per run, not per page).
//  - recon_touched: the targets the source pages reached (IDM's clustered recon writes the
//    source and target ids of each page to the repository for its target phase); the finish job's
//    target phase skips them, and deletes the rows when the run ends.
// Plain schema-builder statements: the same on SQLite, PostgreSQL and MySQL/MariaDB.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('recon_run', (t) => {
    t.integer('pages_total');
    t.integer('pages_done').notNullable().defaultTo(0);
    t.integer('removed').notNullable().defaultTo(0);
  });
  await knex.schema.createTable('recon_touched', (t) => {
    t.string('recon_id', 64).notNullable();
    t.string('target_id', 255).notNullable();
    t.primary(['recon_id', 'target_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('recon_touched');
  await knex.schema.alterTable('recon_run', (t) => {
    t.dropColumn('pages_total');
    t.dropColumn('pages_done');
    t.dropColumn('removed');
  });
}
