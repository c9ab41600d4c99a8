import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeLog } from './log-summary';

test('best and final validation loss with their steps; the last loss and speed', () => {
  const log = [
    { step: 1, loss: 5.5, tokens_per_sec: 100, elapsed_s: 0.1 },
    { step: 10, loss: 4.0, val_loss: 4.2, tokens_per_sec: 120, elapsed_s: 1 },
    { step: 20, loss: 3.1, val_loss: 3.6, tokens_per_sec: 130, elapsed_s: 2 },
    { step: 30, loss: 3.0, val_loss: 3.7, tokens_per_sec: 125, elapsed_s: 3 },
  ]
    .map((l) => JSON.stringify(l))
    .join('\n');
  assert.deepEqual(summarizeLog(`${log}\n{"step": 31, "lo`), {
    step: 30,
    loss: 3.0,
    bestValLoss: 3.6,
    bestValStep: 20,
    finalValLoss: 3.7,
    finalValStep: 30,
    tokensPerSec: 125,
    elapsedS: 3,
  });
});

test('an empty or unreadable log says step 0 and nothing else', () => {
  assert.deepEqual(summarizeLog(''), { step: 0 });
  assert.deepEqual(summarizeLog('not json\n[1,2]\n{"loss": 3}\n'), { step: 0 });
});
