// conf/repo.json: reconflow's repository settings read at start (the connection itself is
// DATABASE_URL): sqlite.synchronous and query.maxUnpagedResults, read by validateRepo
// (src/config/repo.ts).
import { Schema } from './framework';

export const repoSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sqlite: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // Checked with its own message in src/config/repo.ts (which values, what each means).
        synchronous: {},
      },
    },
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxUnpagedResults: { type: 'integer', minimum: 1 },
      },
    },
  },
};
