// Checkpoints cross between the executors: the engine resumes a checkpoint written by train.py, and
// train.py resumes one written by the engine, each continuing with the losses of the uninterrupted run.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeCheckpointTensors, parseCheckpointMeta } from '../../checkpoint/checkpoint';
import { decodeSafetensors } from '../../checkpoint/safetensors';
import { loopPipeline, maxRelDiff, planOf, readJsonl, runEngine, runTrainPy, writeInitialWeights, writeTokenData, type StepLine } from './test-support';
import { writeTorchExport } from '../../node/torch-export';

const dir = mkdtempSync(join(tmpdir(), 'torch-resume-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = writeTokenData(join(dir, 'data'));
const pipeline = loopPipeline({
  data,
  steps: 10,
  optimizer: { kind: 'adamw', weight_decay: 0.1 },
  scheduler: { kind: 'cosine', lr: 0.01, min_lr: 0.001, warmup_steps: 2 },
  checkpoint: { every: 5, keep_last: 5 },
  sample: { every: 5, max_new_tokens: 4 },
});
const plan = planOf(pipeline);
const exportDir = join(dir, 'export');
const logOf = (runDir: string) => readJsonl(join(runDir, 'train_log.jsonl')) as unknown as StepLine[];

test('a train.py checkpoint resumes in the engine, an engine checkpoint in train.py, with matching losses', async () => {
  await writeTorchExport(plan, exportDir);
  await writeInitialWeights(plan, join(dir, 'init.safetensors'));
  // Uninterrupted runs of both executors from the same weights.
  const engine = await runEngine(pipeline, join(dir, 'engine'));
  const full = runTrainPy(exportDir, ['--device', 'cpu', '--init-from', join(dir, 'init.safetensors'), '--out', join(dir, 'torch')]);
  assert.equal(full.status, 0, full.stderr);
  const torch = logOf(join(dir, 'torch'));
  assert.ok(maxRelDiff(torch, engine) < 1e-4);

  // The torch checkpoint is a valid engine checkpoint: metadata, tensor names, RNG states.
  const ckpt = join(dir, 'torch', 'checkpoints', 'ckpt-000005');
  const meta = parseCheckpointMeta(JSON.parse(readFileSync(`${ckpt}.json`, 'utf8')));
  assert.equal(meta.step, 5);
  assert.equal(meta.executor, 'torch');
  assert.deepEqual(Object.keys(meta.nodes).sort(), ['get_batch', 'sample']);
  const engineMeta = parseCheckpointMeta(JSON.parse(readFileSync(join(dir, 'engine', 'checkpoints', 'ckpt-000005.json'), 'utf8')));
  assert.deepEqual(meta.nodes, engineMeta.nodes, 'same RNG states after 5 steps');
  assert.deepEqual(meta.weights, engineMeta.weights);
  const ours = decodeSafetensors(new Uint8Array(readFileSync(`${ckpt}.safetensors`)));
  const theirs = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'engine', 'checkpoints', 'ckpt-000005.safetensors'))));
  assert.deepEqual([...ours.tensors.keys()], [...theirs.tensors.keys()], 'same tensor names, same order');
  for (const [name, t] of theirs.tensors) assert.deepEqual([ours.tensors.get(name)!.dtype, ours.tensors.get(name)!.shape], [t.dtype, t.shape], name);
  assert.deepEqual(ours.metadata, { ...theirs.metadata });
  decodeCheckpointTensors(new Uint8Array(readFileSync(`${ckpt}.safetensors`))).forEach((t) => t.dispose());

  // torch -> engine: steps 6..10 continue the uninterrupted run.
  const resumedInEngine = await runEngine(pipeline, join(dir, 'engine-from-torch'), { resume: ckpt });
  assert.deepEqual(
    resumedInEngine.map((l) => l.step),
    [6, 7, 8, 9, 10],
  );
  const a = maxRelDiff(resumedInEngine, torch.slice(5));
  // engine -> torch
  const back = runTrainPy(exportDir, [
    '--device',
    'cpu',
    '--resume',
    join(dir, 'engine', 'checkpoints', 'ckpt-000005.json'),
    '--out',
    join(dir, 'torch-from-engine'),
  ]);
  assert.equal(back.status, 0, back.stderr);
  assert.match(back.stdout, /resumed from ckpt-000005/);
  const resumedInTorch = logOf(join(dir, 'torch-from-engine'));
  const b = maxRelDiff(resumedInTorch, engine.slice(5));
  console.log(`resume: torch -> engine ${a.toExponential(2)}, engine -> torch ${b.toExponential(2)} (max relative loss difference)`);
  assert.ok(a < 1e-4 && b < 1e-4, `${a}, ${b}`);
  // The sampler continues its stream too: the step-10 sample equals the uninterrupted run's.
  const sampleAt10 = (runDir: string) => readJsonl(join(runDir, 'samples.jsonl')).find((s) => s.step === 10)!.text;
  assert.equal(sampleAt10(join(dir, 'torch-from-engine')), sampleAt10(join(dir, 'torch')));
});

test('resuming with another optimizer kind fails with a message naming the optimizer node', async () => {
  const other = planOf(loopPipeline({ data, steps: 10, optimizer: { kind: 'sgd' }, checkpoint: { every: 5 } }));
  const otherDir = join(dir, 'export-sgd');
  await writeTorchExport(other, otherDir);
  const run = runTrainPy(otherDir, ['--device', 'cpu', '--resume', join(dir, 'engine', 'checkpoints'), '--out', join(dir, 'bad')]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /error: optimizer: ckpt-000010: optimizer sgd: checkpoint state lacks optim\.momentum\.wte/);
  const status = JSON.parse(readFileSync(join(dir, 'bad', 'status.json'), 'utf8'));
  assert.equal(status.state, 'failed');
  assert.equal(status.error.node_id, 'optimizer');
});
