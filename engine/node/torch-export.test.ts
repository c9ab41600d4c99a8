// writeTorchExport on disk: the bundled corpus is copied (or linked) into data/ and trains; a
// dataset of your own files is pointed at or copied, its BPE tokenizer encodes the prompt and
// decodes samples in Python; GPT-2's vocabulary file decodes like js-tiktoken.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadGpt2Tokenizer } from '../data/tokenize/gpt2';
import { tokenizerFromJSON } from '../data/tokenize/tokenizer';
import { tokenizeText } from './tokenize-files';
import { loopPipeline, planOf, PYTHON, readJsonl, runTrainPy } from '../export/torch/test-support';
import { gpt2VocabBase64, writeTorchExport } from './torch-export';

const dir = mkdtempSync(join(tmpdir(), 'torch-write-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The seed-style loop on the bundled Brown corpus (byte-level). */
function brownPipeline() {
  const doc = loopPipeline({
    data: { train: 'unused', valid: 'unused' },
    steps: 2,
    sample: { every: 2, max_new_tokens: 8 },
    eval: { every: 2, batches: 1 },
  }) as any;
  doc.nodes[0].params = { source: 'brown', tokenizer: 'byte' };
  return doc;
}

test('source brown: the prepared corpus is copied into data/ (or linked) and the export trains on it', async () => {
  const dataDir = join(dir, 'corpus');
  const out = join(dir, 'brown');
  const result = await writeTorchExport(planOf(brownPipeline()), out, { dataDir });
  assert.deepEqual(
    result.files.filter((f) => f.startsWith('data/')),
    ['data/train_ids.npy', 'data/valid_ids.npy', 'data/tokenizer.json', 'data/meta.json'],
  );
  assert.deepEqual(result.config.data, { node_id: 'dataset', train_path: 'data/train_ids.npy', valid_path: 'data/valid_ids.npy' });
  assert.deepEqual(result.config.sample!.tokenizer, { kind: 'byte' });
  assert.deepEqual(readFileSync(join(out, 'data', 'train_ids.npy')), readFileSync(join(dataDir, 'brown-byte', 'train_ids.npy')));
  assert.equal(lstatSync(join(out, 'data', 'train_ids.npy')).isSymbolicLink(), false);
  const run = runTrainPy(out, ['--device', 'cpu']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(readJsonl(join(out, 'run', 'train_log.jsonl')).length, 2);

  const linked = await writeTorchExport(planOf(brownPipeline()), join(dir, 'brown-linked'), { dataDir, linkData: true });
  assert.equal(lstatSync(join(linked.outDir, 'data', 'valid_ids.npy')).isSymbolicLink(), true);
});

test('source files with a BPE tokenizer: relative paths resolve against baseDir; copyData makes the folder self-contained; samples decode in Python', async () => {
  const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(400);
  await tokenizeText(text, join(dir, 'own'), { tokenizer: 'bpe', vocabSize: 300, validFraction: 0.1 });
  const tokenizer = tokenizerFromJSON(JSON.parse(readFileSync(join(dir, 'own', 'tokenizer.json'), 'utf8')));
  const doc = loopPipeline({
    data: { train: 'own/train_ids.npy', valid: 'own/valid_ids.npy' },
    steps: 2,
    model: { vocab_size: 300 },
    sample: { every: 2, prompt: 'the cat', max_new_tokens: 6 },
  });
  const pointed = await writeTorchExport(planOf(doc), join(dir, 'pointed'), { baseDir: dir });
  assert.equal(pointed.config.data.train_path, join(dir, 'own', 'train_ids.npy'));
  assert.deepEqual(pointed.config.sample!.prompt_ids, Array.from(tokenizer.encode('the cat')));
  const json = tokenizer.toJSON();
  assert.ok(json.kind === 'bpe');
  assert.deepEqual(pointed.config.sample!.tokenizer, { kind: 'bpe', merges: json.merges });

  const copied = await writeTorchExport(planOf(doc), join(dir, 'copied'), { baseDir: dir, copyData: true });
  assert.equal(copied.config.data.train_path, 'data/train_ids.npy');
  assert.deepEqual(readdirSync(join(dir, 'copied', 'data')).sort(), ['meta.json', 'tokenizer.json', 'train_ids.npy', 'valid_ids.npy']);
  const run = runTrainPy(copied.outDir, ['--device', 'cpu']);
  assert.equal(run.status, 0, run.stderr);
  const [sample] = readJsonl(join(copied.outDir, 'run', 'samples.jsonl'));
  assert.equal(sample.tokens, 6);
  assert.ok(String(sample.text).startsWith('the cat')); // decoding itself is checked against the engine in mirror.test.ts
});

test('GPT-2 samples decode in Python from data/gpt2_vocab.json exactly as js-tiktoken decodes', async () => {
  const vocab = await gpt2VocabBase64();
  assert.equal(vocab.length, 50257);
  const tok = await loadGpt2Tokenizer();
  const ids = [...Array.from(tok.encode('Hello world, naïve café — ok')), 50256, 198, 13];
  const script = [
    'import base64, json, sys',
    'sys.path.insert(0, sys.argv[1])',
    'from data import Decoder',
    'd = Decoder({"kind": "gpt2", "vocab_path": None}, ".")',
    'inp = json.load(sys.stdin)',
    'd.vocab = [base64.b64decode(t) for t in inp["vocab"]]',
    'print(json.dumps(d.decode(inp["ids"])))',
  ].join('\n');
  const out = join(dir, 'gpt2-src');
  await writeTorchExport(planOf(loopPipeline({ data: { train: 'x', valid: 'y' } })), out);
  const run = spawnSync(PYTHON, ['-I', '-c', script, out], { input: JSON.stringify({ vocab, ids }), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout), tok.decode(ids));
});
