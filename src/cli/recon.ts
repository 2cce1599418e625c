#!/usr/bin/env node
// `npm run recon -- <mapping>`: starts a reconciliation over the REST API and follows it.
// On a terminal: a one-line progress bar with rows/s and the situation counts; otherwise one plain
// line per poll. Ends with the summary; exit code 0 on SUCCESS, 1 otherwise.
//
// Environment: RECONFLOW_URL (default http://127.0.0.1:8080/openidm), RECONFLOW_USER and
// RECONFLOW_PASSWORD (default openidm-admin / openidm-admin).

const POLL_MS = 250;

interface RunView {
  _id: string;
  state: string;
  stage: string;
  stageDescription?: string;
  progress?: { source?: { existing?: { processed?: number; total?: string } }; target?: { existing?: { processed?: number; total?: string }; created?: number } };
  situationSummary?: Record<string, number>;
  statusSummary?: Record<string, number>;
  started?: string;
  ended?: string;
  duration?: number;
  message?: string;
}

const base = (process.env.RECONFLOW_URL ?? 'http://127.0.0.1:8080/openidm').replace(/\/+$/, '');
const headers = {
  'X-OpenIDM-Username': process.env.RECONFLOW_USER ?? 'openidm-admin',
  'X-OpenIDM-Password': process.env.RECONFLOW_PASSWORD ?? 'openidm-admin',
  'Accept-API-Version': 'resource=1.0',
};

async function call(method: string, path: string): Promise<RunView> {
  const res = await fetch(base + path, { method, headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text };
  }
  if (!res.ok) {
    const msg = (body as { message?: string }).message ?? res.statusText;
    throw new Error(`${method} ${path}: ${res.status} ${msg}`);
  }
  return body as RunView;
}

/** Situations with a count, in a short form: "ABSENT 1,234 · CONFIRMED 56". */
export function situations(summary: Record<string, number> | undefined): string {
  return Object.entries(summary ?? {})
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n.toLocaleString('en-US')}`)
    .join(' · ');
}

export function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

function processed(run: RunView): { source: number; target: number; targetTotal: number | undefined } {
  const t = Number(run.progress?.target?.existing?.total);
  return {
    source: run.progress?.source?.existing?.processed ?? 0,
    target: run.progress?.target?.existing?.processed ?? 0,
    targetTotal: Number.isFinite(t) ? t : undefined,
  };
}

/** The one-line progress of a run: stage, a bar (target phase: of known total), counts, rows/s. */
export function progressLine(run: RunView, rate: number, columns: number): string {
  const p = processed(run);
  const inTarget = run.stage === 'ACTIVE_RECONCILING_TARGET';
  const rows = inTarget ? `target ${p.target.toLocaleString('en-US')}/${p.targetTotal?.toLocaleString('en-US') ?? '?'}` : `source ${p.source.toLocaleString('en-US')}`;
  const fraction = inTarget && p.targetTotal ? p.target / p.targetTotal : undefined;
  const text = `${rows} rows · ${Math.round(rate).toLocaleString('en-US')} rows/s · ${situations(run.situationSummary) || 'no situations yet'}`;
  const width = Math.max(10, Math.min(30, columns - text.length - 4));
  // The source phase has no known total (the CSV is streamed): the bar spins instead of filling.
  const drawn = fraction === undefined ? spinner(width) : bar(fraction, width);
  return `${drawn} ${text}`.slice(0, Math.max(20, columns - 1));
}

let tick = 0;
function spinner(width: number): string {
  const pos = tick++ % width;
  return Array.from({ length: width }, (_, i) => (Math.abs(i - pos) <= 1 ? '█' : '░')).join('');
}

async function main(): Promise<number> {
  const mapping = process.argv[2];
  if (!mapping || mapping === '--help' || mapping === '-h') {
    console.error('usage: npm run recon -- <mapping>    (RECONFLOW_URL, RECONFLOW_USER, RECONFLOW_PASSWORD)');
    return 2;
  }
  const started = await call('POST', `/recon?_action=recon&mapping=${encodeURIComponent(mapping)}`);
  const id = started._id;
  const tty = process.stdout.isTTY === true;
  if (!tty) console.log(`reconciliation ${id} of ${mapping} started`);
  // rows/s over the last ~2 s of samples (the server flushes its counters every 500 ms).
  const samples: { at: number; rows: number }[] = [];
  let rate = 0;
  let run: RunView = started;
  let lastPlain = '';
  const interrupted = new Promise<void>((resolve) => process.once('SIGINT', resolve));
  let stop = false;
  void interrupted.then(() => (stop = true));
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (stop) {
      if (tty) process.stdout.write('\n');
      console.log(`stopped following ${id} (the reconciliation goes on; cancel it with POST ${base}/recon/${id}?_action=cancel)`);
      return 130;
    }
    run = await call('GET', `/recon/${encodeURIComponent(id)}`);
    const p = processed(run);
    const rows = p.source + p.target;
    const now = Date.now();
    samples.push({ at: now, rows });
    while (samples.length > 2 && now - samples[1].at >= 2000) samples.shift();
    const first = samples[0];
    if (now > first.at) rate = (rows - first.rows) / ((now - first.at) / 1000);
    if (run.state !== 'ACTIVE') break;
    if (tty) {
      process.stdout.write(`\r\x1b[2K${progressLine(run, rate, process.stdout.columns ?? 100)}`);
    } else {
      // One plain line per change of the counters.
      const key = `${run.stage} ${p.source} ${p.target}`;
      if (key !== lastPlain) console.log(`${run.stage} source ${p.source} target ${p.target} ${Math.round(rate)} rows/s ${situations(run.situationSummary)}`);
      lastPlain = key;
    }
  }
  if (tty) process.stdout.write('\r\x1b[2K');
  const p = processed(run);
  const seconds = run.started && run.ended ? (Date.parse(run.ended) - Date.parse(run.started)) / 1000 : (run.duration ?? 0) / 1000;
  console.log(`reconciliation ${run._id} of ${mapping}: ${run.state} (${run.stageDescription ?? run.stage})`);
  console.log(`  source rows ${p.source.toLocaleString('en-US')}, target rows ${p.target.toLocaleString('en-US')}, ${seconds.toFixed(1)} s${seconds > 0 ? `, ${Math.round(p.source / seconds).toLocaleString('en-US')} source rows/s` : ''}`);
  console.log(`  situations: ${situations(run.situationSummary) || 'none'}`);
  console.log(`  status: SUCCESS ${run.statusSummary?.SUCCESS ?? 0}, FAILURE ${run.statusSummary?.FAILURE ?? 0}`);
  if (run.message) console.log(`  ${run.message}`);
  return run.state === 'SUCCESS' ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}
