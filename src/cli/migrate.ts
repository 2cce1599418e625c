#!/usr/bin/env node
// `npm run migrate` and `reconflow migrate [-p DIR]`: brings the repository's tables up to date and
// exits (the server also does it at start).
import { runtimeOptions, RuntimeOptions } from '../config/project';
import { migrate, openDb } from '../repo/db';

export async function runMigrate(o: RuntimeOptions = runtimeOptions()): Promise<void> {
  const db = openDb({ url: o.databaseUrl, schema: o.databaseSchema, projectDir: o.projectDir });
  try {
    await migrate(db, o.databaseSchema);
    const [done, pending] = await db.knex.migrate.list({
      migrationSource: (await import('../../migrations')).migrationSource,
      schemaName: db.dialect === 'pg' ? o.databaseSchema : undefined,
    });
    if (pending.length) throw new Error(`${db.describe}: ${pending.length} migration(s) still pending after migrating`);
    console.log(`${db.describe}: up to date (${done.length} migrations applied)`);
  } finally {
    await db.knex.destroy();
  }
}

if (require.main === module) {
  runMigrate().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
