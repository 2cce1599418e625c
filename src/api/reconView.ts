// The HTTP view of a reconciliation run, as IDM's recon endpoint shows it: the stored run row in
// IDM's field names, with the stage's description and the duration so far.
import type { RunRow } from '../repo/reconRuns';
import { STAGE_DESCRIPTIONS } from '../recon/progress';

/** A run as recon/{id} and recon (the list) answer it. */
export function runView(row: RunRow) {
  const ended = row.ended ? Date.parse(row.ended) : null;
  return {
    _id: row.id,
    mapping: row.mapping,
    state: row.state,
    stage: row.stage,
    stageDescription: STAGE_DESCRIPTIONS[row.stage] ?? row.stage,
    progress: row.progress,
    situationSummary: row.situationSummary,
    statusSummary: row.statusSummary,
    durationSummary: {},
    parameters: row.parameters,
    started: row.started,
    ended: row.ended ?? '',
    duration: (ended ?? Date.now()) - Date.parse(row.started),
    ...(row.message ? { message: row.message } : {}),
  };
}
