// `reconflow recon <mapping> [--wait]`: starts a reconciliation over the REST API and, with --wait,
// follows it: on a terminal a cli-progress bar (stage, rows, rows/s, situation counts); otherwise
// one plain line per change of the counters. Ends with the summary; exit 0 on SUCCESS, 1 otherwise.
import { Command } from 'commander';
import { addServerOptions, Client, CliError, EXIT, ServerOptions, usageError } from './common';

const POLL_MS = 250;

export interface RunView {
  _id: string;
  mapping?: string;
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

/** Situations with a count, in a short form: "ABSENT 1,234 · CONFIRMED 56". */
export function situations(summary: Record<string, number> | undefined): string {
  return Object.entries(summary ?? {})
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n.toLocaleString('en-US')}`)
    .join(' · ');
}

function processed(run: RunView): { source: number; target: number; targetTotal: number | undefined } {
  const t = Number(run.progress?.target?.existing?.total);
  return {
    source: run.progress?.source?.existing?.processed ?? 0,
    target: run.progress?.target?.existing?.processed ?? 0,
    targetTotal: Number.isFinite(t) ? t : undefined,
  };
}

/** The progress line's text after the bar: rows of the phase, rows/s, situations. */
function progressText(run: RunView, rate: number): string {
  const p = processed(run);
  const rows =
    run.stage === 'ACTIVE_RECONCILING_TARGET'
      ? `target ${p.target.toLocaleString('en-US')}/${p.targetTotal?.toLocaleString('en-US') ?? '?'}`
      : `source ${p.source.toLocaleString('en-US')}`;
  return `${rows} rows · ${Math.round(rate).toLocaleString('en-US')} rows/s · ${situations(run.situationSummary) || 'no situations yet'}`;
}

interface Follower {
  update(run: RunView, rate: number): void;
  stop(): void;
}

/** A cli-progress bar: fills in the target phase (known total); the source phase is streamed (no total), so it spins. */
async function barFollower(): Promise<Follower> {
  const { SingleBar } = await import('cli-progress');
  let tick = 0;
  let text = '';
  let spinning = true;
  const bar = new SingleBar({
    stream: process.stdout,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 24,
    fps: 8,
    format: (options, params) => {
      const size = options.barsize ?? 24;
      let drawn: string;
      if (spinning) {
        const pos = tick++ % size;
        drawn = Array.from({ length: size }, (_, i) => (Math.abs(i - pos) <= 1 ? '█' : '░')).join('');
      } else {
        const full = Math.round(Math.max(0, Math.min(1, params.progress)) * size);
        drawn = '█'.repeat(full) + '░'.repeat(size - full);
      }
      return `${drawn} ${text}`;
    },
  });
  bar.start(1, 0);
  return {
    update(run, rate) {
      const p = processed(run);
      spinning = !(run.stage === 'ACTIVE_RECONCILING_TARGET' && p.targetTotal);
      text = progressText(run, rate);
      if (spinning) bar.update(0);
      else {
        bar.setTotal(p.targetTotal!);
        // IDM's target.existing.processed also counts targets handled in the source phase, a target
        // met twice (e.g. FOUND_ALREADY_LINKED) twice: a full bar, never past it.
        bar.update(Math.min(p.target, p.targetTotal!));
      }
    },
    stop: () => bar.stop(),
  };
}

/** Without a terminal: one line per change of stage or counters. */
function plainFollower(): Follower {
  let last = '';
  return {
    update(run, rate) {
      const p = processed(run);
      const key = `${run.stage} ${p.source} ${p.target}`;
      if (key !== last) console.log(`${run.stage} ${progressText(run, rate)}`);
      last = key;
    },
    stop: () => undefined,
  };
}

export async function recon(mapping: string, opts: ServerOptions & { wait?: boolean; confirmDeletions?: string; pollMs?: number }): Promise<number> {
  if (opts.confirmDeletions !== undefined && !/^\d{1,9}$/.test(opts.confirmDeletions)) throw usageError(`--confirm-deletions must be a count, got "${opts.confirmDeletions}"`);
  const client = new Client(opts);
  const query = `_action=recon&mapping=${encodeURIComponent(mapping)}${opts.confirmDeletions !== undefined ? `&confirmDeletions=${opts.confirmDeletions}` : ''}`;
  const started = (await client.call('POST', `/recon?${query}`)).body as RunView;
  const id = started._id;
  if (!opts.wait) {
    console.log(`reconciliation ${id} of ${mapping} started (${started.state}); follow it with GET ${client.base}/recon/${id}`);
    return EXIT.OK;
  }
  // Ctrl-C from here on stops following, not the process (the run goes on on the server).
  let stop = false;
  const onSigint = () => (stop = true);
  process.once('SIGINT', onSigint);
  const tty = process.stdout.isTTY === true;
  if (!tty) console.log(`reconciliation ${id} of ${mapping} started`);
  const follower = tty ? await barFollower() : plainFollower();
  if (tty) follower.update(started, 0);
  // rows/s over the last ~2 s of samples (the server flushes its counters every 500 ms).
  const samples: { at: number; rows: number }[] = [];
  let rate = 0;
  let run: RunView = started;
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, opts.pollMs ?? POLL_MS));
      if (stop) {
        follower.stop();
        console.log(`stopped following ${id} (the reconciliation goes on; cancel it with POST ${client.base}/recon/${id}?_action=cancel)`);
        return EXIT.INTERRUPTED;
      }
      run = (await client.call('GET', `/recon/${encodeURIComponent(id)}`)).body as RunView;
      const p = processed(run);
      const now = Date.now();
      samples.push({ at: now, rows: p.source + p.target });
      while (samples.length > 2 && now - samples[1].at >= 2000) samples.shift();
      if (now > samples[0].at) rate = (p.source + p.target - samples[0].rows) / ((now - samples[0].at) / 1000);
      if (run.state !== 'ACTIVE') break;
      follower.update(run, rate);
    }
  } catch (e) {
    follower.stop();
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  follower.stop();
  const p = processed(run);
  const seconds = run.started && run.ended ? (Date.parse(run.ended) - Date.parse(run.started)) / 1000 : (run.duration ?? 0) / 1000;
  console.log(`reconciliation ${run._id} of ${mapping}: ${run.state} (${run.stageDescription ?? run.stage})`);
  console.log(
    `  source rows ${p.source.toLocaleString('en-US')}, target rows ${p.target.toLocaleString('en-US')}, ${seconds.toFixed(1)} s` +
      (seconds > 0 ? `, ${Math.round(p.source / seconds).toLocaleString('en-US')} source rows/s` : ''),
  );
  console.log(`  situations: ${situations(run.situationSummary) || 'none'}`);
  console.log(`  status: SUCCESS ${run.statusSummary?.SUCCESS ?? 0}, FAILURE ${run.statusSummary?.FAILURE ?? 0}`);
  if (run.message) console.log(`  ${run.message}`);
  if (run.state !== 'SUCCESS') throw new CliError(EXIT.FAILED, `reconciliation ${run._id} ended ${run.state}${run.message ? `: ${run.message}` : ''}`);
  return EXIT.OK;
}

export function registerRecon(program: Command): void {
  addServerOptions(
    program
      .command('recon')
      .description('start a reconciliation of a mapping (POST /openidm/recon?_action=recon); --wait follows it to its end')
      .argument('<mapping>', 'the mapping name in conf/sync.json, e.g. systemCsvfileAccounts_managedUser')
      .option('-w, --wait', 'follow the run (a progress bar on a terminal, plain lines otherwise) and exit 0 only if it ends SUCCESS')
      .option('--confirm-deletions <count>', 'allow this run to delete or unlink up to <count> (deletion protection, see README)'),
  ).action(async (mapping: string, opts) => {
    process.exitCode = await recon(mapping, opts);
  });
}
