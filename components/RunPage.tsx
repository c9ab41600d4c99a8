'use client';
// One run's page (/runs/:id): its pipeline on a read-only canvas with the recorded numbers replayed
// onto the blocks, its lineage, samples, answered prompts and checkpoints (each one a place to fork
// from), and the run panel (progress, controls, charts, the parent's curves when asked for).
// "Open in studio" puts the pipeline on the editor's canvas with this run attached.
import Link from 'next/link';
import { useState } from 'react';
import { formatBytes } from '../lib/live-view';
import { useRunsList, useRunStream } from '../lib/run-client';
import { useRunPipeline, type RunPipeline } from '../lib/run-pipelines';
import { displayState } from '../lib/run-stream';
import { useRuns } from '../lib/runs-store';
import { encodeShare } from '../lib/share';
import { ForkFromHere } from './ForkFromHere';
import { RUN_KEY } from './run-actions';
import { RunFamily } from './RunFamily';
import { PromptAnswer, usePrompts } from './PromptAnswers';
import { RunGraph } from './RunGraph';
import { RunPanel } from './RunPanel';
import { Brand } from './Brand';
import { RunStateBadge } from './RunStateBadge';

type Loaded = RunPipeline | undefined;

function usePipeline(runId: string): Loaded {
  return useRunPipeline(runId);
}

function Side({ runId, overlay, onOverlay }: { runId: string; overlay: boolean; onOverlay: (show: boolean) => void }) {
  const run = useRunStream(runId);
  const samples = run?.samples ?? [];
  const checkpoints = run?.checkpoints ?? [];
  const prompts = usePrompts(runId);
  return (
    <aside className="run-side">
      <RunFamily runId={runId} overlay={overlay} onOverlay={onOverlay} />
      <section>
        <h3>Checkpoints</h3>
        {checkpoints.length === 0 ? (
          <p className="muted small">None yet.</p>
        ) : (
          <ul className="run-files">
            {[...checkpoints].reverse().map((c) => (
              <li key={c.name}>
                <a href={`/api/runs/${runId}/checkpoints/${c.name}`} download data-testid="side-checkpoint">
                  ⤓ {c.name}
                </a>
                <span className="muted small">
                  step {c.step} · {formatBytes(c.bytes)}
                </span>
                <ForkFromHere runId={runId} checkpoint={c.name} label="⤴ fork" />
              </li>
            ))}
          </ul>
        )}
        <p className="small">
          <a href={`/api/runs/${runId}/log`} target="_blank" rel="noreferrer">
            train_log.jsonl
          </a>{' '}
          ·{' '}
          <a href={`/api/runs/${runId}/samples`} target="_blank" rel="noreferrer">
            samples.jsonl
          </a>
        </p>
      </section>
      <section>
        <h3>Samples</h3>
        {samples.length === 0 ? (
          <p className="muted small">None yet.</p>
        ) : (
          <ol className="run-samples">
            {[...samples].reverse().map((s) => (
              <li key={`${s.nodeId}:${s.step}`}>
                <div className="muted small">
                  step {s.step} · {s.nodeId}
                </div>
                <pre>{s.text}</pre>
              </li>
            ))}
          </ol>
        )}
      </section>
      {prompts.length > 0 && (
        <section data-testid="run-prompts">
          <h3>Prompts</h3>
          <ul className="prompt-answers">
            {prompts.map((a) => (
              <PromptAnswer key={`${a.time}:${a.step}:${a.prompt}`} answer={a} />
            ))}
          </ul>
        </section>
      )}
    </aside>
  );
}

export default function RunPage({ runId }: { runId: string }) {
  useRunsList(); // the parent's name and the runs forked from this one
  const loaded = usePipeline(runId);
  const run = useRunStream(runId);
  const [overlayParent, setOverlayParent] = useState(false);
  const parent = useRuns((s) => (s.runs[runId]?.status ?? s.statuses[runId])?.parent);
  const status = useRuns((s) => s.runs[runId]?.status ?? s.statuses[runId]);
  const state = run && (run.status || run.lastSeq) ? displayState(run) : status?.state;
  const latest = run?.checkpoints.at(-1)?.name ?? status?.lastCheckpoint;
  const openInStudio = async () => {
    if (!loaded || !('doc' in loaded)) return;
    try {
      localStorage.setItem(RUN_KEY, runId);
    } catch {
      // storage disabled: the studio opens the pipeline without the run
    }
    location.href = `/${await encodeShare(loaded.doc)}`;
  };
  return (
    <div className="run-page">
      <header className="toolbar">
        <Brand linkHome />
        <nav className="crumbs">
          <Link href="/runs" data-testid="runs-link">
            Runs
          </Link>
          <span className="muted">›</span>
          <span className="doc-name" title={status?.name}>
            {status?.name ?? runId}
          </span>
          <code className="muted small">{runId}</code>
          {state && <RunStateBadge state={state} />}
        </nav>
        <nav className="actions">
          <button
            type="button"
            className="button"
            data-testid="open-in-studio"
            disabled={!loaded || !('doc' in loaded)}
            onClick={() => void openInStudio()}
            title="Edit this pipeline in the studio, with this run's numbers on it"
          >
            Open in studio
          </button>
          {latest && <ForkFromHere runId={runId} checkpoint={latest} label={`⤴ Fork from ${latest}`} className="button" />}
          <Link href="/runs" className="button">
            All runs
          </Link>
        </nav>
      </header>
      <main className="canvas-area">
        {loaded === undefined ? (
          <div className="boot muted">Loading the run's pipeline…</div>
        ) : 'doc' in loaded ? (
          <RunGraph doc={loaded.doc} runId={runId} />
        ) : (
          <div className="boot muted">Cannot show the graph: {loaded.error}.</div>
        )}
      </main>
      <Side runId={runId} overlay={overlayParent} onOverlay={setOverlayParent} />
      <section className="bottom-panel is-run">
        <RunPanel runId={runId} overlayRunId={overlayParent ? parent?.run : undefined} />
      </section>
    </div>
  );
}
