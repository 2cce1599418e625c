#!/usr/bin/env node
// `npm run migrate`: brings the repository's tables up to date and exits (the server also does it at start).
import { runtimeOptions } from '../config/project';
import { migrate, openDb } from '../repo/db';

async function main(): Promise<void> {
  const o = runtimeOptions();
  const db = openDb({ url: o.databaseUrl, schema: o.databaseSchema, projectDir: o.projectDir });
  try {
    await migrate(db, o.databaseSchema);
    const [, done] = await db.knex.migrate.list({ migrationSource: (await import('../../migrations')).migrationSource });
    console.log(`${db.describe}: up to date (${done.length === 0 ? 'all' : done.length + ' pending?'} migrations applied)`);
  } finally {
    await db.knex.destroy();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
