// Issue 19: the job claim reads through two partial indexes whose order is the claim's ORDER BY.
// The claim used to be one `(queued AND run_at <= now) OR (running AND locked_until < now)` over
// job_ready (state, run_at): PostgreSQL answered the OR with a bitmap scan, which visits every row
// version the index still names, dead ones included, and never marks them dead in the index; with
// autovacuum off, 20,000 finished jobs made each claim 13.5 ms. An index scan in the claim's order
// stops after LIMIT live rows and marks the dead entries it passes (later scans skip them), so the
// claim stays fast with or without a vacuum. src/jobs/sql/claimJob.ts probes each index on its own.
//
// The predicates are written out here, not imported: a migration is frozen once shipped, and a
// partial index is used only when the query repeats its WHERE literally (state = 'queued').
// MySQL/MariaDB have no partial indexes: the state leads the same columns there.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  const dialect = (knex.client as { dialect: string }).dialect;
  if (dialect.startsWith('mysql')) {
    await knex.raw('CREATE INDEX job_queued ON job (state, run_at, id)');
    await knex.raw('CREATE INDEX job_expired ON job (state, locked_until)');
    return;
  }
  await knex.raw(`CREATE INDEX job_queued ON job (run_at, id) WHERE state = 'queued'`);
  await knex.raw(`CREATE INDEX job_expired ON job (locked_until) WHERE state = 'running'`);
}

export async function down(knex: Knex): Promise<void> {
  const dialect = (knex.client as { dialect: string }).dialect;
  const on = dialect.startsWith('mysql') ? ' ON job' : '';
  await knex.raw(`DROP INDEX job_queued${on}`);
  await knex.raw(`DROP INDEX job_expired${on}`);
}
