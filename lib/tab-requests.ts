// The tab side of live requests to a browser run (docs/api.md, "Experiment loop"): edits and
// prompts sent to the server for this tab's run are fetched with a long poll
// (GET /api/runs/:id/requests), handed to the run's worker, and each answer is posted back
// (POST /api/runs/:id/requests/:rid). A stop (its browser sweep was stopped) stops the run, whose
// run/finished answers it. Runs until the run is done.
import type { BrowserRun } from './browser-executor';

type TabRequest =
  | { id: number; kind: 'edit'; nodeId: string; params: Record<string, unknown> }
  | { id: number; kind: 'sample'; prompt: string; maxNewTokens: number; temperature?: number; topK?: number }
  | { id: number; kind: 'stop' };

export interface TabRequestOptions {
  /** Where the API is: '' (this page's origin) in the app, the server's URL in tests. */
  origin?: string;
  fetch?: typeof fetch;
}

/**
 * @example void serveTabRequests(runId, run); // answers API edits until run.done
 */
export async function serveTabRequests(
  runId: string,
  run: Pick<BrowserRun, 'edit' | 'sample' | 'stop' | 'done'>,
  options: TabRequestOptions = {},
): Promise<void> {
  const fetcher = options.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  const base = `${options.origin ?? ''}/api/runs/${encodeURIComponent(runId)}/requests`;
  let done = false;
  void run.done.then(() => (done = true));
  while (!done) {
    let requests: TabRequest[];
    try {
      const reply = await fetcher(base);
      if (reply.status === 409 || reply.status === 404) return; // the server no longer sees the run in this tab
      requests = reply.ok ? ((await reply.json()) as { requests: TabRequest[] }).requests : [];
      if (!reply.ok) await new Promise((r) => setTimeout(r, 2000));
    } catch {
      await new Promise((r) => setTimeout(r, 2000)); // the server is away: try again
      continue;
    }
    for (const request of requests) {
      if (request.kind === 'stop') {
        run.stop();
        continue;
      }
      const body =
        request.kind === 'edit'
          ? { outcome: await run.edit(request.nodeId, request.params) }
          : { answer: await run.sample({ prompt: request.prompt, maxNewTokens: request.maxNewTokens, temperature: request.temperature, topK: request.topK }) };
      await fetcher(`${base}/${request.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(
        () => undefined,
      );
    }
  }
}
