// Runs a reconciliation to its end as IDM's ReconciliationService answers it: POST
// recon?_action=recon&waitForCompletion=true answers {_id, state}; the summary is GET recon/{id}.
import { ADMIN, TestServer } from './server';

/** A whole run (recon/{id}) once it has ended; `query` is appended to the recon action's query string. */
export async function runRecon(t: TestServer, mapping: string, query = '', headers: Record<string, string> = ADMIN): Promise<any> {
  const r = await t.call('POST', `/recon?_action=recon&mapping=${encodeURIComponent(mapping)}&waitForCompletion=true${query}`, { headers });
  if (r.status !== 200) throw new Error(`recon answered ${r.status}: ${JSON.stringify(r.body)}`);
  expect(Object.keys(r.body).sort()).toEqual(['_id', 'state']);
  const run = await t.call('GET', `/recon/${r.body._id}`, { headers: ADMIN });
  expect(run.body.state).toBe(r.body.state);
  return run.body;
}
