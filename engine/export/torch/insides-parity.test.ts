// The inside view agrees between the engine (tfjs cpu, in this process) and the exported train.py
// (Debian's PyTorch, CPU): from the same initial weights and batches, the model/insides events of
// both carry the same inner nodes, the same array lengths and the same numbers within 1e-4
// relative at every due step (2 micro-batches, so the gradients are accumulated ones), for the
// default model and two variants.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { collectEvents, type InsidesData } from '../../events';
import type { GptConfig } from '../../model/config';
import { trainPipeline } from '../../node/train';
import { writeTorchExport } from '../../node/torch-export';
import { withModelVariant } from '../../testing/model-variant';
import { loopPipeline, planOf, readJsonl, runTrainPy, writeInitialWeights, writeTokenData } from './test-support';

const dir = mkdtempSync(join(tmpdir(), 'torch-insides-parity-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = writeTokenData(join(dir, 'data'));
const TOLERANCE = 1e-4;

/** The inside views of the engine and of train.py by step, for the same pipeline and initial weights. */
async function insidesOfBoth(name: string, variant: Partial<GptConfig>) {
  const base = loopPipeline({
    data,
    steps: 6,
    model: { n_heads: 4, inspect_every: 5 },
    backward: { grad_accum_steps: 2 },
    optimizer: { kind: 'adamw', weight_decay: 0.1 },
  });
  const pipeline = withModelVariant(base as never, variant);
  const plan = planOf(pipeline);
  const exportDir = join(dir, name);
  await writeTorchExport(plan, exportDir);
  const init = join(dir, `${name}-init.safetensors`);
  await writeInitialWeights(plan, init);

  const sink = collectEvents();
  const outcome = await trainPipeline({ pipeline, outDir: join(dir, `${name}-engine`), backend: 'cpu', sink });
  assert.ok(outcome.compiled && outcome.result.status === 'completed');
  const engine = new Map(sink.events.flatMap((e) => (e.type === 'model/insides' ? [[e.step, e.data] as const] : [])));

  const run = runTrainPy(exportDir, ['--device', 'cpu', '--init-from', init]);
  assert.equal(run.status, 0, run.stderr);
  const lines = readJsonl(join(exportDir, 'run', 'insides.jsonl')) as unknown as (InsidesData & { step: number })[];
  const torch = new Map(lines.map(({ step, ...rest }) => [step, rest]));
  return { engine, torch };
}

/** Largest relative difference between two inside views with the same nodes, stats and lengths. */
function maxRelDiff(torch: InsidesData, engine: InsidesData): number {
  assert.equal(torch.layers, engine.layers);
  assert.deepEqual(Object.keys(torch.blocks).sort(), Object.keys(engine.blocks).sort(), 'the same inner nodes');
  let max = 0;
  for (const [id, stats] of Object.entries(engine.blocks)) {
    assert.deepEqual(Object.keys(torch.blocks[id]).sort(), Object.keys(stats).sort(), `${id}: the same numbers`);
    for (const [stat, values] of Object.entries(stats) as [keyof typeof stats, (number | null)[]][]) {
      const theirs = torch.blocks[id][stat]!;
      assert.equal(theirs.length, values.length, `${id}.${stat} length`);
      values.forEach((v, i) => {
        assert.ok(typeof v === 'number' && typeof theirs[i] === 'number', `${id}.${stat}[${i}] is a number on both sides`);
        max = Math.max(max, Math.abs(theirs[i]! - v) / Math.abs(v));
      });
    }
  }
  return max;
}

async function checkParity(name: string, variant: Partial<GptConfig>) {
  const { engine, torch } = await insidesOfBoth(name, variant);
  assert.deepEqual([...engine.keys()], [1, 5], 'the engine reports steps 1 and 5');
  assert.deepEqual([...torch.keys()], [1, 5], 'train.py reports steps 1 and 5');
  for (const step of [1, 5]) {
    const diff = maxRelDiff(torch.get(step)!, engine.get(step)!);
    console.log(`${name}, step ${step}: max relative difference of the inside view ${diff.toExponential(2)}`);
    assert.ok(diff < TOLERANCE, `step ${step}: the numbers differ by ${diff}`);
  }
}

test('default model: the same inside view in the engine and in PyTorch', async () => {
  await checkParity('default', {});
});

test('GQA + untied head + learned positions: the same inside view in the engine and in PyTorch', async () => {
  await checkParity('gqa-untied', { nKvHeads: 2, tieEmbeddings: false, positions: 'learned' });
});

test('post-norm + fixed LayerNorms + QK-norm + relu² + no final norm: the same inside view in the engine and in PyTorch', async () => {
  await checkParity('post-norm', { normPlacement: 'post', norm: 'layernorm', normLearnable: false, qkNorm: true, ffn: 'relu2', finalNorm: false });
});
