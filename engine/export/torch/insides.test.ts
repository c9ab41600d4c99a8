// The inside view of the exported train.py (insides.py): model/insides at step 1 and every
// inspect_every steps only, with one number per layer for the block's nodes and one for the
// model's, streamed as valid events just before their step; the setting is editable live and
// checked; its gradient norms add up to the clip node's total; PyTorch 2's fused attention path
// measures the same entropy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { collectEvents, type InsidesData, type RunEvent } from '../../events';
import type { GptConfig } from '../../model/config';
import { LAYER_INSIDE_IDS } from '../../model-graph/insides';
import { tailTorchRun } from '../../node/torch-launch';
import { writeTorchExport } from '../../node/torch-export';
import { withModelVariant } from '../../testing/model-variant';
import { loopPipeline, planOf, PYTHON, readJsonl, runTrainPy, writeTokenData, type LoopOptions, type StepLine } from './test-support';

const dir = mkdtempSync(join(tmpdir(), 'torch-insides-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = writeTokenData(join(dir, 'data'));

interface InsidesLine extends InsidesData {
  step: number;
}

/** Exports the tiny loop (2 layers, T 16) with these options, runs train.py; the run folder. */
async function train(name: string, options: Omit<LoopOptions, 'data'>, variant: Partial<GptConfig> = {}, before?: (runDir: string) => void) {
  const pipeline = withModelVariant(loopPipeline({ data, steps: 7, ...options }) as never, variant);
  const exportDir = join(dir, name);
  await writeTorchExport(planOf(pipeline), exportDir);
  const runDir = join(exportDir, 'run');
  before?.(runDir);
  const run = runTrainPy(exportDir, ['--device', 'cpu']);
  return { exportDir, runDir, run, insides: () => readJsonl(join(runDir, 'insides.jsonl')) as unknown as InsidesLine[] };
}

/** Checks one line's shape: which nodes have which numbers, and how many. */
function checkShape(line: InsidesLine, expected: { acts: string[]; grads: string[] }) {
  assert.equal(line.layers, 2);
  assert.deepEqual(Object.keys(line.blocks).sort(), [...expected.acts].sort(), `step ${line.step}: the inner nodes measured`);
  for (const [id, numbers] of Object.entries(line.blocks)) {
    const size = (LAYER_INSIDE_IDS as readonly string[]).includes(id) ? 2 : 1;
    assert.equal(numbers.act_rms?.length, size, `${id}.act_rms`);
    assert.equal(numbers.grad_norm?.length, expected.grads.includes(id) ? size : undefined, `${id}.grad_norm`);
    assert.equal(numbers.attn_entropy?.length, id === 'attn' ? size : undefined, `${id}.attn_entropy`);
    for (const x of [...numbers.act_rms!, ...(numbers.grad_norm ?? [])]) assert.ok(typeof x === 'number' && x > 0 && Number.isFinite(x), `${id}: ${x}`);
  }
  // Causal rows over t + 1 keys: between 0 and the uniform rows' mean entropy, mean over t of ln(t + 1).
  const T = 16;
  const uniform = Array.from({ length: T }, (_, t) => Math.log(t + 1)).reduce((a, b) => a + b) / T;
  for (const h of line.blocks.attn.attn_entropy!) assert.ok(h! > 0 && h! <= uniform + 1e-6, `entropy ${h} within (0, ${uniform}]`);
}

/** sqrt of the sum of every node's squared gradient norm: the whole gradient's norm. */
const totalGradNorm = (line: InsidesLine) =>
  Math.sqrt(
    Object.values(line.blocks)
      .flatMap((n) => n.grad_norm ?? [])
      .reduce<number>((sum, g) => sum + (g ?? 0) ** 2, 0),
  );

const DEFAULT_ACTS = ['wte', 'norm1', 'attn', 'res1', 'norm2', 'ffn', 'res2', 'norm_f', 'lm_head'];

test('default model: insides at step 1 and every inspect_every steps, each node with its numbers, streamed before its step', async () => {
  const { exportDir, runDir, run, insides } = await train('default', {
    model: { inspect_every: 3 },
    backward: { grad_accum_steps: 2 },
    eval: { every: 3 },
  });
  assert.equal(run.status, 0, run.stderr);
  const lines = insides();
  assert.deepEqual(
    lines.map((l) => l.step),
    [1, 3, 6],
  );
  for (const line of lines) checkShape(line, { acts: DEFAULT_ACTS, grads: ['wte', 'norm1', 'attn', 'norm2', 'ffn', 'norm_f'] });
  // The tied head's gradient is in wte's; all together they are the clip node's norm (before clipping).
  const log = readJsonl(join(runDir, 'train_log.jsonl')) as unknown as StepLine[];
  for (const line of lines) {
    const clipped = log.find((l) => l.step === line.step)!.grad_norm!;
    assert.ok(Math.abs(totalGradNorm(line) - clipped) / clipped < 1e-5, `step ${line.step}: ${totalGradNorm(line)} vs ${clipped}`);
  }

  const sink = collectEvents();
  const tail = await tailTorchRun({ exportDir, runDir, sink, intervalMs: 60_000 });
  await tail.stop();
  const events = sink.events;
  const shown = events.filter((e): e is Extract<RunEvent, { type: 'model/insides' }> => e.type === 'model/insides');
  assert.deepEqual(
    shown.map((e) => [e.nodeId, e.step]),
    [
      ['model', 1],
      ['model', 3],
      ['model', 6],
    ],
  );
  assert.deepEqual(shown[1].data, { layers: lines[1].layers, blocks: lines[1].blocks });
  for (const e of shown) {
    const at = events.indexOf(e);
    assert.equal(
      events.findIndex((x) => x.type === 'step' && x.step >= e.step),
      at + 1,
      `step ${e.step}'s inside view comes just before its step event`,
    );
  }
});

test('GQA + untied head + learned positions + fixed norms: wpe and lm_head have their own numbers, the norms no gradient', async () => {
  const { run, insides } = await train(
    'variant',
    { model: { n_heads: 4, inspect_every: 5 } },
    {
      nKvHeads: 2,
      tieEmbeddings: false,
      positions: 'learned',
      normLearnable: false,
    },
  );
  assert.equal(run.status, 0, run.stderr);
  const lines = insides();
  assert.deepEqual(
    lines.map((l) => l.step),
    [1, 5],
  );
  for (const line of lines) checkShape(line, { acts: ['wpe', ...DEFAULT_ACTS], grads: ['wte', 'wpe', 'attn', 'ffn', 'lm_head'] });
});

test('inspect_every 0: no inside view at all', async () => {
  const { runDir, run } = await train('off', { model: { inspect_every: 0 } });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(existsSync(join(runDir, 'insides.jsonl')), false);
});

test('inspect_every is editable live; the architecture is not', async () => {
  // edits.jsonl is the run's edit history: a fresh run replays it at the steps it names, as it
  // applies a request of edit-requests.jsonl (the same code path).
  const history = (edit: object) => (runDir: string) => {
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'edits.jsonl'), JSON.stringify(edit) + '\n');
  };
  const edited = await train('edited', { model: { inspect_every: 3 } }, {}, history({ step: 2, nodeId: 'model', changes: { inspect_every: [3, 2] } }));
  assert.equal(edited.run.status, 0, edited.run.stderr);
  assert.deepEqual(
    edited.insides().map((l) => l.step),
    [1, 4, 6],
    'every 2 steps from step 3 on',
  );
  assert.match(edited.run.stdout, /step 2: edited model: \{"inspect_every": \[3, 2\]\}/);

  const refused = await train('refused', { model: { inspect_every: 3 } }, {}, history({ step: 1, nodeId: 'model', changes: { d_model: [32, 64] } }));
  assert.equal(refused.run.status, 1);
  assert.match(refused.run.stderr, /error: model: live edit: d_model cannot change while the run trains/);

  const invalid = await train('invalid', { model: { inspect_every: 3 } }, {}, history({ step: 1, nodeId: 'model', changes: { inspect_every: [3, -1] } }));
  assert.equal(invalid.run.status, 1);
  assert.match(invalid.run.stderr, /error: model: live edit: model\.inspect_every must be an integer in \[0, 9007199254740991\], got -1/);
});

