// A real reconflow server for the benchmarks: `dist/src/cli/start.js` (as `npm start`) in a child
// process on a free port, its output in <project>/server-<label>.log, ready once /openidm/info/ping
// answers; stop() sends SIGTERM (SIGKILL after 30 s). bench/run.ts and bench/uiScale.ts start theirs here.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const START_JS = path.join(__dirname, '..', 'src', 'cli', 'start.js');

export interface BenchServer {
  proc: ChildProcess;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** origin + /openidm */
  base: string;
  /** From spawn to the first 200 of info/ping. */
  readyMs: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `env` is the repository's (DATABASE_URL…); `nodeArgs` go before the script (e.g. --cpu-prof);
 * `startJs`: another build's dist/src/cli/start.js (bench/unpaged.ts --server-js, for a "before").
 */
export async function startBenchServer(project: string, env: Record<string, string>, label: string, nodeArgs: string[] = [], startJs = START_JS): Promise<BenchServer> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const proc = spawn(process.execPath, [...nodeArgs, startJs], {
    cwd: project,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', PROJECT_DIR: project, NODE_ID: `bench-${label}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = fs.createWriteStream(path.join(project, `server-${label}.log`));
  proc.stdout!.pipe(logFile);
  proc.stderr!.pipe(logFile);
  let exited = false;
  proc.once('exit', () => (exited = true));
  const origin = `http://127.0.0.1:${port}`;
  const elapsedMs = () => Number(process.hrtime.bigint() - t0) / 1e6;
  for (;;) {
    if (exited) throw new Error(`server ${label} exited during start-up; see ${project}/server-${label}.log`);
    try {
      if ((await fetch(`${origin}/openidm/info/ping`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (elapsedMs() > 120_000) throw new Error(`server ${label} not ready within 120 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    proc, origin, base: `${origin}/openidm`, readyMs: elapsedMs(),
    stop: () => new Promise<void>((resolve) => {
      if (exited) return resolve();
      const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      proc.once('exit', () => { clearTimeout(t); resolve(); });
      proc.kill('SIGTERM');
    }),
  };
}
