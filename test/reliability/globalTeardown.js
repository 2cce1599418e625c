// Merges the per-scenario measurements into test/artifacts/reliability.json and renders the
// table of RELIABILITY.md into test/artifacts/reliability.md.
const fs = require('node:fs');
const path = require('node:path');

module.exports = async function globalTeardown() {
  const root = path.resolve(__dirname, '../..');
  const dir = path.join(root, 'test', 'artifacts', 'reliability');
  if (!fs.existsSync(dir)) return;
  // In scenario order, SQLite before PostgreSQL.
  const key = (r) => `${r.id.replace(/-(pg|sqlite|mysql)$/, '')}\u0000${r.backend === 'pg' ? 1 : r.backend === 'mysql' ? 2 : 0}`;
  const rows = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const out = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    totals: { scenarios: rows.length, lost: rows.reduce((a, r) => a + r.lost, 0), doubled: rows.reduce((a, r) => a + r.doubled, 0) },
    rows,
  };
  fs.writeFileSync(path.join(root, 'test', 'artifacts', 'reliability.json'), JSON.stringify(out, null, 2) + '\n');
  const esc = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const md = [
    '| # | scenario | backend | injected | tried | lost | doubled | reproduce |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${esc(r.id)} | ${esc(r.scenario)} | ${r.backend === 'pg' ? 'PostgreSQL' : r.backend === 'mysql' ? 'MariaDB' : 'SQLite'} | ${esc(r.injected)} | ${esc(r.tried)} | ${r.lost} | ${r.doubled} | \`${esc(r.command)}\` |`),
  ].join('\n');
  fs.writeFileSync(path.join(root, 'test', 'artifacts', 'reliability.md'), md + '\n');
  console.log(`\nreliability: ${rows.length} scenario(s), ${out.totals.lost} lost, ${out.totals.doubled} doubled -> test/artifacts/reliability.json`);
};
