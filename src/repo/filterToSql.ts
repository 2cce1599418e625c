// Translates a parsed _queryFilter into a knex where-clause with the same meaning as matchesFilter
// (for scalar values) on SQLite, PostgreSQL and MariaDB/MySQL (test/unit/repo/filterParity.test.ts).
//
// Values and JSON paths only ever travel as bindings, column names as `??` identifiers; the SQL text
// is assembled from constants in this file. Every predicate is two-valued (never NULL), so that
// NOT behaves as in memory: `!(mail eq "x")` matches a user without a mail.
import { Knex } from 'knex';
import { InvalidInput } from '../errors';
import { CompareOp, Filter, FilterValue } from '../crest/queryFilter';

export type FieldTarget =
  /** `id`: an integer column shown to clients as a string id (IDM ids are strings): "38" and 38 both match. */
  | { kind: 'column'; column: string; type?: 'string' | 'number' | 'boolean' | 'id' }
  | { kind: 'json'; column: string; path: string[] };
export type FieldResolver = (field: string[]) => FieldTarget;
type Dialect = 'sqlite' | 'pg' | 'mysql';

/** A piece of SQL and its bindings. */
interface Sql {
  sql: string;
  bindings: Knex.RawBinding[];
}

/** Filters compiled eagerly, so bad fields throw before any query is built. */
type Compiled =
  | { type: 'raw'; sql: Sql }
  | { type: 'and' | 'or'; operands: Compiled[] }
  | { type: 'not'; operand: Compiled };

const SAFE_SEGMENT = /^[A-Za-z0-9_\-.@$:]{1,128}$/;
const FALSE_SQL: Sql = { sql: '1 = 0', bindings: [] };
const TRUE_SQL: Sql = { sql: '1 = 1', bindings: [] };
const ORDERING: Record<string, string> = { lt: '<', le: '<=', gt: '>', ge: '>=' };
/** co and sw have no meaning for numbers (nor in memory), so they get no operator. */
const numericOperator = (op: CompareOp): string | undefined => (op === 'eq' ? '=' : ORDERING[op]);

export function assertSafeSegment(segment: string): void {
  if (!SAFE_SEGMENT.test(segment)) {
    throw new InvalidInput(`Field '${segment.slice(0, 140)}' cannot be used in a query: a field name has 1 to 128 letters, digits or _-.@$:`);
  }
}

const MANAGED_USER_COLUMNS: Record<string, string> = {
  _id: 'id',
  _rev: 'rev',
  userName: 'user_name',
  givenName: 'given_name',
  sn: 'sn',
  mail: 'mail',
  accountStatus: 'account_status',
};

export function managedUserResolver(field: string[]): FieldTarget {
  if (field[0] === 'password') throw new InvalidInput("Field 'password' cannot be queried");
  // hasOwnProperty, so that `constructor` is a JSON field and not Object's.
  const column = field.length === 1 && Object.prototype.hasOwnProperty.call(MANAGED_USER_COLUMNS, field[0]) ? MANAGED_USER_COLUMNS[field[0]] : undefined;
  if (column) return { kind: 'column', column, type: 'string' };
  field.forEach(assertSafeSegment);
  return { kind: 'json', column: 'obj', path: field };
}

// ---- JSON paths ----

/**
 * Checked here too, not only in resolvers, because this is what keeps paths inert. All-digit segments
 * are refused: PostgreSQL's #> would index an array with them, SQLite's path would look up a key.
 */
function checkedPath(target: { path: string[] }): string[] {
  if (target.path.length === 0) throw new InvalidInput('An empty field cannot be queried');
  for (const seg of target.path) {
    assertSafeSegment(seg);
    if (/^\d+$/.test(seg)) throw new InvalidInput(`Field '/${target.path.join('/')}' cannot be queried: array indexes are not supported`);
  }
  return target.path;
}

/** `$."a"."b"`: the segments cannot contain a quote, so quoting them is enough. */
const sqlitePath = (path: string[]) => `$${path.map((s) => `."${s}"`).join('')}`;
/** MariaDB/MySQL paths are written as SQLite's. */
const mysqlPath = sqlitePath;
/** A text[] literal with every element quoted, so a segment named `null` stays a string. */
const pgPath = (path: string[]) => `{${path.map((s) => `"${s}"`).join(',')}}`;

