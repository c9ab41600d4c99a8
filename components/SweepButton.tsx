// The toolbar's sweep launcher, shown while the document has a sweep: how many runs it makes, and
// Launch, which starts one run per point and opens the compare view on them. On a server executor
// the server trains them; on the browser executor this tab does, one after another
// (lib/browser-sweep.ts), while the compare view fills in. Problems the server finds (per axis) go
// to the problems panel like a run's.
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { expandSweep, type SweepAxis } from '../engine/sweep/sweep';
import { trainSweepInTab } from '../lib/browser-sweep';
import type { Pipeline } from '../lib/document';
import type { SubmitProblem } from '../lib/runs-store';
import { runsStore, useRuns } from '../lib/runs-store';
import { studio, useStudio } from '../lib/store';
import { pointCount } from '../lib/sweep-draft';
import { browserRunMemoryProblems } from './memory-estimate';

type LaunchResult = { ok: true; id: string; runs: string[] } | { ok: false; message: string; problems: SubmitProblem[] };

async function launchSweep(pipeline: unknown, executor: string, axes: unknown, steps?: number): Promise<LaunchResult> {
  let reply: Response;
  try {
    reply = await fetch('/api/sweeps', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline, executor, axes, ...(steps ? { steps } : {}) }),
    });
  } catch (error) {
    return { ok: false, message: `the server cannot be reached (${(error as Error).message})`, problems: [] };
  }
  const body = await reply.json().catch(() => ({}));
  if (reply.status === 201) return { ok: true, id: body.id, runs: body.runs };
  return { ok: false, message: String(body.error ?? `the server answered ${reply.status}`), problems: Array.isArray(body.errors) ? body.errors : [] };
}

/**
 * What keeps a point of the sweep from training in this tab (too large for its memory), found
 * before anything is created; axes that do not expand are the server's to report.
 */
function sweepMemoryProblems(doc: Pipeline, axes: SweepAxis[]): SubmitProblem[] {
  const expanded = expandSweep(doc, axes);
  if (!expanded.ok) return [];
  for (const point of expanded.points) {
    const problems = browserRunMemoryProblems(point.pipeline as Pipeline);
    if (problems.length) return problems;
  }
  return [];
}

export function SweepButton() {
  const sweep = useStudio((s) => s.doc.sweep);
  const executor = useRuns((s) => s.executor);
  const router = useRouter();
  const [launching, setLaunching] = useState(false);
  if (!sweep) return null;
  const points = pointCount(sweep);
  const label = sweep.axes.map((a) => `${a.nodeId}.${a.field} ×${a.values.length}`).join(' · ');
  const browser = executor === 'browser';
  const launch = async () => {
    setLaunching(true);
    try {
      const { doc, notify } = studio.getState();
      const runs = runsStore.getState();
      const tooLarge = browser ? sweepMemoryProblems(doc, sweep.axes) : [];
      const result = tooLarge.length
        ? { ok: false as const, message: tooLarge[0].message.split(';')[0], problems: tooLarge }
        : await launchSweep(doc, executor, sweep.axes, sweep.steps);
      if (!result.ok) {
        runs.setSubmitProblems(result.problems);
        if (result.problems.length) runs.setBottomTab('problems');
        notify(`Sweep not started: ${result.message}.`, 'error');
        return;
      }
      runs.setSubmitProblems([]);
      if (browser) {
        void trainSweepInTab(result.runs, runs.browserBackend, { onNotice: (message) => studio.getState().notify(message, 'error') });
      }
      router.push(`/compare?runs=${result.runs.join(',')}&sweep=${result.id}`);
    } finally {
      setLaunching(false);
    }
  };
  return (
    <span className="sweep-button" data-testid="sweep-bar" data-points={points}>
      <button
        type="button"
        className="button"
        data-testid="sweep-launch"
        disabled={launching}
        onClick={() => void launch()}
        title={
          browser ? `Train ${points} runs (${label}) in this tab, one after another, and compare them` : `Launch ${points} runs (${label}) and compare them`
        }
      >
        ⇶ Sweep {points} runs
      </button>
      <button
        type="button"
        className="button icon"
        data-testid="sweep-clear"
        title={`Remove the sweep (${label})`}
        aria-label="Remove the sweep"
        onClick={() => studio.getState().setSweep(undefined)}
      >
        ×
      </button>
    </span>
  );
}
