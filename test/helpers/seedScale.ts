// Many approvals at once, for the UI's scale tests and bench/uiScale.ts: N open approval tasks
// (each with its active instance) and M ended approvals, inserted by set-based SQL (INSERT … SELECT
// over generate_series / a recursive CTE) so 1,000,000 rows take seconds on SQLite and PostgreSQL.
//
// The rows are clones of two real approvals the product made itself (a recon of the two
// TEMPLATE_ROWS; one left waiting, one denied over REST): every table that holds a
// process_instance_id is cloned row for row, so a seeded approval has exactly the rows, columns
// and engine state a real one has. Per clone: new instance and task ids, the source id replaced
// wherever the template's appears (variables, business key, open key, description, form, the
// request's snapshot), and every timestamp moved to the clone's own time (one second apart,
// ids growing with time; the two templates moved back to be the oldest). Approving an approval re-reads its source row
// and compares its hash: with `csv`, each open clone's row is appended to the CSV and its
// request carries that row's own hash (computed by the product's canonicalHash), so approving a
// seeded task creates its user. Kept from the template: the engine state (a template reference:
// its execution ids and escalation due time), and the ended clones' source hash (their rows are
// in no CSV).
import fs from 'node:fs';
import { Knex } from 'knex';
import { canonicalHash } from '../../src/approval/contract';

export const TEMPLATE_OPEN = 'scaletplopen';
export const TEMPLATE_ENDED = 'scaletplended';
/** The seeded source ids: `${SOURCE_PREFIX}${n}`, n from 1 (ended ones after the open ones). */
export const SOURCE_PREFIX = 'scale';

/** The sample CSV's header (test/helpers/project.ts HEADER). */
export const HEADER_LINE = '"description", "uid", "username", "firstname", "lastname", "email", "mobileTelephoneNumber", "roles"';

/** The two CSV rows (the sample's format) whose approvals are cloned. */
export const TEMPLATE_ROWS = [TEMPLATE_OPEN, TEMPLATE_ENDED].map((uid) =>
  ['Created By CSV', uid, `${uid}@example.com`, uid, 'Scale', `${uid}@example.com`, '1234567', 'internal/role/openidm-authorized'].map((x) => `"${x}"`).join(', '));

type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/**
 * With the two TEMPLATE_ROWS in the project's CSV: reconciles them (two approvals), denies the
 * TEMPLATE_ENDED one as `call`'s user and waits until its instance has ended.
 */
export async function makeTemplates(call: Call, mapping = 'systemCsvfileAccounts_managedUser'): Promise<Record<string, unknown>> {
  const run = await call('POST', `/recon?_action=recon&mapping=${mapping}&waitForCompletion=true`);
  if (run.status !== 200) throw new Error(`recon: ${run.status} ${JSON.stringify(run.body)}`);
  const until = Date.now() + 30_000;
  for (;;) {
    const r = await call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processVariables/sourceId eq "${TEMPLATE_ENDED}"`)}`);
    const task = r.body?.result?.[0];
    if (task) {
      const done = await call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { requestApproved: 'false' });
      if (done.status !== 200) throw new Error(`deny the template: ${done.status} ${JSON.stringify(done.body)}`);
      break;
    }
    if (Date.now() > until) throw new Error(`no task for ${TEMPLATE_ENDED} after the recon`);
    await new Promise((res) => setTimeout(res, 100));
  }
  for (;;) {
    const r = await call('GET', `/workflow/processinstance/history?_queryFilter=${encodeURIComponent(`processVariables/sourceId eq "${TEMPLATE_ENDED}"`)}`);
    if (r.body?.result?.[0]?.status && r.body.result[0].status !== 'suspended' && r.body.result[0].endTime) break;
    if (Date.now() > until) throw new Error(`${TEMPLATE_ENDED}'s instance did not end`);
    await new Promise((res) => setTimeout(res, 100));
  }
  // The open template's source row as the connector reads it (its hash is the request's).
  const src = await call('GET', `/system/csvfile/account/${TEMPLATE_OPEN}`);
  if (src.status !== 200) throw new Error(`read ${TEMPLATE_OPEN}'s source row: ${src.status}`);
  return src.body;
}

