// 6. Hostile input. Each request is answered with a clear 4xx (CREST {code, reason, message} where
// the answer comes from the application), never a 5xx, a hang or a crash; nothing it names is
// read, written or leaked; afterwards the SAME server still runs the sample's walkthrough.
// Runs on SQLite and on PostgreSQL (which refuses NUL bytes and over-long strings that SQLite takes).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ADMIN, attempt, csvOf, isCrestError, makeProject, pgDb, record, reproduce, request, Reply, RequestOptions, ROOT, ServerProc, sqliteDb, startRecon, startServer,
  TestDatabase, testDb, until, varExpr, waitRecon, count, rows,
} from './harness';

// The sample's own walkthrough script, beside the repository (as .ci/run finds it).
const WALKTHROUGH = process.env.SEED_WALKTHROUGH ?? path.resolve(process.env.SHARED_DIR ?? path.join(ROOT, '..', 'shared'), 'acceptance', 'seed-walkthrough.mjs');
const BOB = { 'X-OpenIDM-Username': 'bob', 'X-OpenIDM-Password': 'B0b-secret' };
const q = encodeURIComponent;

interface Case {
  group: string;
  name: string;
  method: string;
  path: string;
  opts?: RequestOptions;
  /** Acceptable statuses (all 4xx). */
  expect: number[];
  /** Extra check on the reply. */
  check?: (r: Reply) => void;
}

interface Tally {
  tried: number;
  as4xx: number;
  unexpected: string[];
}

function bpmn(processId: string, body = '<bpmn:startEvent id="s" />', doctype = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${doctype}<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_${processId}" targetNamespace="http://reconflow.example/test"><bpmn:process id="${processId}" isExecutable="true">${body}</bpmn:process></bpmn:definitions>`;
}

const BILLION_LAUGHS = bpmn(
  'lolz',
  '<bpmn:startEvent id="s" name="&lol9;" />',
  '<!DOCTYPE lolz [<!ENTITY lol "lol">' +
    Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('') +
    ']>\n',
);
const XXE = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'bpmn', 'xxe.bpmn'), 'utf8');
const DEEP_XML = bpmn('deep', '<bpmn:documentation>' + '<x>'.repeat(200_000) + '</x>'.repeat(200_000) + '</bpmn:documentation>');

