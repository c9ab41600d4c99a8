// Every architecture variant trains the same in the engine and in the exported train.py: from the
// same initial weights and seeds, per-step losses and gradient norms agree within 1e-4 relative
// over 20 steps. Three runs cover the list (tiny models, to keep CPU time low):
//   GQA + QK-norm + relu² + untied head; MQA + learned positions + post-norm (LayerNorm) + a head
//   width other than d_model / n_heads + no final norm; no positions + no block norms + a fixed
//   (non-learnable) final norm.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { GptConfig } from '../../model/config';
import { withModelVariant } from '../../testing/model-variant';
import { loopPipeline, maxRelDiff, trainBoth, writeTokenData } from './test-support';

const dir = mkdtempSync(join(tmpdir(), 'torch-parity-variants-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = writeTokenData(join(dir, 'data'));
const TOLERANCE = 1e-4;

async function checkParity(name: string, variant: Partial<GptConfig>) {
  const base = loopPipeline({ data, steps: 20, model: { n_heads: 4 }, optimizer: { kind: 'adamw', weight_decay: 0.1 } });
  const { engine, torch, exportDir } = await trainBoth(dir, name, withModelVariant(base as never, variant));
  assert.equal(torch.length, 20);
  const lossDiff = maxRelDiff(torch, engine);
  console.log(`${name}: max relative loss difference ${lossDiff.toExponential(2)}, loss ${torch[0].loss.toFixed(3)} -> ${torch[19].loss.toFixed(3)}`);
  assert.ok(lossDiff < TOLERANCE, `loss differs by ${lossDiff}`);
  assert.ok(maxRelDiff(torch, engine, 'grad_norm') < TOLERANCE, 'grad norms differ');
  assert.ok(torch[19].loss < torch[0].loss - 0.5, 'and it learns');
  return exportDir;
}

test('GQA + QK-norm + relu² + untied head: the same losses in the engine and in PyTorch', async () => {
  await checkParity('gqa', { nKvHeads: 2, qkNorm: true, ffn: 'relu2', tieEmbeddings: false });
});

test('MQA + learned positions + post-norm + head_dim + no final norm: the same losses in the engine and in PyTorch', async () => {
  await checkParity('mqa', { nKvHeads: 1, positions: 'learned', normPlacement: 'post', norm: 'layernorm', headDim: 6, finalNorm: false });
});

test('no positions + no block norms + a fixed final norm: the same losses in the engine and in PyTorch', async () => {
  await checkParity('bare', { positions: 'none', normPlacement: 'none', normLearnable: false, ffn: 'gelu' });
});
