'use client';
// The sample block's prompt box: Enter asks the attached run's model — between two steps while it
// trains (its random streams untouched), else from its last checkpoint — and the answers stay
// listed under the box: the server keeps them with the run (prompts.jsonl), so they are there
// after a reload; a refused prompt is shown here only.
import { useState } from 'react';
import { askModel } from '../lib/live-edit';
import { displayState } from '../lib/run-stream';
import { useRuns } from '../lib/runs-store';
import { PromptAnswer, usePrompts } from './PromptAnswers';

export function PromptBox() {
  const runId = useRuns((s) => s.attached);
  const state = useRuns((s) => (s.attached && s.runs[s.attached] ? displayState(s.runs[s.attached]) : undefined));
  const lastCheckpoint = useRuns((s) => (s.attached ? (s.runs[s.attached]?.checkpoints.at(-1)?.name ?? s.statuses[s.attached]?.lastCheckpoint) : undefined));
  const [prompt, setPrompt] = useState('The ');
  const [temperature, setTemperature] = useState('0.8');
  const [topK, setTopK] = useState('40');
  const [refusal, setRefusal] = useState<string>();
  const [answered, setAnswered] = useState(0);
  const answers = usePrompts(runId ?? undefined, answered);
  const [busy, setBusy] = useState(false);
  if (!runId) return null;
  const live = state === 'running' || state === 'paused';
  // Nothing to ask (a run stopped before its first checkpoint) still lists what it answered.
  const canAsk = live || lastCheckpoint !== undefined;
  if (!canAsk && answers.length === 0) return null;
  const ask = async () => {
    setBusy(true);
    const answer = await askModel(runId, {
      prompt,
      max_new_tokens: 80,
      temperature: Number(temperature),
      top_k: Number(topK),
      ...(live ? {} : { checkpoint: lastCheckpoint }),
    });
    setRefusal('error' in answer ? answer.error : undefined);
    setAnswered((n) => n + 1);
    setBusy(false);
  };
  return (
    <section className="prompt-box" data-testid="prompt-box">
      {canAsk ? (
        <h3>
          Ask the model <span className="muted small">{live ? 'current weights' : lastCheckpoint}</span>
        </h3>
      ) : (
        <>
          <h3>The model's answers</h3>
          <p className="muted small">The run stopped before its first checkpoint: nothing left to ask.</p>
        </>
      )}
      {canAsk && (
        <>
          <textarea
            className="input nodrag"
            rows={2}
            value={prompt}
            data-testid="prompt-input"
            onChange={(e) => setPrompt(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                if (!busy) void ask();
              }
            }}
          />
          <div className="prompt-settings small">
            <label>
              temperature <input className="input nodrag" value={temperature} onChange={(e) => setTemperature(e.target.value)} />
            </label>
            <label>
              top-k <input className="input nodrag" value={topK} onChange={(e) => setTopK(e.target.value)} />
            </label>
          </div>
        </>
      )}
      <ul className="prompt-answers" data-testid="prompt-answers">
        {refusal && (
          <li className="field-error" data-testid="prompt-refusal">
            {refusal}
          </li>
        )}
        {answers.slice(0, 20).map((a) => (
          <PromptAnswer key={`${a.time}:${a.step}:${a.prompt}`} answer={a} />
        ))}
      </ul>
    </section>
  );
}
