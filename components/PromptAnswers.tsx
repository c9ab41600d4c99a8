'use client';
// A run's answered prompts (GET /api/runs/:id/prompts), newest first: under the sample block's
// prompt box and on the run's page. `refresh` changes when a new answer is in.
import { useEffect, useState } from 'react';
import type { PromptRecord } from '../engine/runtime/ask';
import { listPrompts } from '../lib/live-edit';

export function usePrompts(runId: string | undefined, refresh = 0): PromptRecord[] {
  const [prompts, setPrompts] = useState<{ runId?: string; list: PromptRecord[] }>({ list: [] });
  useEffect(() => {
    if (!runId) return;
    let current = true;
    void listPrompts(runId).then((list) => current && setPrompts({ runId, list }));
    return () => {
      current = false;
    };
  }, [runId, refresh]);
  return prompts.runId === runId ? prompts.list : [];
}

/** One answer: the text, then where it came from (step, checkpoint or live) and its settings. */
export function PromptAnswer({ answer }: { answer: PromptRecord }) {
  const { settings } = answer;
  return (
    <li data-testid="prompt-answer">
      <div className="muted small" title={`asked ${new Date(answer.time).toLocaleString()}`}>
        @ step {answer.step}
        {answer.checkpoint ? ` · ${answer.checkpoint}` : ' · live'} · temperature {settings.temperature} · top-k {settings.top_k}
      </div>
      {answer.text}
    </li>
  );
}
