// conf/repo.json: how the repository stores, read once at start (PUT config/repo answers 501:
// the setting applies when a connection opens). A bad value stops start-up naming file and key.
import { ConfigError } from './conf';

/**
 * SQLite's PRAGMA synchronous in WAL mode (sqlite.org/pragma.html#pragma_synchronous):
 * NORMAL survives a crash of the process (the WAL is in the operating system's cache) but may lose
 * the last commits when the machine loses power or the OS crashes; FULL syncs the WAL at every
 * commit, so a commit answered is on disk; EXTRA also syncs the directory (for a journal mode
 * other than WAL it matters more; in WAL it equals FULL in effect).
 */
export type SqliteSynchronous = 'NORMAL' | 'FULL' | 'EXTRA';
export const SQLITE_SYNCHRONOUS: readonly SqliteSynchronous[] = ['NORMAL', 'FULL', 'EXTRA'];

export interface RepoConfig {
  sqlite: { synchronous: SqliteSynchronous };
  /**
   * maxUnpagedResults: the most an unpaged query (no _pageSize) may answer from a resource that
   * reads its matches into memory (incidents, waiting executions, a connector's objects); more is a
   * 400 naming _pageSize. Resources read from a cursor (tasks, instances, users, links, audit, jobs)
   * stream any number (src/api/queryStream.ts). Default 10,000, the largest _pageSize.
   */
  query: { maxUnpagedResults: number };
}

export const DEFAULT_REPO_CONFIG: RepoConfig = { sqlite: { synchronous: 'NORMAL' }, query: { maxUnpagedResults: 10_000 } };

/** Unknown keys are refused by the file's schema (src/config/schema/repo.ts) before this runs. */
export function validateRepo(json: unknown, file = 'repo.json'): RepoConfig {
  if (json === undefined) return DEFAULT_REPO_CONFIG;
  const j = json as { sqlite?: { synchronous?: unknown }; query?: { maxUnpagedResults?: unknown } };
  const max = j.query?.maxUnpagedResults ?? DEFAULT_REPO_CONFIG.query.maxUnpagedResults;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) throw new ConfigError(file, 'query.maxUnpagedResults must be a positive integer');
  const query = { maxUnpagedResults: max };
  const value = j.sqlite?.synchronous;
  if (value === undefined) return { ...DEFAULT_REPO_CONFIG, query };
  if (typeof value !== 'string' || !SQLITE_SYNCHRONOUS.includes(value.toUpperCase() as SqliteSynchronous)) {
    throw new ConfigError(file, `sqlite.synchronous must be one of ${SQLITE_SYNCHRONOUS.join(', ')} (NORMAL: survives a process crash, may lose the last commits on power loss; FULL: every commit on disk), not ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  return { sqlite: { synchronous: value.toUpperCase() as SqliteSynchronous }, query };
}