/** SQL for one JSON field: its type name (never NULL; 'null' when missing), its text, its JSON value. */
interface JsonField {
  type: Sql;
  text: Sql;
  json: Sql;
  /** Type names as the dialect spells them. */
  names: { string: string; number: string[]; boolean: string[] };
}

function jsonField(target: { column: string; path: string[] }, dialect: Dialect): JsonField {
  const path = checkedPath(target);
  if (dialect === 'sqlite') {
    const b = [target.column, sqlitePath(path)];
    return {
      type: { sql: "coalesce(json_type(??, ?), 'null')", bindings: b },
      text: { sql: 'json_extract(??, ?)', bindings: b },
      json: { sql: 'json_extract(??, ?)', bindings: b },
      names: { string: 'text', number: ['integer', 'real'], boolean: ['true', 'false'] },
    };
  }
  if (dialect === 'mysql') {
    const b = [target.column, mysqlPath(path)];
    return {
      // JSON_TYPE answers in upper case, in its own collation: lowered and compared as bytes.
      type: { sql: "CAST(LOWER(coalesce(JSON_TYPE(JSON_EXTRACT(??, ?)), 'null')) AS BINARY)", bindings: b },
      // JSON_UNQUOTE's text is utf8mb4_bin, which ignores trailing spaces: compared as bytes
      // (UTF-8's byte order is code-point order), as SQLite's BINARY and PostgreSQL's "C".
      text: { sql: 'CAST(JSON_UNQUOTE(JSON_EXTRACT(??, ?)) AS BINARY)', bindings: b },
      json: { sql: 'JSON_UNQUOTE(JSON_EXTRACT(??, ?))', bindings: b },
      names: { string: 'string', number: ['integer', 'double', 'decimal', 'unsigned integer'], boolean: ['boolean'] },
    };
  }
  const b = [target.column, pgPath(path)];
  return {
    type: { sql: "coalesce(jsonb_typeof(?? #> ?::text[]), 'null')", bindings: b },
    text: { sql: '(?? #>> ?::text[])', bindings: b },
    json: { sql: '(?? #> ?::text[])', bindings: b },
    names: { string: 'string', number: ['number'], boolean: ['boolean'] },
  };
}

// ---- Predicates ----

/** Joins fragments: each `%` in the template takes the next fragment's SQL and bindings. */
function sql(template: string, ...parts: (Sql | Knex.RawBinding)[]): Sql {
  const pieces = template.split('%');
  if (pieces.length !== parts.length + 1) throw new Error(`SQL template needs ${pieces.length - 1} parts: ${template}`);
  const bindings: Knex.RawBinding[] = [];
  let text = pieces[0];
  parts.forEach((part, i) => {
    if (isSql(part)) {
      text += part.sql;
      bindings.push(...part.bindings);
    } else {
      text += '?';
      bindings.push(part);
    }
    text += pieces[i + 1];
  });
  return { sql: text, bindings };
}

function isSql(x: unknown): x is Sql {
  return typeof x === 'object' && x !== null && 'sql' in x && 'bindings' in x;
}

const ident = (name: string): Sql => ({ sql: '??', bindings: [name] });
const oneOf = (type: Sql, names: string[]): Sql => sql(`% IN (${names.map(() => '%').join(', ')})`, type, ...names);

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** PostgreSQL rejects NUL in text, and unpaired surrogates would be silently replaced on the way in. */
function assertStorable(value: string): void {
  if (value.includes('\u0000')) throw new InvalidInput('A query value cannot contain the NUL character');
  if (UNPAIRED_SURROGATE.test(value)) throw new InvalidInput('A query value cannot contain an unpaired surrogate');
}

