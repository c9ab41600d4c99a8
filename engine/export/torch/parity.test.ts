// The exported train.py (Debian's PyTorch, CPU) against the engine run in this process (tfjs cpu
// backend): from the same initial weights (the engine's Gpt(config, seed), given to train.py with
// --init-from) and the same seeds, per-step losses agree within 1e-4 relative over 20 steps.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loopPipeline, maxRelDiff, readJsonl, runEngine, runTrainPy, trainBoth, writeTokenData, type LoopOptions, type StepLine } from './test-support';

const dir = mkdtempSync(join(tmpdir(), 'torch-parity-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = writeTokenData(join(dir, 'data'));
const TOLERANCE = 1e-4;

async function compare(name: string, options: Omit<LoopOptions, 'data'>) {
  const result = await trainBoth(dir, name, loopPipeline({ data, steps: 20, ...options }));
  assert.equal(result.torch.length, 20);
  return result;
}

test('AdamW + cosine warmup + clipping + 2 micro-batches: same losses, grad norms, lr and val_loss', async () => {
  const { engine, torch, exportDir } = await compare('adamw', {
    optimizer: { kind: 'adamw', weight_decay: 0.1 },
    scheduler: { kind: 'cosine', lr: 0.01, min_lr: 0.001, warmup_steps: 3 },
    clip: { max_norm: 0.5 },
    backward: { grad_accum_steps: 2 },
    eval: { every: 10 },
    sample: { every: 10, prompt: 'The ' },
  });
  const lossDiff = maxRelDiff(torch, engine);
  console.log(`adamw: max relative loss difference ${lossDiff.toExponential(2)}`);
  assert.ok(lossDiff < TOLERANCE, `loss differs by ${lossDiff}`);
  assert.ok(maxRelDiff(torch, engine, 'grad_norm') < TOLERANCE);
  assert.ok(maxRelDiff(torch, engine, 'lr') < 1e-12);
  assert.ok(maxRelDiff(torch, engine, 'val_loss') < TOLERANCE);
  assert.deepEqual(
    torch.filter((l) => l.val_loss !== undefined).map((l) => l.step),
    [10, 20],
  );
  assert.ok(torch[19].loss < torch[0].loss - 1, 'and it learns');
  const samples = readJsonl(join(exportDir, 'run', 'samples.jsonl'));
  assert.deepEqual(
    samples.map((s) => [s.step, s.node, s.tokens]),
    [
      [10, 'sample', 12],
      [20, 'sample', 12],
    ],
  );
  for (const s of samples) assert.match(String(s.text), /^The /);
});

test('SGD with Nesterov momentum + step schedule, no clip: same losses', async () => {
  const { engine, torch } = await compare('sgd', {
    optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weight_decay: 0.01 },
    scheduler: { kind: 'step', lr: 0.1, warmup_steps: 2, step_size: 5, gamma: 0.7 },
    clip: null,
  });
  const lossDiff = maxRelDiff(torch, engine);
  console.log(`sgd: max relative loss difference ${lossDiff.toExponential(2)}`);
  assert.ok(lossDiff < TOLERANCE, `loss differs by ${lossDiff}`);
  assert.equal(torch[0].grad_norm, undefined, 'no clip node, no grad_norm (as the engine)');
  assert.ok(torch[19].loss < torch[0].loss - 0.5, 'and it learns');
});

test('Muon (hidden matrices) + AdamW (embeddings, 1-D params) + cosine warmup + clipping: same losses, both learn, checkpoints cross', async () => {
  // The schedule scales muon_lr and adam_lr by its lr ÷ the optimizer's lr: equal here, so they peak as set.
  const options = {
    optimizer: { kind: 'muon', lr: 0.01, weight_decay: 0.1, muon_lr: 0.02, adam_lr: 0.01, adam_weight_decay: 0.01 },
    scheduler: { kind: 'cosine', lr: 0.01, min_lr: 0.001, warmup_steps: 3 },
    clip: { max_norm: 1 },
    backward: { grad_accum_steps: 2 },
    checkpoint: { every: 10 },
  };
  const { engine, torch, exportDir } = await compare('muon', options);
  const lossDiff = maxRelDiff(torch, engine);
  console.log(`muon: max relative loss difference ${lossDiff.toExponential(2)}`);
  assert.ok(lossDiff < TOLERANCE, `loss differs by ${lossDiff}`);
  assert.ok(maxRelDiff(torch, engine, 'grad_norm') < TOLERANCE);
  assert.ok(engine[19].loss < engine[0].loss - 1, `the engine's loss falls: ${engine[0].loss} -> ${engine[19].loss}`);
  assert.ok(torch[19].loss < torch[0].loss - 1, "and so does torch's");

  // Muon's state (momentum per hidden matrix; m, v and step counts for the rest) crosses both ways.
  const pipeline = loopPipeline({ data, steps: 20, ...options });
  const fromTorch = await runEngine(pipeline, join(dir, 'muon-from-torch'), { resume: join(exportDir, 'run', 'checkpoints', 'ckpt-000010') });
  const back = runTrainPy(exportDir, [
    '--device',
    'cpu',
    '--resume',
    join(dir, 'muon-engine', 'checkpoints', 'ckpt-000010.json'),
    '--out',
    join(dir, 'muon-from-engine'),
  ]);
  assert.equal(back.status, 0, back.stderr);
  const fromEngine = readJsonl(join(dir, 'muon-from-engine', 'train_log.jsonl')) as unknown as StepLine[];
  assert.deepEqual(
    [fromTorch.map((l) => l.step), fromEngine.map((l) => l.step)],
    [
      [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
      [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    ],
  );
  assert.ok(maxRelDiff(fromTorch, torch.slice(10)) < TOLERANCE && maxRelDiff(fromEngine, engine.slice(10)) < TOLERANCE);
});