test('with a fused attention kernel (PyTorch 2) the entropy comes from weights computed again outside autograd, and the hooks leave', async () => {
  const exportDir = join(dir, 'fused');
  await writeTorchExport(planOf(loopPipeline({ data })), exportDir);
  // Debian's PyTorch 1.13 has no scaled_dot_product_attention: a stand-in takes the fused branch.
  const script = String.raw`
import json, sys
sys.path.insert(0, sys.argv[1])
import torch
import torch.nn.functional as F
import model as M
from insides import InsidesProbe

c = M.GPTConfig(vocab_size=32, context_length=8, d_model=16, n_layers=2, n_heads=4, d_ff=32, rope_theta=10000.0,
                norm="rmsnorm", ffn="swiglu", tie_embeddings=True, n_kv_heads=2)
gpt = M.GPT(c)
M.init_parameters(gpt, 1)
x = torch.randint(0, 32, (3, 8), generator=torch.Generator().manual_seed(0))

def inside_view():
    probe = InsidesProbe(gpt, 1)
    with probe.watch():
        logits = gpt(x)
    logits.pow(2).mean().backward()
    view = probe.result()
    gpt.zero_grad(set_to_none=True)
    return view

explicit = inside_view()
calls = []
def fused(q, k, v, is_causal):
    calls.append(is_causal)
    return M.causal_weights(q, k) @ v
F.scaled_dot_product_attention = fused
with_fused = inside_view()
measured_calls = list(calls)
hooks = sum(len(m._forward_hooks) for m in gpt.modules())
gpt(x)
with torch.no_grad():
    gpt.wte[x[0, 0], 0] = float("inf")  # the first token's row overflows: its numbers are written as null
broken = json.dumps(inside_view(), allow_nan=False)
print(json.dumps({"explicit": explicit, "fused": with_fused, "calls": measured_calls, "hooks_left": hooks,
                  "entropy_needs_grad": gpt.blocks[0].attn.entropy.requires_grad,
                  "measuring_after": any(b.attn.measure_entropy for b in gpt.blocks), "broken": json.loads(broken)}))
`;
  const run = spawnSync(PYTHON, ['-I', '-c', script, exportDir], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as {
    explicit: InsidesData;
    broken: InsidesData;
    fused: InsidesData;
    calls: boolean[];
    hooks_left: number;
    entropy_needs_grad: boolean;
    measuring_after: boolean;
  };
  assert.deepEqual(out.calls, [true, true], 'the fused kernel ran in both layers');
  assert.equal(out.hooks_left, 0);
  assert.equal(out.measuring_after, false);
  assert.equal(out.entropy_needs_grad, false);
  for (const [id, stats] of Object.entries(out.explicit.blocks)) {
    for (const [stat, values] of Object.entries(stats) as [keyof typeof stats, number[]][]) {
      values.forEach((v, i) => assert.ok(Math.abs(out.fused.blocks[id][stat]![i]! - v) <= 1e-6 * Math.abs(v), `${id}.${stat}[${i}]`));
    }
  }
  assert.equal(out.fused.blocks.attn.attn_entropy!.length, 2);
  // Non-finite numbers are null (allow_nan=False above would have refused NaN or Infinity).
  assert.deepEqual(out.broken.blocks.wte.act_rms, [null]);
  assert.deepEqual(out.broken.blocks.lm_head.act_rms, [null]);
});
