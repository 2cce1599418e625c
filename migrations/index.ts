// Migrations are listed here rather than discovered on disk, so that the same list works
// from TypeScript under jest and from the compiled dist/ under `npm start`.
import { Knex } from 'knex';
import * as initial from './20261127000001_initial';

const migrations: Record<string, Knex.Migration> = {
  '20261127000001_initial': initial,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