export interface SeedResult {
  /** Instance ids of the open clones: first..last (inclusive). */
  open: { first: number; last: number; firstTask: number; lastTask: number };
  ended: { first: number; last: number };
  seconds: number;
  /** Rows inserted per table. */
  rows: Record<string, number>;
}

interface Column { name: string; type: string }

const isPg = (k: Knex) => (k.client as { dialect: string }).dialect === 'postgresql';
const isMySQL = (k: Knex) => (k.client as { dialect: string }).dialect === 'mysql';

async function columnsOf(k: Knex, table: string): Promise<Column[]> {
  if (isMySQL(k)) {
    const [rows] = await k.raw('SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND extra NOT LIKE ? ORDER BY ordinal_position', [table, '%GENERATED%']);
    return rows;
  }
  if (isPg(k)) {
    const r = await k.raw('SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position', [table]);
    return r.rows;
  }
  return (await k.raw(`SELECT name, type FROM pragma_table_info('${table}')`)) as Column[];
}

/** Every table with a process_instance_id column (process_instance aside). */
export async function instanceTables(k: Knex): Promise<string[]> {
  if (isMySQL(k)) {
    const [rows] = await k.raw("SELECT table_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND column_name = 'process_instance_id' ORDER BY table_name");
    return rows.map((x: { name: string }) => x.name);
  }
  if (isPg(k)) {
    const r = await k.raw("SELECT table_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'process_instance_id' ORDER BY table_name");
    return r.rows.map((x: { name: string }) => x.name);
  }
  const r = (await k.raw("SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'process_instance_id' ORDER BY m.name")) as { name: string }[];
  return r.map((x) => x.name);
}

const TIME = /(_time|_at|^timestamp)$/;

/**
 * Inserts `tasks` open approvals and `ended` ended ones, cloned from the templates (makeTemplates
 * first). The server may be running: ids are taken above the current maximum, and the id
 * sequences are moved past them.
 */