function hostileCases(taskId: string, backend: 'sqlite' | 'pg'): Case[] {
  const json = (raw: string, type = 'application/json'): RequestOptions => ({ headers: { ...ADMIN, 'Content-Type': type }, raw });
  const admin: RequestOptions = { headers: ADMIN };
  const noLeak = (r: Reply) => expect(r.text).not.toMatch(/scrypt\$|password_hash|SQLITE_|syntax error at|at .*\.js:\d+/);
  const noPassword = (r: Reply) => {
    noLeak(r);
    expect(r.text).not.toMatch(/"password"/);
  };
  const empty = (r: Reply) => expect(r.status === 200 ? r.body.result : []).toEqual([]);
  const cases: Case[] = [];
  const add = (group: string, list: Omit<Case, 'group'>[]) => cases.push(...list.map((c) => ({ group, ...c })));

  add('malformed JSON', [
    { name: 'truncated object', method: 'POST', path: '/managed/user?_action=create', opts: json('{"userName": "x", '), expect: [400] },
    { name: 'not JSON at all', method: 'POST', path: '/managed/user?_action=create', opts: json('userName=x&sn=y'), expect: [400] },
    { name: 'an array body', method: 'POST', path: '/managed/user?_action=create', opts: json('[{"userName":"x"}]'), expect: [400] },
    { name: 'a bare string', method: 'POST', path: '/managed/user?_action=create', opts: json('"x"'), expect: [400] },
    // Decoded with replacement characters: a JSON object with an odd key, refused by the policy (403).
    { name: 'invalid UTF-8', method: 'POST', path: '/managed/user?_action=create', opts: { headers: { ...ADMIN, 'Content-Type': 'application/json' }, raw: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) }, expect: [400, 403] },
    { name: 'nested 300,000 deep', method: 'POST', path: '/managed/user?_action=create', opts: json('['.repeat(300_000) + ']'.repeat(300_000)), expect: [400, 413] },
    { name: '__proto__ key (prototype pollution)', method: 'POST', path: '/managed/user?_action=create', opts: json('{"_id":"proto1","userName":"proto1","__proto__":{"authzRoles":[{"_ref":"internal/role/openidm-admin"}]}}'), expect: [400] },
    { name: 'a JSON patch that is not a list', method: 'PATCH', path: '/managed/user/bob', opts: json('{"operation":"replace"}', 'application/json-patch+json'), expect: [400] },
    { name: 'a complete with a non-object body', method: 'POST', path: `/workflow/taskinstance/${taskId}?_action=complete`, opts: json('[true]'), expect: [400] },
    { name: 'a complete without the required field', method: 'POST', path: `/workflow/taskinstance/${taskId}?_action=complete`, opts: json('{}'), expect: [400] },
    { name: 'a complete with a NUL in a value', method: 'POST', path: `/workflow/taskinstance/${taskId}?_action=complete`, opts: json('{"requestApproved":"true","note":"a\\u0000b"}'), expect: [400] },
    { name: 'a complete with a value outside the enum', method: 'POST', path: `/workflow/taskinstance/${taskId}?_action=complete`, opts: json('{"requestApproved":"maybe"}'), expect: [400] },
    { name: 'UI sign-in with broken JSON', method: 'POST', path: '/authentication?_action=login', opts: { headers: { 'Content-Type': 'application/json' }, raw: '{"username":' }, expect: [400] },
  ]);
  add('10 MB body', [
    { name: '10 MB JSON create', method: 'POST', path: '/managed/user?_action=create', opts: json(JSON.stringify({ userName: 'big', description: 'x'.repeat(10 * 1024 * 1024) })), expect: [413] },
    { name: '10 MB complete', method: 'POST', path: `/workflow/taskinstance/${taskId}?_action=complete`, opts: json(JSON.stringify({ requestApproved: 'true', note: 'x'.repeat(10 * 1024 * 1024) })), expect: [413] },
    { name: '10 MB UI sign-in', method: 'POST', path: '/authentication?_action=login', opts: { headers: { 'Content-Type': 'application/json' }, raw: JSON.stringify({ username: 'x', password: 'y'.repeat(10 * 1024 * 1024) }) }, expect: [413] },
  ]);
  add('wrong content type', [
    { name: 'text/plain', method: 'POST', path: '/managed/user?_action=create', opts: json('{"userName":"ct1"}', 'text/plain'), expect: [415] },
    { name: 'form-urlencoded', method: 'POST', path: '/managed/user?_action=create', opts: json('userName=ct2', 'application/x-www-form-urlencoded'), expect: [415] },
    { name: 'multipart', method: 'PUT', path: '/managed/user/ct3', opts: json('--b\r\n\r\nx\r\n--b--', 'multipart/form-data; boundary=b'), expect: [415] },
    { name: 'JSON with an unknown charset', method: 'POST', path: '/managed/user?_action=create', opts: json('{"userName":"ct4"}', 'application/json; charset=ebcdic'), expect: [415] },
    { name: 'a BPMN upload as JSON', method: 'POST', path: '/workflow/processdefinition', opts: json('{"xml":"<x/>"}'), expect: [415] },
  ]);
  const filters: [string, string, number[], ((r: Reply) => void)?][] = [
    ['unbalanced parentheses', '((userName eq "x"', [400]],
    ['a dangling operator', 'userName eq', [400]],
    ['an unknown operator', 'userName like "x"', [400]],
    ['an empty filter', '', [400]],
    ['unterminated string', 'userName eq "x', [400]],
    ['10,000 nested parentheses', '('.repeat(10_000) + 'true' + ')'.repeat(10_000), [400, 414, 431]],
    ['a 5,000-term or-chain', Array.from({ length: 5_000 }, (_, i) => `userName eq "u${i}"`).join(' or '), [400, 414, 431]],
    ['quote injection', `userName eq "x' OR '1'='1"`, [200], empty],
    ['escaped quote injection', 'userName eq "x\\" or true or \\"x"', [200], empty],
    ['comment injection', 'userName eq "x"; DROP TABLE managed_user; --', [400]],
    ['union in a value', `userName eq "' UNION SELECT password_hash FROM managed_user --"`, [200], empty],
    ['injection in a field name', '/userName" OR 1=1 -- eq "x"', [400]],
    ['a field with SQL', `/obj') OR ('1'='1 eq "x"`, [400]],
    ['the password field', 'password sw "scrypt"', [400]],
    ['the hash column', 'password_hash pr', [200, 400], empty],
    ['LIKE wildcards in sw', 'userName sw "%"', [200], empty],
    ['LIKE wildcards in co', 'userName co "_"', [200], empty],
    ['a NUL byte in a value', 'userName eq "a\u0000b"', [400]],
    ['an escaped unpaired surrogate', 'userName eq "\\ud800"', [200, 400], empty],
    ['a JSON-path escape', "/authzRoles/0/_ref eq \"x\"", [200, 400], empty],
  ];
  add('_queryFilter garbage and SQL injection', filters.map(([name, f, st, check]) => ({ name, method: 'GET', path: `/managed/user?_queryFilter=${q(f)}`, opts: admin, expect: st, check: (r: Reply) => { noLeak(r); check?.(r); } })));
  add('_queryFilter garbage and SQL injection', [
    { name: 'a surrogate as raw UTF-8 bytes', method: 'GET', path: `/managed/user?_queryFilter=${q('userName eq "')}%ED%A0%80${q('"')}`, opts: admin, expect: [200, 400], check: empty },
    { name: 'tasks: injection in a variable path', method: 'GET', path: `/workflow/taskinstance?_queryFilter=${q(`processVariables/sourceId') OR 1=1 -- eq "x"`)}`, opts: admin, expect: [400] },
    { name: 'tasks: quote injection in a variable value', method: 'GET', path: `/workflow/taskinstance?_queryFilter=${q(`processVariables/sourceId eq "x' OR '1'='1"`)}`, opts: admin, expect: [200], check: empty },
    { name: 'jobs: unknown field', method: 'GET', path: `/jobs?_queryFilter=${q('payload co "x"')}`, opts: admin, expect: [400] },
    { name: 'audit: injection in a value', method: 'GET', path: `/audit/recon?_queryFilter=${q(`reconId eq "x' OR 1=1 --"`)}`, opts: admin, expect: [200], check: empty },
    { name: 'instances: unknown field', method: 'GET', path: `/workflow/processinstance?_queryFilter=${q('state pr')}`, opts: admin, expect: [400] },
    { name: 'a _queryId that does not exist', method: 'GET', path: '/managed/user?_queryId=get-by-field-value', opts: admin, expect: [400] },
    { name: '_pageSize not a number', method: 'GET', path: '/managed/user?_queryFilter=true&_pageSize=1;DROP', opts: admin, expect: [400] },
    { name: '_pageSize huge', method: 'GET', path: '/managed/user?_queryFilter=true&_pageSize=99999999999', opts: admin, expect: [400] },
    { name: 'a forged paging cookie', method: 'GET', path: `/managed/user?_queryFilter=true&_pagedResultsCookie=${q("' OR 1=1")}`, opts: admin, expect: [400] },
    { name: 'a parameter given twice', method: 'GET', path: '/managed/user?_queryFilter=true&_queryFilter=false', opts: admin, expect: [400] },
  ]);
  add('_sortKeys and _fields', [
    { name: '_sortKeys with SQL', method: 'GET', path: `/managed/user?_queryFilter=true&_sortKeys=${q('userName; DROP TABLE managed_user')}`, opts: admin, expect: [400] },
    { name: '_sortKeys with a subquery', method: 'GET', path: `/managed/user?_queryFilter=true&_sortKeys=${q('(SELECT password_hash FROM managed_user)')}`, opts: admin, expect: [400] },
    { name: '_sortKeys on the password (ordering oracle)', method: 'GET', path: '/managed/user?_queryFilter=true&_sortKeys=password', opts: admin, expect: [400] },
    { name: '_sortKeys on the hash column', method: 'GET', path: '/managed/user?_queryFilter=true&_sortKeys=-password_hash', opts: admin, expect: [200, 400], check: noPassword },
    { name: '_sortKeys with 50 keys', method: 'GET', path: `/managed/user?_queryFilter=true&_sortKeys=${Array.from({ length: 50 }, (_, i) => `f${i}`).join(',')}`, opts: admin, expect: [400] },
    { name: '_sortKeys empty key', method: 'GET', path: '/managed/user?_queryFilter=true&_sortKeys=,-', opts: admin, expect: [400] },
    { name: '_fields=password', method: 'GET', path: '/managed/user?_queryFilter=true&_fields=password', opts: admin, expect: [200], check: noPassword },
    { name: '_fields=password on a read', method: 'GET', path: '/managed/user/bob?_fields=password,password_hash,obj', opts: admin, expect: [200], check: noPassword },
    { name: '_fields=__proto__', method: 'GET', path: `/managed/user/bob?_fields=${q('__proto__/polluted,constructor/prototype')}`, opts: admin, expect: [200], check: (r) => expect(({} as Record<string, unknown>).polluted).toBeUndefined() },
    { name: '_fields with SQL', method: 'GET', path: `/managed/user?_queryFilter=true&_fields=${q('userName FROM managed_user; --')}`, opts: admin, expect: [200, 400], check: noPassword },
    { name: '_fields with 500 names', method: 'GET', path: `/managed/user?_queryFilter=true&_fields=${Array.from({ length: 500 }, (_, i) => `f${i}`).join(',')}`, opts: admin, expect: [400] },
    { name: 'task _fields asking for the engine state', method: 'GET', path: `/workflow/taskinstance/${taskId}?_fields=state,xml`, opts: admin, expect: [200], check: (r) => expect(r.body.state).toBeUndefined() },
  ]);
  const longId = 'a'.repeat(5_000);
  add('hostile ids', [
    { name: '../ in a user id', method: 'GET', path: `/managed/user/${q('../../conf/authentication.json')}`, opts: admin, expect: [400, 404] },
    { name: 'a raw ../ path', method: 'GET', path: '/managed/user/../../../etc/passwd', opts: admin, expect: [404] },
    { name: '%00 in a user id', method: 'GET', path: '/managed/user/bob%00admin', opts: admin, expect: [400, 404] },
    { name: '%00 alone', method: 'GET', path: '/managed/user/%00', opts: admin, expect: [400, 404] },
    { name: 'broken percent-encoding', method: 'GET', path: '/managed/user/%E0%A4%A', opts: admin, expect: [400] },
    { name: 'a 5,000-character user id', method: 'GET', path: `/managed/user/${longId}`, opts: admin, expect: [400, 404] },
    { name: 'create with a 5,000-character id', method: 'PUT', path: `/managed/user/${longId}`, opts: { headers: ADMIN, body: { userName: 'long1', sn: 'x' } }, expect: [400] },
    { name: 'create with a ../ id', method: 'POST', path: '/managed/user?_action=create', opts: { headers: ADMIN, body: { _id: '../admin', userName: 'dots1' } }, expect: [400] },
    { name: 'create with a NUL in the id', method: 'POST', path: '/managed/user?_action=create', opts: { headers: ADMIN, body: { _id: 'nul\u0000id', userName: 'nul1' } }, expect: [400] },
    // The MAX_LENGTH:255 policy of src/managed answers the same on both backends.
    { name: 'create with a 300-character userName', method: 'POST', path: '/managed/user?_action=create', opts: { headers: ADMIN, body: { _id: 'longname', userName: 'n'.repeat(300) } }, expect: [403] },
    { name: 'create with a NUL in a value', method: 'POST', path: '/managed/user?_action=create', opts: { headers: ADMIN, body: { _id: 'nulvalue', userName: 'nulvalue', sn: 'a\u0000b' } }, expect: [400] },
    { name: '%00 in a recon id', method: 'GET', path: '/recon/abc%00def', opts: admin, expect: [400, 404] },
    { name: 'a 5,000-character recon id', method: 'GET', path: `/recon/${longId}`, opts: admin, expect: [400, 404] },
    { name: '%00 in an internal user id', method: 'GET', path: '/internal/user/openidm-admin%00', opts: admin, expect: [400, 404] },
    { name: '../ in a config name', method: 'GET', path: `/config/${q('../conf/authentication')}`, opts: admin, expect: [404] },
    { name: 'the authentication config', method: 'GET', path: '/config/authentication', opts: admin, expect: [404] },
    { name: '__proto__ as a config name', method: 'GET', path: '/config/__proto__', opts: admin, expect: [404] },
    { name: '../ in a connector object id', method: 'GET', path: `/system/csvfile/account/${q('../../../etc/passwd')}`, opts: admin, expect: [404] },
    { name: '../ in a connector name', method: 'GET', path: `/system/${q('../../etc')}/account`, opts: admin, expect: [404] },
    { name: 'a task id that is not a number', method: 'GET', path: `/workflow/taskinstance/${q('1 OR 1=1')}`, opts: admin, expect: [404] },
    { name: 'a task id beyond 2^53', method: 'POST', path: '/workflow/taskinstance/99999999999999999999?_action=complete', opts: { headers: ADMIN, body: { requestApproved: 'true' } }, expect: [404] },
    { name: 'a negative job id', method: 'GET', path: '/jobs/-1', opts: admin, expect: [404] },
    { name: '%00 in a definition id', method: 'GET', path: '/workflow/processdefinition/managedUserApproval%00', opts: admin, expect: [400, 404] },
    { name: 'a 5,000-character definition id', method: 'DELETE', path: `/workflow/processdefinition/${longId}`, opts: admin, expect: [400, 404] },
    { name: 'a 64 KB URL', method: 'GET', path: `/managed/user/${'b'.repeat(65_536)}`, opts: admin, expect: [400, 404, 414, 431] },
    { name: 'UI: ../ out of public/', method: 'GET', path: '/../ui/..%2F..%2Fconf%2Fauthentication.json', expect: [400, 404] },
    { name: 'UI: encoded ../ out of bpmn-js', method: 'GET', path: '/../vendor/bpmn-js/..%2F..%2F..%2Fpackage.json', expect: [400, 404] },
    { name: 'UI: dot-dot segments', method: 'GET', path: '/../admin/%2e%2e/%2e%2e/conf/authentication.json', expect: [400, 404] },
  ]);
  add('unknown _action', [
    { name: 'managed user', method: 'POST', path: '/managed/user?_action=delete', opts: { headers: ADMIN, body: {} }, expect: [400] },
    { name: 'managed user, no action (a CREST create: an empty body fails policy)', method: 'POST', path: '/managed/user', opts: { headers: ADMIN, body: {} }, expect: [403] },
    { name: 'task', method: 'POST', path: `/workflow/taskinstance/${taskId}?_action=approveAll`, opts: { headers: ADMIN, body: {} }, expect: [400] },
    { name: 'task, action given twice', method: 'POST', path: `/workflow/taskinstance/${taskId}?_action=claim&_action=complete`, opts: { headers: ADMIN, body: { requestApproved: 'true' } }, expect: [400] },
    { name: 'recon', method: 'POST', path: '/recon?_action=reconAll&mapping=x', opts: admin, expect: [400] },
    { name: 'recon of an unknown mapping', method: 'POST', path: `/recon?_action=recon&mapping=${q("x' OR 1=1")}`, opts: admin, expect: [400] },
    { name: 'process instance', method: 'POST', path: '/workflow/processinstance?_action=delete', opts: { headers: ADMIN, body: {} }, expect: [400] },
    { name: 'job', method: 'POST', path: '/jobs/1?_action=runNow', opts: admin, expect: [400] },
    { name: 'sync', method: 'POST', path: `/sync?_action=performAction&mapping=systemCsvfileAccounts_managedUser&sourceId=bjensen&action=${q('DROP')}`, opts: admin, expect: [400] },
    { name: 'sign-in', method: 'POST', path: '/authentication?_action=sudo', opts: { headers: { 'Content-Type': 'application/json' }, raw: '{}' }, expect: [400] },
  ]);
  const xml = (raw: string | Buffer, type = 'application/xml'): RequestOptions => ({ headers: { ...ADMIN, 'Content-Type': type }, raw });
  add('hostile BPMN', [
    { name: 'XXE (file:///etc/passwd)', method: 'POST', path: '/workflow/processdefinition', opts: xml(XXE), expect: [400], check: (r) => expect(r.text).not.toMatch(/root:/) },
    { name: 'billion laughs', method: 'POST', path: '/workflow/processdefinition', opts: xml(BILLION_LAUGHS), expect: [400] },
    { name: 'external DTD', method: 'POST', path: '/workflow/processdefinition', opts: xml(bpmn('ext', undefined, '<!DOCTYPE x SYSTEM "http://127.0.0.1:1/evil.dtd">\n')), expect: [400] },
    { name: '50 MB upload', method: 'POST', path: '/workflow/processdefinition', opts: xml(bpmn('huge', `<bpmn:documentation>${'x'.repeat(50 * 1024 * 1024)}</bpmn:documentation>`)), expect: [413] },
    { name: '200,000 nested elements', method: 'POST', path: '/workflow/processdefinition', opts: xml(DEEP_XML), expect: [400] },
    { name: 'not XML', method: 'POST', path: '/workflow/processdefinition', opts: xml('this is not xml <<<'), expect: [400] },
    { name: 'XML that is not BPMN', method: 'POST', path: '/workflow/processdefinition', opts: xml('<?xml version="1.0"?><html><script>alert(1)</script></html>'), expect: [400] },
    { name: 'a script task running host code', method: 'POST', path: '/workflow/processdefinition?resourceName=../../evil.bpmn', opts: xml(bpmn('evil', '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/><bpmn:scriptTask id="t" scriptFormat="javascript"><bpmn:script>require("fs").writeFileSync("/tmp/reconflow-pwned","x")</bpmn:script></bpmn:scriptTask>')), expect: [200, 201, 400], check: () => expect(fs.existsSync('/tmp/reconflow-pwned')).toBe(false) },
    { name: 'BPMN upload by anonymous', method: 'POST', path: '/workflow/processdefinition', opts: { headers: { 'Content-Type': 'application/xml' }, raw: bpmn('anon') }, expect: [401] },
    { name: 'BPMN upload by a non-admin', method: 'POST', path: '/workflow/processdefinition', opts: { headers: { ...BOB, 'Content-Type': 'application/xml' }, raw: bpmn('bob') }, expect: [403] },
  ]);
  add('authorization', [
    { name: 'bob completes a task assigned to async.admin', method: 'POST', path: `/workflow/taskinstance/${taskId}?_action=complete`, opts: { headers: BOB, body: { requestApproved: 'true' } }, expect: [403] },
    { name: 'bob claims it', method: 'POST', path: `/workflow/taskinstance/${taskId}?_action=claim`, opts: { headers: BOB, body: {} }, expect: [403] },
    { name: 'bob claims it for async.admin', method: 'POST', path: `/workflow/taskinstance/${taskId}?_action=claim`, opts: { headers: BOB, body: { userId: 'async.admin' } }, expect: [403] },
    { name: 'bob reassigns it', method: 'PUT', path: `/workflow/taskinstance/${taskId}`, opts: { headers: BOB, body: { assignee: 'bob' } }, expect: [403] },
    { name: 'bob reads it', method: 'GET', path: `/workflow/taskinstance/${taskId}`, opts: { headers: BOB }, expect: [403, 404] },
    { name: 'bob reads another user', method: 'GET', path: '/managed/user/carol', opts: { headers: BOB }, expect: [403] },
    { name: 'bob reads a user that does not exist', method: 'GET', path: '/managed/user/nobody', opts: { headers: BOB }, expect: [403] },
    { name: 'bob queries users', method: 'GET', path: '/managed/user?_queryFilter=true', opts: { headers: BOB }, expect: [403] },
    { name: 'bob changes another user', method: 'PUT', path: '/managed/user/carol', opts: { headers: BOB, body: { userName: 'carol', sn: 'pwned' } }, expect: [403] },
    { name: 'bob deletes another user', method: 'DELETE', path: '/managed/user/carol', opts: { headers: BOB }, expect: [403] },
    { name: 'bob makes himself admin (PATCH)', method: 'PATCH', path: '/managed/user/bob', opts: { headers: BOB, body: [{ operation: 'add', field: '/authzRoles/-', value: { _ref: 'internal/role/openidm-admin' } }] }, expect: [403] },
    { name: 'bob makes himself admin (PUT)', method: 'PUT', path: '/managed/user/bob', opts: { headers: BOB, body: { userName: 'bob', sn: 'b', authzRoles: [{ _ref: 'internal/role/openidm-admin' }] } }, expect: [403] },
    { name: 'bob renames himself to openidm-admin', method: 'PATCH', path: '/managed/user/bob', opts: { headers: BOB, body: [{ operation: 'replace', field: '/userName', value: 'async.admin' }] }, expect: [400, 403, 409] },
    { name: 'bob reads the admin account', method: 'GET', path: '/internal/user/openidm-admin', opts: { headers: BOB }, expect: [403] },
    { name: 'bob starts a recon', method: 'POST', path: '/recon?_action=recon&mapping=systemCsvfileAccounts_managedUser', opts: { headers: BOB }, expect: [403] },
    { name: 'bob reads the jobs', method: 'GET', path: '/jobs?_queryFilter=true', opts: { headers: BOB }, expect: [403] },
    { name: 'bob reads the audit', method: 'GET', path: '/audit/recon?_queryFilter=true', opts: { headers: BOB }, expect: [403] },
    { name: 'bob reads the sync config', method: 'GET', path: '/config/sync', opts: { headers: BOB }, expect: [403] },
    { name: 'bob reads the CSV source', method: 'GET', path: '/system/csvfile/account?_queryFilter=true', opts: { headers: BOB }, expect: [403] },
    { name: 'bob starts a process', method: 'POST', path: '/workflow/processinstance?_action=create', opts: { headers: BOB, body: { _key: 'managedUserApproval', sourceId: 'x' } }, expect: [403] },
    { name: 'bob lists process instances', method: 'GET', path: '/workflow/processinstance?_queryFilter=true', opts: { headers: BOB }, expect: [403] },
  ]);
  const anonymous: [string, string][] = [
    ['GET', '/info/login'], ['GET', '/managed/user?_queryFilter=true'], ['GET', '/managed/user/bob'], ['POST', '/managed/user?_action=create'], ['PUT', '/managed/user/x'],
    ['PATCH', '/managed/user/bob'], ['DELETE', '/managed/user/bob'], ['GET', '/workflow/taskinstance?_queryFilter=true'], ['GET', `/workflow/taskinstance/${taskId}`],
    ['POST', `/workflow/taskinstance/${taskId}?_action=complete`], ['GET', '/workflow/processdefinition?_queryFilter=true'], ['GET', '/workflow/processinstance?_queryFilter=true'],
    ['POST', '/recon?_action=recon&mapping=systemCsvfileAccounts_managedUser'], ['GET', '/recon'], ['GET', '/audit/recon?_queryFilter=true'], ['GET', '/jobs?_queryFilter=true'],
    ['GET', '/config/sync'], ['GET', '/system/csvfile/account?_queryFilter=true'], ['GET', '/internal/user/openidm-admin'], ['GET', '/authentication'], ['GET', '/nonexistent'],
  ];
  add('anonymous', anonymous.map(([method, p]) => ({ name: `${method} ${p}`, method, path: p, opts: ['POST', 'PUT', 'PATCH'].includes(method) ? { body: {} } : {}, expect: [401] })));
  add('anonymous', [
    // Failed sign-ins count against their address (see the rate-limit test): these come from 127.0.0.9.
    { name: 'empty credentials', method: 'GET', path: '/managed/user/bob', opts: { headers: { 'X-OpenIDM-Username': '', 'X-OpenIDM-Password': '' }, localAddress: '127.0.0.9' }, expect: [401] },
    { name: 'a username alone', method: 'GET', path: '/managed/user/bob', opts: { headers: { 'X-OpenIDM-Username': 'bob' }, localAddress: '127.0.0.9' }, expect: [401] },
    { name: 'malformed Basic', method: 'GET', path: '/managed/user/bob', opts: { headers: { Authorization: 'Basic !!!not-base64' }, localAddress: '127.0.0.9' }, expect: [401] },
    { name: 'a forged session cookie', method: 'GET', path: '/managed/user/bob', opts: { headers: { Cookie: 'reconflow_session=forged' }, localAddress: '127.0.0.9' }, expect: [401] },
    { name: 'a 10,000-character password', method: 'GET', path: '/managed/user/bob', opts: { headers: { 'X-OpenIDM-Username': 'bob', 'X-OpenIDM-Password': 'p'.repeat(10_000) }, localAddress: '127.0.0.9' }, expect: [401, 431] },
  ]);
  return cases;
}

