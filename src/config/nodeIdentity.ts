// Which node this process is. At start a server claims its node id in the `node` table before its
// worker re-queues the jobs, and its reconciler fails the runs, that the id's earlier process left
// behind: that is only safe when no live process holds the id. The holder is gone when it stopped
// cleanly, when its heartbeat (database time) is silent for NODE_STALE_MS, or at once when it ran
// on this host, in this pid namespace, and its pid is not running (a SIGKILLed predecessor). A
// holder whose heartbeat moves is alive: a default id then moves on to `<id>~2`, `<id>~3`…; an
// explicit NODE_ID refuses to start.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Knex } from 'knex';
import { Logger } from '../context';
import * as nodes from '../repo/nodes';

export const NODE_HEARTBEAT_MS = 2_000;
export const NODE_STALE_MS = 10_000;
const MAX_SLOTS = 32;
const POLL_MS = 250;

export interface NodeIdentity {
  nodeId: string;
  /** Stops the heartbeat and marks the id free (a clean stop). */
  release(): Promise<void>;
}

export class NodeIdInUse extends Error {}

function pidNamespace(): string | null {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

type Verdict = 'gone' | 'live' | 'unknown';

function judge(row: nodes.NodeRow, me: nodes.NodeHolder): Verdict {
  if (row.heartbeat === null || (row.silentMs !== null && row.silentMs > NODE_STALE_MS)) return 'gone';
  // Same host and pid namespace: the pid tells (our own pid: another server in this very process).
  if (row.host === me.host && row.pidNs === me.pidNs) return pidRunning(row.pid) ? 'live' : 'gone';
  return 'unknown'; // another host or container: its heartbeat decides
}

/** Claims `id` for this process: true, or false when a live process holds it. */
async function claim(knex: Knex, id: string, me: nodes.NodeHolder): Promise<boolean> {
  let firstBeat: number | null | undefined;
  const deadline = Date.now() + NODE_STALE_MS + 2 * NODE_HEARTBEAT_MS;
  for (;;) {
    const row = await nodes.readNode(knex, id);
    if (!row) {
      if (await nodes.insertNode(knex, id, me)) return true;
      continue;
    }
    const verdict = judge(row, me);
    if (verdict === 'gone') {
      if (await nodes.takeOverNode(knex, id, row.instance, me)) return true;
      continue; // someone else took it meanwhile: judge the new holder
    }
    if (verdict === 'live') return false;
    if (firstBeat === undefined) firstBeat = row.heartbeat;
    else if (row.heartbeat !== firstBeat) return false; // it beats: alive
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export async function claimNodeIdentity(knex: Knex, base: string, isDefault: boolean, log: Logger): Promise<NodeIdentity> {
  const me: nodes.NodeHolder = { instance: crypto.randomBytes(8).toString('hex'), host: os.hostname(), pid: process.pid, pidNs: pidNamespace() };
  let nodeId: string | null = null;
  for (let slot = 1; slot <= (isDefault ? MAX_SLOTS : 1) && !nodeId; slot++) {
    const id = slot === 1 ? base : `${base}~${slot}`;
    if (await claim(knex, id, me)) nodeId = id;
  }
  if (!nodeId) {
    const holder = await nodes.readNode(knex, base);
    throw new NodeIdInUse(
      isDefault
        ? `every default node id ${base}~1…${MAX_SLOTS} is held by a live server`
        : `NODE_ID ${base} is held by a live server (pid ${holder?.pid} on ${holder?.host}); give each server its own NODE_ID, or leave NODE_ID unset`,
    );
  }
  const id = nodeId;
  log.info(`node ${id}${isDefault ? ' (default identity: host, project folder and database)' : ''}`);
  let lost = false;
  const timer = setInterval(() => {
    void nodes.beatNode(knex, id, me.instance).then(
      (held) => {
        if (!held && !lost) {
          lost = true;
          log.error(`node id ${id} was taken over by another process (this one looked dead to it); restart this server`);
        }
      },
      () => undefined, // the database is away: the next beat tries again
    );
  }, NODE_HEARTBEAT_MS);
  timer.unref();
  return {
    nodeId: id,
    async release() {
      clearInterval(timer);
      await nodes.releaseNode(knex, id, me.instance).catch(() => undefined);
    },
  };
}
