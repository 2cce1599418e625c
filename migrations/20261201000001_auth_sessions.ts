// Sign-in state shared by every node: failed-attempt counters (counted before the password is
// checked, so parallel guesses cannot race past the limit) and UI sessions (capped per user,
// expiring, revoked when the account changes). Times are epoch milliseconds.
import { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('login_attempt', (t) => {
    // 'u:<userName>' or 'a:<address>'.
    t.string('key', 320).primary();
    t.integer('attempts').notNullable();
    t.bigInteger('window_start').notNullable();
  });

  await knex.schema.createTable('session', (t) => {
    // SHA-256 of the cookie's token: a copy of the table does not hand out live sessions.
    t.string('id', 64).primary();
    t.string('component', 32).notNullable();
    t.string('principal_id', 255).notNullable();
    t.string('csrf', 64).notNullable();
    // Hash of the account's password hash, roles, status and user name when signing in.
    t.string('fingerprint', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_seen').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['component', 'principal_id', 'created_at'], 'session_by_principal');
    t.index(['expires_at'], 'session_expiry');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('session');
  await knex.schema.dropTable('login_attempt');
}