for (const backend of ['sqlite', 'pg'] as const) {
  describe(`hostile input (${backend})`, () => {
    let db: TestDatabase;
    let s: ServerProc;
    const tallies: Record<string, Tally> = {};
    const bump = (group: string, ok: boolean, what: string) => {
      const t = (tallies[group] ??= { tried: 0, as4xx: 0, unexpected: [] });
      t.tried++;
      if (ok) t.as4xx++;
      else t.unexpected.push(what);
    };

    beforeAll(async () => {
      db = backend === 'pg' ? await pgDb('hostile') : sqliteDb('hostile');
      // The sample project itself: the walkthrough runs against this same server at the end.
      s = await startServer({ projectDir: ROOT, databaseUrl: db.url, nodeId: `rel-hostile-${backend}` });
    });
    afterAll(async () => {
      s?.kill('SIGKILL');
      await s?.exited;
      await db?.drop();
    });

    let taskId = '';
    let instanceId = '';

    it('every hostile request gets a clear 4xx, and the server keeps serving', async () => {
      for (const u of [
        { _id: 'bob', userName: 'bob', sn: 'b', password: 'B0b-secret' },
        { _id: 'carol', userName: 'carol', sn: 'c', password: 'C4rol-secret' },
      ]) expect((await request(s.base, 'POST', '/managed/user?_action=create', { headers: ADMIN, body: u })).status).toBe(201);
      const started = await request(s.base, 'POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId: 'hostile-src' } });
      expect(started.status).toBe(201);
      instanceId = started.body._id;
      const tasks = await request(s.base, 'GET', `/workflow/taskinstance?_queryFilter=${q(`processInstanceId eq "${instanceId}"`)}`, { headers: ADMIN });
      taskId = tasks.body.result[0]._id;
      const usersBefore = await count(db.knex, 'SELECT COUNT(*) AS n FROM managed_user');

      const failures: string[] = [];
      for (const c of hostileCases(taskId, backend)) {
        const p = c.path.startsWith('/../') ? c.path.slice(3) : c.path;
        const base = c.path.startsWith('/../') ? s.base.replace(/\/openidm$/, '') : s.base;
        const r = await attempt(base, c.method, p, { timeoutMs: 30_000, ...c.opts });
        const appAnswer = typeof r.body === 'object' && r.body !== null;
        let ok = c.expect.includes(r.status) && (r.status < 400 || !appAnswer || isCrestError(r.body, r.status));
        let why = `${r.status || r.error} ${r.text.slice(0, 160)}`;
        if (ok && c.check) {
          try {
            c.check(r);
          } catch (e) {
            ok = false;
            why = `check failed: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`;
          }
        }
        bump(c.group, ok, `${c.name}: ${why}`);
        if (!ok) failures.push(`[${c.group}] ${c.name} (expected ${c.expect.join('/')}): ${why}`);
        // A hostile request never takes the server down.
        if (!s.alive()) throw new Error(`the server died after "${c.name}":\n${s.log()}`);
      }
      // The one value SQLite accepts (see the case): removed again.
      await attempt(s.base, 'DELETE', '/managed/user/longname', { headers: ADMIN });
      const created = (await rows<{ id: string }>(db.knex, 'SELECT id FROM managed_user ORDER BY id')).map((r) => r.id);
      if (failures.length || created.length !== usersBefore) console.log(`${backend}: ${failures.join('\n')}\nusers: ${created.join(', ')}`);
      // Nothing was created by any of them.
      expect(created).toHaveLength(usersBefore);
      expect(await count(db.knex, "SELECT COUNT(*) AS n FROM process_definition WHERE key <> 'managedUserApproval' AND key <> 'evil'")).toBe(0);
      expect((await request(s.base, 'GET', '/info/ping')).status).toBe(200);
      expect((await request(s.base, 'GET', '/managed/user/bob', { headers: ADMIN })).status).toBe(200);
      record({
        id: `6a-hostile-requests-${backend}`,
        scenario: 'Hostile requests',
        backend,
        injected: Object.keys(tallies).join('; '),
        tried: `${Object.values(tallies).reduce((a, t) => a + t.tried, 0)} requests`,
        lost: failures.length,
        doubled: 0,
        notes: 'lost = requests not answered with the expected 4xx (a 5xx, a hang, a leak, or a success)',
        measured: Object.fromEntries(Object.entries(tallies).map(([g, t]) => [g, { tried: t.tried, answered4xx: t.as4xx, unexpected: t.unexpected }])),
        command: reproduce('test/reliability/hostile.rel.ts', `hostile input (${backend})`),
      });
      expect(failures).toEqual([]);
    });

    it('script tasks in an uploaded BPMN cannot reach the host, loop forever or crash the server', async () => {
      const scripts: [string, string][] = [
        ['require', 'require("fs").writeFileSync("/tmp/reconflow-pwned", "x")'],
        ['process', 'variables.env = process.env.PATH'],
        ['escape', 'this.constructor.constructor("return process")().mainModule.require("fs").writeFileSync("/tmp/reconflow-pwned", "x")'],
        ['loop', 'while (true) {}'],
        ['throws', 'throw new Error("boom")'],
      ];
      const outcomes: Record<string, string> = {};
      for (const [name, code] of scripts) {
        const key = `hostileScript_${name}`;
        const xmlText = bpmn(key, `<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:scriptTask id="t" scriptFormat="javascript"><bpmn:script><![CDATA[${code}]]></bpmn:script></bpmn:scriptTask><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>`);
        const dep = await request(s.base, 'POST', '/workflow/processdefinition', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: xmlText });
        expect([200, 201]).toContain(dep.status);
        const pinged = attempt(s.base, 'GET', '/info/ping', { timeoutMs: 10_000 });
        const r = await request(s.base, 'POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: key } });
        expect((await pinged).status).toBe(200);
        const hist = r.body?._id ? await request(s.base, 'GET', `/workflow/processinstance/history/${r.body._id}`, { headers: ADMIN }) : null;
        outcomes[name] = `${r.status} ${r.body?.status ?? r.body?.message ?? ''}: ${hist?.body?.deleteReason ?? ''}`.slice(0, 200);
        // The instance fails with its error recorded (or is refused): never ends as if the script ran.
        expect(r.status === 201 ? r.body.status : 'refused').not.toBe('ended');
        expect(fs.existsSync('/tmp/reconflow-pwned')).toBe(false);
        expect(s.alive()).toBe(true);
      }
      record({
        id: `6d-hostile-scripts-${backend}`,
        scenario: 'Hostile script tasks',
        backend,
        injected: 'uploaded BPMN whose script task calls require, reads process, escapes via constructor.constructor, loops forever, throws',
        tried: `${scripts.length} processes`,
        lost: 0,
        doubled: 0,
        measured: outcomes,
        command: reproduce('test/reliability/hostile.rel.ts', 'script tasks'),
      });
    });

    it('a script task that overrides builtins, returns huge variables or allocates holds the server at most its 1000 ms limit', async () => {
      // Each runs while a process starts on the server's main thread; a ping sent 100 ms into it
      // waits for that thread. Before scripts ran in a child process, the first blocked it for
      // seconds (issue 13: 7.7 s) and the last aborted a server with a small heap.
      const scripts: [string, string, 'ended' | 'failed'][] = [
        ['stringify', `JSON.stringify = function () { return '{"v":{"big":[' + '0,'.repeat(6e7) + '0]}}' }; variables.ok = 1`, 'ended'],
        ['toJSON', 'variables.x = { toJSON: function () { while (true) {} } }; Object.defineProperty(Object.prototype, "y", { get: function () { while (true) {} } }); 1', 'ended'],
        ['bigVariables', "variables.big = new Array(4e6).fill('xxxxxxxxxxxxxxxxxxxx'); 1", 'failed'],
        ['allocate', 'var a = []; while (true) a.push(new Array(1e7).fill(a.length + 0.5))', 'failed'],
        ['microtasks', 'Promise.resolve().then(function f() { return Promise.resolve().then(f); })', 'failed'],
      ];
      const measured: Record<string, { pingMs: number; startMs: number; outcome: string }> = {};
      for (const [name, code, expected] of scripts) {
        const key = `blockingScript_${name}`;
        const xmlText = bpmn(key, `<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:scriptTask id="t" scriptFormat="javascript"><bpmn:script><![CDATA[${code}]]></bpmn:script></bpmn:scriptTask><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>`);
        const dep = await request(s.base, 'POST', '/workflow/processdefinition', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: xmlText });
        expect([200, 201]).toContain(dep.status);
        const t0 = Date.now();
        const started = request(s.base, 'POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: key }, timeoutMs: 30_000 }).then((r) => ({ r, ms: Date.now() - t0 }));
        await new Promise((resolve) => setTimeout(resolve, 100));
        const p0 = Date.now();
        const ping = await attempt(s.base, 'GET', '/info/ping', { timeoutMs: 30_000 });
        const pingMs = Date.now() - p0;
        const { r, ms } = await started;
        const hist = r.body?._id ? await request(s.base, 'GET', `/workflow/processinstance/history/${r.body._id}`, { headers: ADMIN }) : null;
        measured[name] = { pingMs, startMs: ms, outcome: `${r.status} ${r.body?.status ?? r.body?.message ?? ''}: ${hist?.body?.deleteReason ?? ''}`.slice(0, 200) };
        expect(ping.status).toBe(200);
        expect(s.alive()).toBe(true);
        if (expected === 'ended') expect([r.status, r.body.status]).toEqual([201, 'ended']);
        else expect(r.status === 201 ? r.body.status : 'refused').not.toBe('ended');
        // The limit, plus the process start's own work and a loaded 2-core machine.
        expect(pingMs).toBeLessThan(2_500);
      }
      record({
        id: `6e-blocking-scripts-${backend}`,
        scenario: 'Script tasks that try to hold the main thread',
        backend,
        injected: 'script tasks overriding JSON.stringify, toJSON and Object.prototype getters, returning 92 MB of variables, allocating without end, looping on promise jobs',
        tried: `${scripts.length} processes`,
        lost: 0,
        doubled: 0,
        notes: 'pingMs = time to answer /info/ping sent 100 ms after the process start (the main thread is blocked while the script runs, at most 1000 ms)',
        measured,
        command: reproduce('test/reliability/hostile.rel.ts', 'holds the server at most'),
      });
    });

    it('repeated wrong passwords are rate-limited per user and per address (429), and only there', async () => {
      const pw = (u: string, p: string) => ({ 'X-OpenIDM-Username': u, 'X-OpenIDM-Password': p });
      const from = (addr: string, headers: Record<string, string>) => attempt(s.base, 'GET', '/info/login', { headers, localAddress: addr });
      const statuses: number[] = [];
      // Five failures for carol from 127.0.0.2 (conf/authentication.json: maxFailures 5).
      for (let i = 0; i < 5; i++) statuses.push((await from('127.0.0.2', pw('carol', `wrong-${i}`))).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      const blocked = await from('127.0.0.2', pw('carol', 'C4rol-secret'));
      expect(blocked.status).toBe(429); // even the right password, now
      expect(isCrestError(blocked.body, 429)).toBe(true);
      // Per user: carol from elsewhere is blocked too; per address: bob from 127.0.0.2 as well.
      expect((await from('127.0.0.3', pw('carol', 'C4rol-secret'))).status).toBe(429);
      expect((await from('127.0.0.2', BOB)).status).toBe(429);
      // A spoofed X-Forwarded-For does not get around it (trust proxy is off).
      expect((await from('127.0.0.2', { ...BOB, 'X-Forwarded-For': '10.9.8.7' })).status).toBe(429);
      // The same through HTTP Basic and the UI sign-in.
      expect((await attempt(s.base, 'GET', '/info/login', { headers: { Authorization: `Basic ${Buffer.from('carol:C4rol-secret').toString('base64')}` }, localAddress: '127.0.0.4' })).status).toBe(429);
      expect((await attempt(s.base, 'POST', '/authentication?_action=login', { body: { username: 'carol', password: 'C4rol-secret' }, localAddress: '127.0.0.4' })).status).toBe(429);
      // Everyone else, from elsewhere, is served.
      expect((await from('127.0.0.4', BOB)).status).toBe(200);
      expect((await from('127.0.0.1', ADMIN)).status).toBe(200);
      // Unknown users are limited the same way (no user enumeration by behaviour).
      const ghost: number[] = [];
      for (let i = 0; i < 6; i++) ghost.push((await from('127.0.0.5', pw('ghost-user', 'x'))).status);
      expect(ghost).toEqual([401, 401, 401, 401, 401, 429]);
      record({
        id: `6b-rate-limit-${backend}`,
        scenario: 'Repeated wrong passwords',
        backend,
        injected: '5 wrong passwords for one user from one address, then the right one, from that and other addresses, via headers, Basic, UI sign-in and a spoofed X-Forwarded-For; 6 tries for an unknown user',
        tried: `${statuses.length + 7 + ghost.length} sign-ins`,
        lost: 0,
        doubled: 0,
        measured: { firstFive: statuses, afterLimit: blocked.status, unknownUser: ghost },
        command: reproduce('test/reliability/hostile.rel.ts', 'rate-limited'),
      });
    });

    it('after all of it, the same server runs the sample walkthrough', async () => {
      // Leave the repository as the walkthrough expects it: no users, no open task.
      for (const u of ['bob', 'carol']) expect((await request(s.base, 'DELETE', `/managed/user/${u}`, { headers: ADMIN })).status).toBe(200);
      expect((await request(s.base, 'DELETE', `/workflow/processinstance/${instanceId}`, { headers: ADMIN })).status).toBe(200);
      const out = await new Promise<{ code: number; text: string }>((resolve) =>
        execFile(process.execPath, [WALKTHROUGH, s.base], { timeout: 120_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: `${stdout}${stderr}` }),
        ),
      );
      if (out.code !== 0) throw new Error(`walkthrough failed:\n${out.text}\n--- server log ---\n${s.log()}`);
      expect(out.text).toMatch(/7 of 7 steps/);
      expect(s.alive()).toBe(true);
    });
  });
}

// A CSV source full of broken rows: the recon still ends SUCCESS, each broken row is a FAILURE
// entry with a message, and the good rows get their approvals.
describe('hostile CSV source', () => {
  const good = ['good1', 'good2', 'good3'];
  const badLines = [
    ['broken quotes', '"Created By CSV", "brk1", "brk1@example.com", "Bro"ken", "Q", "brk1@example.com", "555", "r"'],
    ['binary bytes', `"Created By CSV", "bin1", "bin1@example.com", "\u0000\u0001\u0002\u001b[31m", "B", "bin1@example.com", "555", "r"`],
    ['a 100,000-character field', `"Created By CSV", "long1", "long1@example.com", "${'L'.repeat(100_000)}", "L", "long1@example.com", "555", "r"`],
    ['too few columns', '"Created By CSV", "cols1", "cols1@example.com"'],
    ['too many columns', '"Created By CSV", "cols2", "cols2@example.com", "A", "B", "c@example.com", "555", "r", "extra", "more"'],
    ['an empty uid', '"Created By CSV", "", "nouid@example.com", "A", "B", "c@example.com", "555", "r"'],
    ['a duplicate uid', '"Created By CSV", "good1", "dup@example.com", "A", "B", "c@example.com", "555", "r"'],
  ];
  // Valid rows with hostile values: they are data, not code.
  const sneaky = '"<script>alert(1)</script>", "sneaky1", "sneaky1@example.com", "Robert\'); DROP TABLE managed_user; --", "=cmd|\' /C calc\'!A0", "s@example.com", "555", "internal/role/openidm-admin\' OR \'1\'=\'1"';
  const unterminated = '"Created By CSV", "open1", "open1@example.com", "never closed, "B", "c@example.com", "555", "r"';
  let db: TestDatabase;
  let project: string;
  let s: ServerProc;

  beforeAll(async () => {
    db = await testDb('hostile-csv');
    // Invalid UTF-8 as well: raw bytes in the middle of the file.
    const text = csvOf(good, [...badLines.map(([, l]) => l), sneaky]);
    const bytes = Buffer.concat([Buffer.from(text), Buffer.from('"Created By CSV", "utf1", "u@example.com", "'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('", "B", "c@example.com", "555", "r"\n'), Buffer.from(unterminated + '\n')]);
    project = makeProject('hostile-csv', bytes);
    s = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-hostile-csv' });
  });
  afterAll(async () => {
    s?.kill('SIGKILL');
    await s?.exited;
    await db?.drop();
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('broken quotes, binary bytes, a 100,000-character field, wrong column counts: SUCCESS with FAILURE entries', async () => {
    const id = await startRecon(s.base);
    const run = await waitRecon(s.base, id, 60_000);
    const failures = await rows<{ source_object_id: string | null; message: string }>(db.knex, "SELECT source_object_id, message FROM recon_audit WHERE recon_id = ? AND status = 'FAILURE' ORDER BY id", [id]);
    const approvals = await rows<{ s: string }>(db.knex, `SELECT ${varExpr(db, 'sourceId')} AS s FROM process_instance WHERE status = 'active' ORDER BY 1`);
    const badCount = badLines.length + 2; // + invalid UTF-8 + unterminated quote
    record({
      id: '6c-hostile-csv',
      scenario: 'Hostile CSV source',
      backend: db.backend,
      injected: `${badLines.map(([n]) => n).join(', ')}, invalid UTF-8, an unterminated quote, and a valid row full of script/SQL/formula text`,
      tried: `${good.length + badCount + 1} rows`,
      lost: Math.max(0, good.length + 1 - approvals.length),
      doubled: Math.max(0, approvals.length - good.length - 1),
      measured: { state: run.state, statusSummary: run.statusSummary, failureMessages: failures.map((f) => f.message.slice(0, 120)), approvals: approvals.map((a) => a.s) },
      command: reproduce('test/reliability/hostile.rel.ts', 'hostile CSV'),
    });
    expect(run.state).toBe('SUCCESS');
    expect(run.statusSummary).toEqual({ SUCCESS: good.length + 1, FAILURE: badCount });
    expect(failures).toHaveLength(badCount);
    for (const f of failures) expect(f.message).toMatch(/line \d+: .{10,}/);
    const text = failures.map((f) => f.message).join('\n');
    expect(text).toMatch(/quote/i);
    expect(text).toMatch(/NUL|control character|binary/);
    expect(text).toMatch(/maxFieldLength/);
    expect(text).toMatch(/expected 8 fields, found 3/);
    expect(text).toMatch(/expected 8 fields, found 10/);
    expect(text).toMatch(/empty uid/);
    expect(text).toMatch(/duplicate source id good1/);
    expect(text).toMatch(/UTF-8/);
    expect(approvals.map((a) => a.s)).toEqual([...good, 'sneaky1'].sort());
    // The sneaky row is approved and created as plain data.
    const task = await request(s.base, 'GET', `/workflow/taskinstance?_queryFilter=${q('processVariables/sourceId eq "sneaky1"')}`, { headers: ADMIN });
    expect((await request(s.base, 'POST', `/workflow/taskinstance/${task.body.result[0]._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'true' } })).status).toBe(200);
    const user = await until('sneaky1 to be created', async () => {
      const r = await request(s.base, 'GET', '/managed/user/sneaky1?_fields=*,authzRoles', { headers: ADMIN });
      return r.status === 200 && r.body;
    }, 30_000);
    expect(user.givenName).toBe("Robert'); DROP TABLE managed_user; --");
    expect(user.authzRoles).toEqual([{ _ref: "internal/role/openidm-admin' OR '1'='1" }]);
    expect(await count(db.knex, 'SELECT COUNT(*) AS n FROM managed_user')).toBe(1);
    expect(s.alive()).toBe(true);
  });
});
