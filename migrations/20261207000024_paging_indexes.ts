// Issue 17: the inbox and the console page newest first through 100,000 open tasks and 1,000,000
// ended instances. Without these, a page sorted by creation or start time sorted every row first
// (SQLite: 345 ms for the tasks' createTime page, 745 ms for the history's startTime page), and the
// running instances were sorted by id after reading every active one.
//
// Each index ends in the id: the pages break ties on it in the sort's direction (src/repo/tasks.ts
// orderPage), so one index read backwards answers a descending page. PostgreSQL sorts strings by
// code point (COLLATE "C", src/repo/filterToSql.ts): its indexes must use the same collation.
// MariaDB/MySQL: the tables' own collation is binary (src/repo/mysqlClient.ts), and the sessions
// quote identifiers as here (ANSI_QUOTES).
import { Knex } from 'knex';

const INDEXES: [name: string, table: string, columns: string[]][] = [
  ['task_create_time', 'task', ['create_time', 'id']],
  ['process_instance_start_time', 'process_instance', ['start_time', 'id']],
  ['process_instance_status_id', 'process_instance', ['status', 'id']],
];

const TEXT = new Set(['create_time', 'start_time']);

export async function up(knex: Knex): Promise<void> {
  const pg = (knex.client as { dialect: string }).dialect === 'postgresql';
  for (const [name, table, columns] of INDEXES) {
    const cols = columns.map((c) => (pg && TEXT.has(c) ? `"${c}" COLLATE "C"` : `"${c}"`)).join(', ');
    await knex.raw(`CREATE INDEX ${name} ON ${table} (${cols})`);
  }
}

export async function down(knex: Knex): Promise<void> {
  const mysql = (knex.client as { dialect: string }).dialect === 'mysql';
  for (const [name, table] of INDEXES) await knex.raw(`DROP INDEX ${name}${mysql ? ` ON ${table}` : ''}`);
}
