// exportTorch: config.json carries the plan's values, the program never changes with the pipeline
// (an injection attempt produces byte-identical .py files and still trains), config.json is
// checked field by field, the program imports only torch, numpy and the standard library, and
// plans outside the standard loop are refused with the node at fault.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { exportTorch, TORCH_SOURCES, TorchExportError, torchConfig, type TorchConfig } from './export';
import { loopPipeline, planOf, PYTHON, readJsonl, runTrainPy, writeTokenData } from './test-support';
import { writeTorchExport } from '../../node/torch-export';

const dir = mkdtempSync(join(tmpdir(), 'torch-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = writeTokenData(join(dir, 'data'));
const full = () => loopPipeline({ data, steps: 7, eval: { every: 3, context_length: 0 }, checkpoint: { every: 5 }, sample: { every: 5, prompt: 'hé' } });

test("config.json carries the plan's values; the program files are the fixed sources", () => {
  const plan = planOf(full());
  const files = exportTorch(plan);
  assert.deepEqual([...files.keys()].sort(), [
    'README.md',
    'checkpoint.py',
    'config.json',
    'config.py',
    'data.py',
    'insides.py',
    'model.py',
    'optim.py',
    'requirements.txt',
    'rng.py',
    'train.py',
  ]);
  for (const [name, text] of TORCH_SOURCES) assert.equal(files.get(name), text, name);
  const c = JSON.parse(files.get('config.json')!) as TorchConfig;
  assert.equal(c.total_steps, 7);
  assert.equal(c.seed, 1);
  assert.deepEqual(c.model, {
    node_id: 'model',
    vocab_size: 256,
    context_length: 16,
    d_model: 32,
    n_layers: 2,
    n_heads: 2,
    d_ff: 64,
    rope_theta: 10000,
    norm: 'rmsnorm',
    ffn: 'swiglu',
    tie_embeddings: true,
    norm_eps: 1e-5,
    positions: 'rope',
    n_kv_heads: 2,
    head_dim: 16,
    qk_norm: false,
    norm_placement: 'pre',
    norm_learnable: true,
    final_norm: true,
    inspect_every: 20,
  });
  assert.deepEqual(c.data, { node_id: 'dataset', train_path: data.train, valid_path: data.valid });
  assert.deepEqual(c.batch, { node_id: 'get_batch', split: 'train', batch_size: 4, context_length: 16, seed: 5 });
  assert.deepEqual(c.backward, { node_id: 'backward', grad_accum_steps: 1 });
  assert.equal(c.optimizer.kind, 'adamw');
  assert.equal(c.optimizer.beta2, 0.95);
  assert.deepEqual(c.schedule, {
    node_id: 'scheduler',
    kind: 'cosine',
    lr: 0.01,
    min_lr: 0.001,
    warmup_steps: 3,
    decay_steps: 0,
    step_size: 1000,
    gamma: 0.5,
    decay_fraction: 0.2,
  });
  assert.deepEqual(c.eval, { node_id: 'eval', split: 'valid', every: 3, batches: 2, batch_size: 4, context_length: 16, seed: 42, after_update: true });
  assert.deepEqual(c.checkpoint, { node_id: 'checkpoint', every: 5, keep_last: 5, at_end: true });
  assert.deepEqual(c.sample!.prompt_ids, [104, 195, 169], 'the prompt as UTF-8 bytes');
  assert.deepEqual(c.sample!.tokenizer, { kind: 'byte' });
  assert.deepEqual(c.pipeline, plan.pipeline);
});

test('a pipeline full of quotes, newlines and Python yields byte-identical .py files, and still trains', async () => {
  const evil = `x"""\n'''\nimport os; os.system("echo pwned")  # \${0}\`\\n\r\n</script>`;
  // Even the data folder's name is hostile.
  const evilDir = join(dir, `we"ird'\n$(echo pwned)\\`);
  mkdirSync(evilDir);
  const evilData = { train: join(evilDir, 'tr"ain.npy'), valid: join(evilDir, "va'lid.npy") };
  writeFileSync(evilData.train, readFileSync(data.train));
  writeFileSync(evilData.valid, readFileSync(data.valid));
  const doc = loopPipeline({ data: evilData, name: evil, steps: 2, sample: { every: 1, prompt: evil, max_new_tokens: 2 }, eval: { every: 1 } });
  (doc.meta as Record<string, unknown>).description = evil;
  const evilFiles = exportTorch(planOf(doc));
  const plainFiles = exportTorch(planOf(full()));
  for (const name of evilFiles.keys()) {
    if (name !== 'config.json') assert.equal(evilFiles.get(name), plainFiles.get(name), `${name} must not depend on the pipeline`);
  }
  const c = JSON.parse(evilFiles.get('config.json')!) as TorchConfig;
  assert.equal(c.name, evil);
  assert.equal(c.sample!.prompt, evil);
  assert.equal(c.data.train_path, evilData.train);

  const exportDir = join(dir, 'evil');
  await writeTorchExport(planOf(doc), exportDir);
  const run = runTrainPy(exportDir, ['--device', 'cpu']);
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stdout + run.stderr, /^pwned$/m);
  const samples = readJsonl(join(exportDir, 'run', 'samples.jsonl'));
  assert.equal(samples.length, 2);
  assert.ok(String(samples[0].text).startsWith(evil), 'the prompt is data, printed back verbatim');
});

test('the program imports nothing but torch, numpy, the standard library and its own modules', () => {
  const allowed = new Set([
    'torch',
    'numpy',
    'argparse',
    'base64',
    'contextlib',
    'dataclasses',
    'datetime',
    'json',
    'math',
    'os',
    're',
    'secrets',
    'signal',
    'struct',
    'sys',
    'time',
    'traceback',
    'rng',
    'model',
    'data',
    'optim',
    'checkpoint',
    'config',
    'insides',
  ]);
  for (const [name, text] of TORCH_SOURCES) {
    if (!name.endsWith('.py')) continue;
    const imports = [...text.matchAll(/^\s*(?:import|from)\s+([A-Za-z_][\w.]*)/gm)].map((m) => m[1].split('.')[0]);
    assert.ok(imports.length > 0, name);
    for (const mod of imports) assert.ok(allowed.has(mod), `${name} imports ${mod}`);
  }
});

/** Runs config.validate on each case in one Python process; returns the error (or 'ok') per case. */
function validateInPython(exportDir: string, cases: string[]): string[] {
  const script = [
    'import json, sys',
    'sys.path.insert(0, sys.argv[1])',
    'import config',
    'for text in json.load(sys.stdin):',
    '    try:',
    '        config.validate(json.loads(text))',
    '        print("ok")',
    '    except config.ConfigError as e:',
    '        print(str(e).replace("\\n", " "))',
  ].join('\n');
  const run = spawnSync(PYTHON, ['-I', '-c', script, exportDir], { input: JSON.stringify(cases), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split('\n');
}

test('config.json is checked field by field; train.py stops on a bad one with the field named', async () => {
  const exportDir = join(dir, 'checked');
  await writeTorchExport(planOf(full()), exportDir);
  const good = JSON.parse(readFileSync(join(exportDir, 'config.json'), 'utf8'));
  const variant = (edit: (c: any) => void) => {
    const c = structuredClone(good);
    edit(c);
    return JSON.stringify(c);
  };
  const cases: [string, string][] = [
    [JSON.stringify(good), 'ok'],
    [variant((c) => (c.model.d_model = '32')), 'config.json: model.d_model must be an integer in [1, 16384], got "32"'],
    [variant((c) => (c.get_batch = 1)), 'config.json: get_batch is not a known field'],
    [variant((c) => (c.model.dmodel = 32)), 'config.json: model.dmodel is not a known field'],
    [variant((c) => delete c.batch.seed), 'config.json: batch.seed is missing'],
    [variant((c) => (c.batch.batch_size = true)), 'config.json: batch.batch_size must be an integer in [1, 4096], got true'],
    [variant((c) => (c.optimizer.lr = -1)), 'config.json: optimizer.lr must be a number in (0, 10], got -1'],
    [variant((c) => (c.optimizer.kind = 'rmsprop')), 'config.json: optimizer.kind must be one of adamw, adam, sgd, adagrad, lion, muon, got "rmsprop"'],
    [variant((c) => (c.optimizer.ns_steps = 0)), 'config.json: optimizer.ns_steps must be an integer in [1, 20], got 0'],
    [variant((c) => (c.model = null)), 'config.json: model must be an object, got null'],
    [variant((c) => (c.clip = 'off')), 'config.json: clip must be an object or null, got "off"'],
    [variant((c) => (c.batch.context_length = 17)), 'config.json: batch.context_length (17) exceeds model.context_length (16)'],
    [variant((c) => (c.model.n_heads = 3)), 'config.json: model.n_kv_heads (2) must divide model.n_heads (3)'],
    [variant((c) => (c.model.head_dim = 7)), 'config.json: model.head_dim is 7, which must be even (RoPE rotates pairs)'],
    [variant((c) => Object.assign(c.model, { head_dim: 7, positions: 'learned' })), 'ok'],
    [variant((c) => (c.model.positions = 'alibi')), 'config.json: model.positions must be one of rope, learned, none, got "alibi"'],
    [variant((c) => (c.model.ffn = 'relu')), 'config.json: model.ffn must be one of swiglu, gelu, relu2, got "relu"'],
    [variant((c) => delete c.model.final_norm), 'config.json: model.final_norm is missing'],
    // Version 1 (before the variants) reads as today's GPT; a variant field in it is still checked.
    [
      variant((c) => {
        c.version = 1;
        for (const key of ['positions', 'n_kv_heads', 'head_dim', 'qk_norm', 'norm_placement', 'norm_learnable', 'final_norm']) delete c.model[key];
      }),
      'ok',
    ],
    [variant((c) => Object.assign(c, { version: 1 }) && (c.model.n_kv_heads = 0)), 'config.json: model.n_kv_heads must be an integer in [1, 256], got 0'],
    // Version 2 (before the inside view) reads with the default inspect_every; the setting is checked.
    [variant((c) => Object.assign(c, { version: 2 }) && delete c.model.inspect_every), 'ok'],
    [variant((c) => delete c.model.inspect_every), 'config.json: model.inspect_every is missing'],
    [variant((c) => (c.model.inspect_every = -1)), 'config.json: model.inspect_every must be an integer in [0, 9007199254740991], got -1'],
    [variant((c) => (c.model.inspect_every = 2.5)), 'config.json: model.inspect_every must be an integer in [0, 9007199254740991], got 2.5'],
    [variant((c) => (c.sample.prompt_ids = [1, 300])), "config.json: sample.prompt_ids[1] (300) is outside the model's vocabulary (256)"],
    [
      variant((c) => (c.batch.node_id = 'a"; import os')),
      'config.json: batch.node_id must be a node id (letters, digits and _ . # : > -, up to 64), got "a\\"; import os"',
    ],
    [
      variant((c) => (c.sample.tokenizer = { kind: 'bpe', merges: [[256, 1]] })),
      'config.json: sample.tokenizer.merges[0] refers to an id that does not exist yet',
    ],
    [variant((c) => (c.format = 'something-else')), 'config.json: format must be one of pretrain-studio-torch, got "something-else"'],
    [variant((c) => (c.version = 4)), 'config.json: version must be an integer in [3, 3], got 4'],
  ];
  // JSON has no NaN or Infinity, but Python's json module reads them: the range checks must catch them.
  const optimizerLr = (text: string) => variant((c) => (c.optimizer.lr = 12345)).replace('12345', text);
  cases.push([optimizerLr('NaN'), 'config.json: optimizer.lr must be a number in (0, 10], got NaN']);
  cases.push([optimizerLr('Infinity'), 'config.json: optimizer.lr must be a number in (0, 10], got Infinity']);
  const got = validateInPython(
    exportDir,
    cases.map(([text]) => text),
  );
  assert.deepEqual(
    got,
    cases.map(([, message]) => message),
  );

  writeFileSync(
    join(exportDir, 'config.json'),
    variant((c) => (c.backward.grad_accum_steps = 0)),
  );
  const run = runTrainPy(exportDir, ['--device', 'cpu']);
  assert.equal(run.status, 2);
  assert.equal(run.stderr.trim(), 'error: config.json: backward.grad_accum_steps must be an integer in [1, 1024], got 0');
  writeFileSync(join(exportDir, 'config.json'), '{"format": ');
  const broken = runTrainPy(exportDir, ['--device', 'cpu']);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /error: .*config\.json is not valid JSON/);
});

test('plans outside the standard loop are refused, naming the node', () => {
  const refuse = (doc: Record<string, unknown>) => {
    try {
      torchConfig(planOf(doc));
    } catch (e) {
      assert.ok(e instanceof TorchExportError);
      return e.issues;
    }
    assert.fail('expected a TorchExportError');
  };
  const edit = (change: (doc: any) => void) => {
    const doc = loopPipeline({ data, eval: { every: 5 } }) as any;
    change(doc);
    return doc;
  };
  const swapTargets = edit((d) => {
    const e = d.edges.find((x: any) => x.target === 'loss' && x.targetHandle === 'targets');
    e.sourceHandle = 'x';
  });
  assert.deepEqual(refuse(swapTargets), [
    { nodeId: 'loss', field: 'targets', message: 'is fed by get_batch.x; the PyTorch export needs get_batch.y (targets are the inputs shifted by one)' },
  ]);

  const twoEvals = edit((d) => {
    d.nodes.push({ id: 'eval2', type: 'eval', params: {} });
    d.edges.push({ id: 'm', source: 'model', sourceHandle: 'model', target: 'eval2', targetHandle: 'model' });
    d.edges.push({ id: 'v', source: 'dataset', sourceHandle: 'valid', target: 'eval2', targetHandle: 'data' });
  });
  const issues = refuse(twoEvals);
  assert.equal(issues.length, 1);
  assert.equal(issues[0].nodeId, 'eval2');
  assert.match(issues[0].message, /a second eval node \(the first is 'eval'\)/);

  const clipBypassed = edit((d) => {
    d.edges.find((x: any) => x.target === 'optimizer' && x.targetHandle === 'grads').source = 'backward';
  });
  assert.deepEqual(
    refuse(clipBypassed).map((i) => [i.nodeId, i.field]),
    [['optimizer', 'grads']],
  );
  assert.match(refuse(clipBypassed)[0].message, /is fed by backward\.grads; the PyTorch export needs clip\.grads/);

  const err = (() => {
    try {
      exportTorch(planOf(swapTargets));
    } catch (e) {
      return e as Error;
    }
  })();
  assert.equal(err?.message, 'loss.targets: is fed by get_batch.x; the PyTorch export needs get_batch.y (targets are the inputs shifted by one)');
});

test('a prompt the model cannot read is refused at export', () => {
  const doc = loopPipeline({ data, model: { vocab_size: 100 }, sample: { prompt: 'z' } });
  assert.throws(
    () => exportTorch(planOf(doc)),
    (e: unknown) => e instanceof TorchExportError && e.issues[0].nodeId === 'sample' && /token 122 is outside the model's vocabulary \(100\)/.test(e.message),
  );
});
