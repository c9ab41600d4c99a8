// The Python mirrors of engine pieces, run side by side in one Python process: the portable Rng,
// lr_at (every schedule kind), the sampling rule, the portable weight init and BPE decoding give
// the engine's numbers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { trainBpe } from '../../data/tokenize/bpe';
import { Gpt } from '../../model/gpt';
import { sampleFromLogits } from '../../model/generate';
import { lrAt, type ScheduleConfig } from '../../optim/schedules';
import { Rng } from '../../random';
import { useBackend } from '../../node/backend';
import { TORCH_SOURCES } from './export';
import { PYTHON } from './test-support';

const dir = mkdtempSync(join(tmpdir(), 'torch-mirror-'));
after(() => rmSync(dir, { recursive: true, force: true }));
for (const [name, text] of TORCH_SOURCES) writeFileSync(join(dir, name), text);

/** Runs `body` (Python reading `inp`, assigning `out`) with the export's modules importable. */
function python(body: string, inp: unknown): any {
  const script = `import json, sys\nsys.path.insert(0, sys.argv[1])\ninp = json.load(sys.stdin)\n${body}\nprint(json.dumps(out))`;
  const run = spawnSync(PYTHON, ['-I', '-c', script, dir], { input: JSON.stringify(inp), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

test('Rng: same words, uniforms, indices and normals for the same seeds and states', () => {
  const seeds = [0, 1, 1337, 2 ** 32 - 1];
  const out = python(
    `
from rng import Rng
out = []
for seed in inp["seeds"]:
    r = Rng(seed)
    words = [r.next_uint32() for _ in range(5)]
    out.append({"words": words, "uniform": [r.uniform() for _ in range(5)], "index": [r.index(n) for n in (1, 7, 1000, 2**40)],
                "normal": [r.normal() for _ in range(3)], "state": r.get_state()})
r = Rng(inp["state"])
out.append(r.index(12345))
`,
    { seeds, state: [1, 2, 3, 4] },
  );
  seeds.forEach((seed, i) => {
    const r = new Rng(seed);
    assert.deepEqual(
      out[i].words,
      Array.from({ length: 5 }, () => r.nextUint32()),
      `seed ${seed}`,
    );
    assert.deepEqual(
      out[i].uniform,
      Array.from({ length: 5 }, () => r.uniform()),
    );
    assert.deepEqual(
      out[i].index,
      [1, 7, 1000, 2 ** 40].map((n) => r.index(n)),
    );
    const normals = Array.from({ length: 3 }, () => r.normal());
    out[i].normal.forEach((v: number, j: number) => assert.ok(Math.abs(v - normals[j]) <= 1e-15 * Math.max(1, Math.abs(v))));
    assert.deepEqual(out[i].state, r.getState());
  });
  assert.equal(out.at(-1), new Rng([1, 2, 3, 4]).index(12345));
});

test('lr_at equals lrAt for every kind, with and without warmup and decay_steps', () => {
  const base = { lr: 0.01, min_lr: 0.001, step_size: 7, gamma: 0.6, decay_fraction: 0.3 };
  const configs = [];
  for (const kind of ['constant', 'linear', 'step', 'cosine', 'wsd']) {
    for (const warmup_steps of [0, 5]) for (const decay_steps of [0, 30]) configs.push({ ...base, kind, warmup_steps, decay_steps });
  }
  const total = 50;
  const out = python(
    `
from optim import lr_at
out = [[lr_at(s, c, inp["total"]) for s in range(inp["total"] + 5)] for c in inp["configs"]]
`,
    { configs, total },
  );
  configs.forEach((c, i) => {
    const engine: ScheduleConfig = {
      kind: c.kind as ScheduleConfig['kind'],
      lr: c.lr,
      minLr: c.min_lr,
      warmupSteps: c.warmup_steps,
      totalSteps: c.decay_steps || total,
      stepSize: c.step_size,
      gamma: c.gamma,
      decayFraction: c.decay_fraction,
    };
    out[i].forEach((lr: number, s: number) => {
      const want = lrAt(s, engine);
      assert.ok(Math.abs(lr - want) <= 1e-15 * want + 1e-18, `${c.kind} warmup ${c.warmup_steps} decay ${c.decay_steps} step ${s}: ${lr} vs ${want}`);
    });
  });
});

test("sample_from_logits picks the engine's token for the same logits and draws", () => {
  const rng = new Rng(11);
  const rows = Array.from({ length: 40 }, (_, i) => Array.from({ length: 50 }, () => Math.fround(rng.normal() * 3 * (i % 4))));
  const settings = [
    [0.8, 40],
    [1, 0],
    [0.5, 5],
    [0, 10],
    [2, 1],
    [1.3, 50],
  ];
  const out = python(
    `
from data import sample_from_logits
from rng import Rng
out = []
for t, k in inp["settings"]:
    r = Rng(5)
    out.append([sample_from_logits(row, t, k, r) for row in inp["rows"]])
`,
    { rows, settings },
  );
  settings.forEach(([temperature, topK], i) => {
    const r = new Rng(5);
    assert.deepEqual(
      out[i],
      rows.map((row) => sampleFromLogits(row, { temperature, topK, rng: r })),
      `temperature ${temperature}, top_k ${topK}`,
    );
  });
});

test("--init portable draws the engine's initial weights; BPE decoding equals the engine's", async () => {
  await useBackend('cpu');
  const config = {
    vocabSize: 64,
    contextLength: 8,
    dModel: 16,
    nLayers: 2,
    nHeads: 2,
    dFF: 24,
    ropeTheta: 10000,
    norm: 'layernorm',
    ffn: 'gelu',
    tieEmbeddings: false,
  } as const;
  const gpt = new Gpt(config, 4242);
  const bpe = trainBpe('low lower lowest newest widest, héllo wörld '.repeat(20), 280);
  const ids = Array.from(bpe.encode('lowest héllo, newest wörld'));
  const out = python(
    `
import torch
from model import GPT, GPTConfig, init_parameters
from data import Decoder
c = inp["config"]
m = GPT(GPTConfig(c["vocabSize"], c["contextLength"], c["dModel"], c["nLayers"], c["nHeads"], c["dFF"], c["ropeTheta"], c["norm"], c["ffn"], c["tieEmbeddings"]))
init_parameters(m, 4242, portable=True)
out = {"params": {n: p.detach().reshape(-1).tolist() for n, p in m.ordered_parameters()},
       "text": Decoder({"kind": "bpe", "merges": inp["merges"]}, ".").decode(inp["ids"])}
`,
    { config, merges: bpe.toJSON().merges, ids },
  );
  try {
    assert.deepEqual(Object.keys(out.params), [...gpt.params.keys()], 'same names, same order');
    for (const [name, v] of gpt.params) {
      const want = v.dataSync();
      const got = out.params[name] as number[];
      assert.equal(got.length, want.length, name);
      got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) <= 1e-7 * Math.abs(want[i]) + 1e-12, `${name}[${i}]: ${x} vs ${want[i]}`));
    }
  } finally {
    gpt.dispose();
  }
  assert.equal(out.text, bpe.decode(ids));
  assert.equal(out.text, 'lowest héllo, newest wörld');
});
