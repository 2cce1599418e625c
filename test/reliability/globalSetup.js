// Compiles dist/ once before the reliability suite: its tests spawn `node dist/src/cli/start.js`.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

module.exports = async function globalSetup() {
  const root = path.resolve(__dirname, '../..');
  if (process.env.RELIABILITY_SKIP_BUILD !== '1') {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  }
  // Each default run's measurements start from scratch. A RELIABILITY_BACKEND=pg run keeps them and
  // adds (or replaces, by id) its own rows, so it can follow the default run into one table.
  if (!['pg', 'mysql'].includes(process.env.RELIABILITY_BACKEND)) fs.rmSync(path.join(root, 'test', 'artifacts', 'reliability'), { recursive: true, force: true });
};