export async function seedScale(k: Knex, opts: {
  tasks: number;
  ended: number;
  stepMs?: number;
  /** The project's CSV and the open template's source row (makeTemplates' answer). */
  csv?: { file: string; source: Record<string, unknown> };
}): Promise<SeedResult> {
  const t0 = Date.now();
  const pg = isPg(k);
  const my = isMySQL(k);
  const step = opts.stepMs ?? 1000;
  const tpl = async (source: string) => {
    const row = await k('approval_request').join('process_instance', 'process_instance.id', 'approval_request.process_instance_id')
      .where('approval_request.source_id', source).select('process_instance.id', 'process_instance.status', 'process_instance.start_time').first();
    if (!row) throw new Error(`no approval for ${source}: run makeTemplates first`);
    return { id: Number(row.id), status: row.status as string, start: Date.parse(row.start_time) };
  };
  const open = await tpl(TEMPLATE_OPEN);
  const ended = await tpl(TEMPLATE_ENDED);
  if (open.status !== 'active' || ended.status !== 'ended') throw new Error(`templates: ${TEMPLATE_OPEN} is ${open.status}, ${TEMPLATE_ENDED} is ${ended.status}`);
  const tables = (await instanceTables(k)).filter((t) => t !== 'process_instance');
  const maxOf = async (table: string) => Number((await k(table).max({ m: 'id' }))[0].m ?? 0);
  const instBase = await maxOf('process_instance');
  const taskBase = Math.max(await maxOf('task'), await maxOf('task_history'));
  // Ended first (older, lower ids), then open, up to the templates' own time (they move back below).
  const now = Math.min(open.start, ended.start);
  const endedStart = now - (opts.tasks + opts.ended) * step;
  const openStart = now - opts.tasks * step;
  const rows: Record<string, number> = {};

  // The open clones' source rows and their hashes (a table the clone joins, dropped after).
  let tplHash: string | undefined;
  if (opts.csv && opts.tasks) {
    tplHash = (await k('approval_request').where({ source_id: TEMPLATE_OPEN }).first()).source_hash as string;
    if (canonicalHash(opts.csv.source as never) !== tplHash) throw new Error(`${TEMPLATE_OPEN}'s source row does not hash to its request's hash: not the row the connector read`);
    const text = fs.readFileSync(opts.csv.file, 'utf8');
    const line = text.split(/\r?\n/).find((l) => l.includes(`"${TEMPLATE_OPEN}"`));
    if (!line) throw new Error(`${TEMPLATE_OPEN} is not in ${opts.csv.file}`);
    const srcJson = JSON.stringify(opts.csv.source);
    await k.schema.dropTableIfExists('seed_scale_hash');
    await k.schema.createTable('seed_scale_hash', (t) => {
      t.integer('n').primary();
      t.string('h', 64).notNullable();
    });
    const lines: string[] = [];
    let batch: { n: number; h: string }[] = [];
    for (let n = 1; n <= opts.tasks; n++) {
      const id = `${SOURCE_PREFIX}${n}`;
      lines.push(line.split(TEMPLATE_OPEN).join(id));
      batch.push({ n, h: canonicalHash(JSON.parse(srcJson.split(TEMPLATE_OPEN).join(id))) });
      if (batch.length === 400 || n === opts.tasks) {
        await k('seed_scale_hash').insert(batch);
        batch = [];
      }
    }
    fs.appendFileSync(opts.csv.file, (text.endsWith('\n') ? '' : '\n') + lines.join('\n') + '\n');
  }

  // MariaDB: its SEQUENCE engine's seq_1_to_<n> (a recursive CTE stops at max_recursive_iterations, 1,000).
  const series = (n: number) => (pg ? `generate_series(1, ${n}) AS s(n)` : my ? `(SELECT seq AS n FROM seq_1_to_${n}) s` : 's');
  const withSeries = (n: number) => (pg || my ? '' : `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${n}) `);
  // MariaDB (sessions in UTC): ISO text to epoch ms and back, milliseconds kept.
  const msOf = (col: string) => (pg ? `(extract(epoch from (${col})::timestamptz) * 1000)::bigint`
    : my ? `CAST(UNIX_TIMESTAMP(STR_TO_DATE(${col}, '%Y-%m-%dT%H:%i:%s.%fZ')) * 1000 AS SIGNED)`
    : `CAST(ROUND((julianday(${col}) - 2440587.5) * 86400000.0) AS INTEGER)`);
  const iso = (ms: string) => (pg
    ? `to_char(to_timestamp((${ms}) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : my ? `CONCAT(DATE_FORMAT(FROM_UNIXTIME(FLOOR((${ms}) / 1000)), '%Y-%m-%dT%H:%i:%s.'), LPAD(MOD(${ms}, 1000), 3, '0'), 'Z')`
    : `strftime('%Y-%m-%dT%H:%M:%fZ', (${ms}) / 1000.0, 'unixepoch')`);

  const clone = async (table: string, template: { id: number; start: number }, source: string, n: number, instanceId: string, taskId: string, startMs: number, hash?: string) => {
    const cols = await columnsOf(k, table);
    const sample: Record<string, unknown>[] = await k(table).where(table === 'process_instance' ? 'id' : 'process_instance_id', template.id);
    if (!sample.length) return;
    const out: string[] = [];
    const expr: string[] = [];
    for (const c of cols) {
      const values = sample.map((r) => r[c.name]);
      let e: string | undefined = `t.${c.name}`;
      if (c.name === 'process_instance_id' || (table === 'process_instance' && c.name === 'id')) e = instanceId;
      else if (c.name === 'task_id' || ((table === 'task' || table === 'task_history') && c.name === 'id')) e = values[0] === null ? 'NULL' : taskId;
      else if (c.name === 'id') e = undefined; // generated
      else if (TIME.test(c.name) && values.some((v) => typeof v === 'string' && !Number.isNaN(Date.parse(v as string)))) {
        // Same offset from the instance's start as the template's (a task's creation, the end).
        e = `CASE WHEN t.${c.name} IS NULL THEN NULL ELSE ${iso(`${startMs} + (s.n - 1) * ${step} + ${msOf(`t.${c.name}`)} - ${template.start}`)} END`;
      } else {
        const has = (x: string) => values.some((v) => (typeof v === 'string' && v.includes(x)) || (v !== null && typeof v === 'object' && !Buffer.isBuffer(v) && JSON.stringify(v).includes(x)));
        let inner = pg && /json/.test(c.type) ? `t.${c.name}::text` : `t.${c.name}`;
        let changed = false;
        if (has(source)) {
          inner = `replace(${inner}, '${source}', '${SOURCE_PREFIX}' || (s.n + ${n}))`;
          changed = true;
        }
        if (hash && has(hash)) {
          inner = `replace(${inner}, '${hash}', h.h)`;
          changed = true;
        }
        if (changed) e = pg && /json/.test(c.type) ? `${inner}::${c.type}` : inner;
      }
      if (e !== undefined) {
        out.push(`"${c.name}"`);
        expr.push(e);
      }
    }
    const where = table === 'process_instance' ? `id = ${template.id}` : `process_instance_id = ${template.id}`;
    const select = `SELECT ${expr.join(', ')} FROM ${series(seriesLength)}${hash ? ' JOIN seed_scale_hash h ON h.n = s.n' : ''} CROSS JOIN (SELECT * FROM ${table} WHERE ${where}) t`;
    const sql = `${withSeries(seriesLength)}INSERT INTO ${table} (${out.join(', ')}) ${select}`;
    const r = await k.raw(sql);
    rows[table] = (rows[table] ?? 0) + (pg ? Number(r.rowCount) : my ? Number(r[0].affectedRows) : Number((r as { changes?: number }).changes ?? 0));
  };
  let seriesLength = 0;

  const run = async (template: { id: number; start: number }, source: string, count: number, instOffset: number, taskOffset: number, sourceOffset: number, startMs: number, hash?: string) => {
    if (!count) return;
    seriesLength = count;
    const instanceId = `(${instBase + instOffset} + s.n)`;
    const taskId = `(${taskBase + taskOffset} + s.n)`;
    for (const table of ['process_instance', ...tables]) await clone(table, template, source, sourceOffset, instanceId, taskId, startMs, hash);
  };

  // The templates have the lowest ids: they become the oldest (ids grow with time, as in a real
  // repository), moved back past every clone with the same offsets between their own rows.
  const shiftBack = async (template: { id: number }, ms: number) => {
    for (const table of ['process_instance', ...tables]) {
      const sample: Record<string, unknown>[] = await k(table).where(table === 'process_instance' ? 'id' : 'process_instance_id', template.id);
      if (!sample.length) continue;
      const sets: string[] = [];
      for (const c of await columnsOf(k, table)) {
        if (!TIME.test(c.name) || !sample.some((r) => typeof r[c.name] === 'string' && !Number.isNaN(Date.parse(r[c.name] as string)))) continue;
        sets.push(`"${c.name}" = CASE WHEN "${c.name}" IS NULL THEN NULL ELSE ${iso(`${msOf(`"${c.name}"`)} - ${ms}`)} END`);
      }
      if (sets.length) await k.raw(`UPDATE ${table} SET ${sets.join(', ')} WHERE ${table === 'process_instance' ? 'id' : 'process_instance_id'} = ${template.id}`);
    }
  };

  const body = async () => {
    await run(ended, TEMPLATE_ENDED, opts.ended, 0, 0, opts.tasks, endedStart);
    await run(open, TEMPLATE_OPEN, opts.tasks, opts.ended, opts.ended, 0, openStart, tplHash);
    // After the clones (they are timed from the templates' times as they were).
    await shiftBack(open, (opts.tasks + opts.ended + 2) * step);
    await shiftBack(ended, (opts.tasks + opts.ended + 2) * step);
    if (tplHash) await k.schema.dropTableIfExists('seed_scale_hash');
  };
  if (pg) {
    await k.transaction(async () => undefined); // the pool is up
    await body();
    // Explicit ids: move the id sequences past them (nextval would collide otherwise).
    for (const table of ['process_instance', 'task', 'task_history']) {
      const seq = (await k.raw('SELECT pg_get_serial_sequence(?, ?) AS s', [table, 'id'])).rows[0]?.s;
      if (seq) await k.raw(`SELECT setval(?, (SELECT GREATEST(COALESCE(MAX(id), 0), 1) FROM ${table}))`, [seq]);
    }
    await k.raw('ANALYZE');
  } else if (my) {
    // Explicit ids move AUTO_INCREMENT past them by themselves; InnoDB keeps its statistics.
    await body();
  } else {
    await body();
    await k.raw('ANALYZE');
  }
  return {
    open: { first: instBase + opts.ended + 1, last: instBase + opts.ended + opts.tasks, firstTask: taskBase + opts.ended + 1, lastTask: taskBase + opts.ended + opts.tasks },
    ended: { first: instBase + 1, last: instBase + opts.ended },
    seconds: (Date.now() - t0) / 1000,
    rows,
  };
}
