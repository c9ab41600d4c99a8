// Live edits and prompts on a browser run (lib/browser-executor.ts with the real worker host behind
// an in-process channel, cpu backend): the logged lr changes after the step the edit reports, a
// prompt is answered between steps, and requests after the end are refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { RunEvent } from '../engine/events';
import { startBrowserRun } from './browser-executor';
import { inProcessWorker } from './testing/in-process-worker';

const SMOKE = JSON.parse(readFileSync(new URL('../pipelines/smoke.json', import.meta.url), 'utf8'));
const TEXT = Array.from({ length: 300 }, (_, i) => `Row ${i % 11}: pack my box with five dozen liquor jugs.`).join('\n') + '\n';

test('a browser run takes a live edit and a prompt between steps', async () => {
  const doc = structuredClone(SMOKE);
  doc.training.steps = 14;
  for (const n of doc.nodes) if (n.id === 'dataset') n.params.source = 'files';
  const events: RunEvent[] = [];
  let paused: (() => void) | undefined;
  const reachedStep = new Promise<void>((resolve) => (paused = resolve));
  const run = startBrowserRun({
    pipeline: doc,
    backend: 'cpu',
    data: { kind: 'text', text: TEXT, tokenizer: 'byte' },
    createWorker: inProcessWorker,
    onEvents: (batch) => {
      events.push(...batch);
      if (batch.some((e) => e.type === 'step' && e.step >= 3)) paused?.();
    },
  });
  await reachedStep;
  run.pause();
  const outcome = await run.edit('scheduler', { kind: 'constant', lr: 0.0015 });
  assert.ok('appliedAtStep' in outcome, JSON.stringify(outcome));
  const at = outcome.appliedAtStep;
  const locked = await run.edit('model', { d_model: 64 });
  assert.ok('status' in locked && locked.status === 409);
  const answer = await run.sample({ prompt: 'Row ', maxNewTokens: 6 });
  assert.ok('text' in answer && answer.text.startsWith('Row ') && answer.step === at, JSON.stringify(answer));
  run.resume();
  const result = await run.done;
  assert.equal(result.status, 'completed');
  for (const line of run.logLines.map((l) => JSON.parse(l)).filter((l) => typeof l.loss === 'number')) {
    assert.equal(line.lr === 0.0015, line.step > at, `step ${line.step}: lr ${line.lr}`);
  }
  assert.deepEqual(
    events.filter((e) => e.type === 'run/edited').map((e) => e.step),
    [at],
  );
  const late = await run.edit('clip', { max_norm: 2 });
  assert.ok('status' in late && late.status === 409);
});