/** String comparison of a non-NULL text expression; case-sensitive and in code-point order on both backends. */
function stringPredicate(op: CompareOp, expr: Sql, value: string, dialect: Dialect): Sql {
  assertStorable(value);
  if (op === 'eq') return sql('% = %', expr, value);
  if (op === 'co') return dialect !== 'pg' ? sql('instr(%, %) > 0', expr, value) : sql('strpos(%, %::text) > 0', expr, value);
  if (op === 'sw') {
    // MariaDB/MySQL: instr counts characters of text and bytes of a binary string alike from 1.
    if (dialect === 'mysql') return sql('instr(%, %) = 1', expr, value);
    return dialect === 'sqlite' ? sql('substr(%, 1, length(%)) = %', expr, value, value) : sql('starts_with(%, %::text)', expr, value);
  }
  return sql(`${dialect === 'pg' ? '% COLLATE "C"' : '%'} ${ORDERING[op]} %`, expr, value);
}

function columnPredicate(op: CompareOp, column: string, type: 'string' | 'number' | 'boolean' | 'id', value: FilterValue, dialect: Dialect): Sql {
  if (type === 'id') {
    if (typeof value === 'string' && /^\d{1,15}$/.test(value)) value = Number(value);
    else if (typeof value !== 'number') return FALSE_SQL;
    type = 'number';
  }
  if (value === null || typeof value !== type) return FALSE_SQL;
  // `col IS NOT NULL AND …` keeps the predicate two-valued when the column is NULL.
  const guard = (p: Sql) => sql('% IS NOT NULL AND %', ident(column), p);
  if (typeof value === 'string') return guard(stringPredicate(op, ident(column), value, dialect));
  if (typeof value === 'number') {
    const operator = numericOperator(op);
    return operator ? guard(sql(`% ${operator} %`, ident(column), value)) : FALSE_SQL;
  }
  if (op !== 'eq') return FALSE_SQL;
  return guard(sql('% = %', ident(column), dialect !== 'pg' ? (value ? 1 : 0) : value));
}

function jsonPredicate(op: CompareOp, f: JsonField, value: FilterValue, dialect: Dialect): Sql {
  // The type test comes first and is never NULL, so `guard AND cmp` is FALSE, never NULL, when it fails.
  if (typeof value === 'string') {
    return sql('% = % AND %', f.type, f.names.string, stringPredicate(op, f.text, value, dialect));
  }
  if (typeof value === 'number') {
    const operator = numericOperator(op);
    if (!operator) return FALSE_SQL;
    // PostgreSQL compares jsonb numbers numerically; no cast, so no stored value can make the query fail.
    const cmp =
      dialect === 'sqlite' ? sql(`% ${operator} %`, f.json, value)
      // MariaDB/MySQL: the number's text as a double, only where the type test passed.
      : dialect === 'mysql' ? sql(`CASE WHEN % THEN CAST(% AS DOUBLE) END ${operator} %`, oneOf(f.type, f.names.number), f.json, value)
      : sql(`% ${operator} %::jsonb`, f.json, JSON.stringify(value));
    return sql('% AND %', oneOf(f.type, f.names.number), cmp);
  }
  if (typeof value === 'boolean' && op === 'eq') {
    // SQLite reports true/false as types of their own; PostgreSQL compares the jsonb values.
    if (dialect === 'sqlite') return sql('% = %', f.type, String(value));
    if (dialect === 'mysql') return sql('% = % AND % = %', f.type, 'boolean', f.text, String(value));
    return sql('% = % AND % = %::jsonb', f.type, 'boolean', f.json, String(value));
  }
  return FALSE_SQL;
}

function presentPredicate(target: FieldTarget, dialect: Dialect): Sql {
  if (target.kind === 'column') return sql('% IS NOT NULL', ident(target.column));
  return sql("% <> 'null'", jsonField(target, dialect).type);
}

function comparePredicate(op: CompareOp, target: FieldTarget, value: FilterValue, dialect: Dialect): Sql {
  if (target.kind === 'column') return columnPredicate(op, target.column, target.type ?? 'string', value, dialect);
  return jsonPredicate(op, jsonField(target, dialect), value, dialect);
}

function compile(filter: Filter, resolve: FieldResolver, dialect: Dialect): Compiled {
  switch (filter.type) {
    case 'literal': return { type: 'raw', sql: filter.value ? TRUE_SQL : FALSE_SQL };
    case 'and':
    case 'or': return { type: filter.type, operands: filter.operands.map((f) => compile(f, resolve, dialect)) };
    case 'not': return { type: 'not', operand: compile(filter.operand, resolve, dialect) };
    case 'present': return { type: 'raw', sql: presentPredicate(resolve(filter.field), dialect) };
    case 'compare': return { type: 'raw', sql: comparePredicate(filter.op, resolve(filter.field), filter.value, dialect) };
  }
}

