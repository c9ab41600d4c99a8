// A browser sweep, trained in the tab that launched it (docs/api.md, "Sweeps"): the server made one
// browser run per point (engine/sweep expanded and compiled them there), each waiting `queued` for
// this tab. The tab trains them one after another, since its worker trains one run at a time: it
// reads the next point and claims it (an empty first batch, refused once the sweep was stopped), trains the
// pipeline the server stored for it, and moves on once the server holds the whole run. A stop of
// the sweep reaches the point training here through its live requests (lib/tab-requests.ts) and
// cancels the rest on the server, so the next claim is refused and the loop ends.
import type { BackendPreference } from './browser-executor';
import { trainRecordedBrowserRun, type BrowserRunCallbacks, type TabTraining } from './browser-runs';
import type { RunStatus } from './run-stream';

export interface BrowserSweepOptions extends BrowserRunCallbacks {
  /** Where the API is: '' (this page's origin) in the app, the server's URL in tests. */
  origin?: string;
  fetch?: typeof fetch;
  /** Trains one claimed point here; default the studio's (the runs store, a Web Worker). */
  train?: (status: RunStatus, pipeline: unknown, backend: BackendPreference) => TabTraining;
  /** Called as each point starts training here. */
  onPoint?(runId: string, index: number): void;
}

/** What became of each point as this tab saw it: trained to an end, or why it was skipped. */
export type PointOutcome = { runId: string; state: RunStatus['state'] } | { runId: string; skipped: string };

/**
 * Trains the points `runIds` of a browser sweep in this tab, in order; resolves when none is left.
 * @example void trainSweepInTab(created.runs, 'wasm', { onNotice: toast });
 */
export async function trainSweepInTab(runIds: readonly string[], backend: BackendPreference, options: BrowserSweepOptions = {}): Promise<PointOutcome[]> {
  const fetcher = options.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  const train = options.train ?? ((status, pipeline, b) => trainRecordedBrowserRun(status, pipeline, b, options));
  const outcomes: PointOutcome[] = [];
  for (const [index, runId] of runIds.entries()) {
    const base = `${options.origin ?? ''}/api/runs/${encodeURIComponent(runId)}`;
    const point = await readPoint(fetcher, base);
    if (!point.ok) {
      options.onNotice?.(`Sweep point ${runId} cannot be trained here: ${point.reason}.`);
      outcomes.push({ runId, skipped: point.reason });
      continue;
    }
    // A point the sweep's stop cancelled is skipped; the claim settles a stop that comes meanwhile.
    const waiting = point.status.state === 'queued' || point.status.state === 'interrupted';
    const claimed = waiting ? await claimPoint(fetcher, base) : { ok: false as const, reason: `run ${runId} is ${point.status.state}` };
    if (!claimed.ok) {
      outcomes.push({ runId, skipped: claimed.reason });
      continue;
    }
    options.onPoint?.(runId, index);
    const training = train(point.status, point.pipeline, backend);
    outcomes.push({ runId, state: await training.finished });
  }
  return outcomes;
}

type Claim = { ok: true } | { ok: false; reason: string };

/**
 * This tab takes the point up: its first word to the server, an empty batch. A point the sweep's
 * stop cancelled (or another tab took and finished) is refused with the reason.
 */
async function claimPoint(fetcher: typeof fetch, base: string): Promise<Claim> {
  try {
    const reply = await fetcher(`${base}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seq: 1, events: [] }),
    });
    if (reply.ok) {
      await reply.body?.cancel();
      return { ok: true };
    }
    const body = (await reply.json().catch(() => ({}))) as { error?: unknown };
    return { ok: false, reason: typeof body.error === 'string' ? body.error : `the server answered ${reply.status}` };
  } catch (error) {
    return { ok: false, reason: `the server cannot be reached (${(error as Error).message})` };
  }
}

type Point = { ok: true; status: RunStatus; pipeline: unknown } | { ok: false; reason: string };

/** The point's status (its name and sweep values) and the pipeline the server stored for it. */
async function readPoint(fetcher: typeof fetch, base: string): Promise<Point> {
  try {
    const [status, pipeline] = await Promise.all([fetcher(base, { cache: 'no-store' }), fetcher(`${base}/pipeline`, { cache: 'no-store' })]);
    if (!status.ok || !pipeline.ok) return { ok: false, reason: `the server answered ${status.ok ? pipeline.status : status.status}` };
    return { ok: true, status: (await status.json()) as RunStatus, pipeline: await pipeline.json() };
  } catch (error) {
    return { ok: false, reason: `the server cannot be reached (${(error as Error).message})` };
  }
}
