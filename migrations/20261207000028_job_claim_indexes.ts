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
//
// PostgreSQL also gets the claim itself as a function, reconflow_claim_jobs: its planner, with or
// without statistics, still estimates a handful of candidates and picks a bitmap scan plus a sort,
// which reads every dead version again on each claim (4.6 ms against 0.4 ms after 100,000 finished
// jobs). The function's `SET enable_bitmapscan = off` holds only while it runs, so the claim is one
// parameterized call (one round trip), inside a caller's transaction too. Created unqualified: it
// lands in the schema migrated (the first on the search_path), as does the job table it returns.
// now_ms null means the database's clock; a scalar subquery is computed once and, unlike the
// volatile clock_timestamp() itself, may bound an index scan.
const DB_NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
const CLAIM_FUNCTION = `
CREATE FUNCTION reconflow_claim_jobs(worker text, lock_ms bigint, types text[], lim int, now_ms bigint, updated text)
RETURNS SETOF job LANGUAGE sql VOLATILE SET enable_bitmapscan = off AS $$
  UPDATE job SET state = 'running', locked_by = worker, locked_until = COALESCE(now_ms, ${DB_NOW}) + lock_ms,
    attempts = attempts + 1, updated_at = updated
  WHERE id = ANY(ARRAY(
    SELECT id FROM (
      SELECT id, run_at FROM (
        SELECT id, run_at FROM job WHERE state = 'queued' AND run_at <= (SELECT COALESCE(now_ms, ${DB_NOW})) AND type = ANY(types)
        ORDER BY run_at, id LIMIT lim FOR UPDATE SKIP LOCKED) due
      UNION ALL
      SELECT id, run_at FROM (
        SELECT id, run_at FROM job WHERE state = 'running' AND locked_until < (SELECT COALESCE(now_ms, ${DB_NOW})) AND type = ANY(types)
        ORDER BY locked_until LIMIT lim FOR UPDATE SKIP LOCKED) expired
    ) claimable ORDER BY run_at, id LIMIT lim))
  RETURNING *
$$`;
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
  if (dialect === 'postgresql') await knex.raw(CLAIM_FUNCTION);
}

export async function down(knex: Knex): Promise<void> {
  const dialect = (knex.client as { dialect: string }).dialect;
  const on = dialect.startsWith('mysql') ? ' ON job' : '';
  if (dialect === 'postgresql') await knex.raw('DROP FUNCTION reconflow_claim_jobs(text, bigint, text[], int, bigint, text)');
  await knex.raw(`DROP INDEX job_queued${on}`);
  await knex.raw(`DROP INDEX job_expired${on}`);
}