function addTo(qb: Knex.QueryBuilder, c: Compiled): void {
  switch (c.type) {
    case 'raw':
      qb.whereRaw(c.sql.sql, c.sql.bindings);
      return;
    case 'and':
      if (c.operands.length === 0) qb.whereRaw(TRUE_SQL.sql);
      for (const op of c.operands) qb.where(function (this: Knex.QueryBuilder) { addTo(this, op); });
      return;
    case 'or':
      if (c.operands.length === 0) qb.whereRaw(FALSE_SQL.sql);
      for (const op of c.operands) qb.orWhere(function (this: Knex.QueryBuilder) { addTo(this, op); });
      return;
    case 'not':
      qb.whereNot(function (this: Knex.QueryBuilder) { addTo(this, c.operand); });
  }
}

export function applyFilter(qb: Knex.QueryBuilder, filter: Filter, resolve: FieldResolver, dialect: Dialect): Knex.QueryBuilder {
  const compiled = compile(filter, resolve, dialect);
  // Wrapped, so the caller's other where-clauses cannot bind to one of our ORs.
  return qb.where(function (this: Knex.QueryBuilder) { addTo(this, compiled); });
}

// ---- Sorting ----

/**
 * Sort keys that order alike on both backends: numbers, then strings (code-point order), then
 * booleans (false first), then objects and arrays; missing and null sort as the largest values.
 */
function jsonSortKeys(f: JsonField, dialect: Dialect): Sql[] {
  const t = f.type;
  if (dialect === 'sqlite') {
    return [
      sql("CASE % WHEN 'integer' THEN 0 WHEN 'real' THEN 0 WHEN 'text' THEN 1 WHEN 'false' THEN 2 WHEN 'true' THEN 2 WHEN 'null' THEN 4 ELSE 3 END", t),
      // json_extract gives numbers natively and true/false as 1/0.
      sql("CASE WHEN % IN ('integer', 'real', 'true', 'false') THEN % END", t, f.json),
      sql("CASE WHEN % = 'text' THEN % END", t, f.text),
    ];
  }
  if (dialect === 'mysql') {
    const number = oneOf(t, f.names.number);
    return [
      sql("CASE WHEN % THEN 0 WHEN % = 'string' THEN 1 WHEN % = 'boolean' THEN 2 WHEN % = 'null' THEN 4 ELSE 3 END", number, t, t, t),
      sql("CASE WHEN % THEN CAST(% AS DOUBLE) WHEN % = 'boolean' THEN (% = 'true') END", number, f.json, t, f.text),
      sql("CASE WHEN % = 'string' THEN % END", t, f.text),
    ];
  }
  return [
    sql("CASE % WHEN 'number' THEN 0 WHEN 'string' THEN 1 WHEN 'boolean' THEN 2 WHEN 'null' THEN 4 ELSE 3 END", t),
    // The casts sit inside CASE, so they only ever see values of the right type.
    sql("CASE % WHEN 'number' THEN %::numeric WHEN 'boolean' THEN %::boolean::int END", t, f.json, f.json),
    sql(`CASE WHEN % = 'string' THEN % COLLATE "C" END`, t, f.text),
  ];
}

function columnSortKeys(target: { column: string; type?: string }, dialect: Dialect): Sql[] {
  const collate = dialect === 'pg' && (target.type ?? 'string') === 'string' ? ' COLLATE "C"' : '';
  return [sql('(% IS NULL)', ident(target.column)), sql(`%${collate}`, ident(target.column))];
}

export function orderByField(qb: Knex.QueryBuilder, field: string[], descending: boolean, resolve: FieldResolver, dialect: Dialect): Knex.QueryBuilder {
  const target = resolve(field);
  const keys = target.kind === 'column' ? columnSortKeys(target, dialect) : jsonSortKeys(jsonField(target, dialect), dialect);
  const direction = descending ? 'DESC' : 'ASC';
  for (const key of keys) qb.orderByRaw(`${key.sql} ${direction}`, key.bindings);
  return qb;
}
