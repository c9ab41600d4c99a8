// Speed check (a script, not a test): times training steps of the reference config R
// (forward + crossEntropy + tf.variableGrads + plain SGD) and prints tokens/s.
// Usage: node --import tsx engine/node/gpt-speed.ts [backend=wasm] [steps=20]
// The full comparison (the real runtime with AdamW and clipping, every backend, PyTorch in the same
// run) is `npm run bench` (bench/run.ts); bench/OPTIMIZATIONS.md has what each change bought.
// Reference: PyTorch 1.13 on one core does ~19k tokens/s on R with OpenBLAS's AVX-512 kernels,
// ~6k with the SSE3 ones OpenBLAS picks by itself on the dev VM.
// Measured on the 2-core dev VM (wasm, SIMD, no threads), tokens/s:
//   first version (explicit-grad matMul + scatter embedding, rest stock autodiff)  ~1.8k
//   + batched matmuls on XNNPACK (BatchMatMulLooped), GELU via sigmoid, RoPE swap as a matmul  ~3.9k
//   + hand-written LayerNorm/RMSNorm/GELU/SwiGLU/cross-entropy gradients, GatherRows  ~4.6k
//   + SIMD128 kernels (engine/tf/simd), buffer-sharing clones, early-freed gradients  ~5.3k (CPU time)
//   + matmuls on OpenBLAS (engine/node/blas.ts; PRETRAIN_BLAS=off for the line above)  ~22k
// On XNNPACK the floor was the matmuls: a step of R is ~1.4 GMAC (forward + backward) and XNNPACK
// on wasm runs ~8.5-10 GMAC/s here. Wall time swings on a shared machine: compare the cpu= figure
// (process CPU time per step).
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { useBackend, type BackendName } from './backend';
import { crossEntropy, Gpt, type GptConfig } from '../model/gpt';

/** Reference config R (~435k parameters). */
export const CONFIG_R: GptConfig = {
  vocabSize: 256,
  contextLength: 64,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  dFF: 512,
  ropeTheta: 10000,
  norm: 'layernorm',
  ffn: 'gelu',
  tieEmbeddings: true,
};
const BATCH = 16;

const backend = (process.argv[2] ?? 'wasm') as BackendName;
const steps = Number(process.argv[3] ?? 20);
const active = await useBackend(backend);
const model = new Gpt(CONFIG_R, 1);
const rng = new Rng(2);
const T = CONFIG_R.contextLength;
const batch = () => {
  const ids = Int32Array.from({ length: BATCH * (T + 1) }, () => rng.index(CONFIG_R.vocabSize));
  const all = tf.tensor2d(ids, [BATCH, T + 1], 'int32');
  const x = tf.slice(all, [0, 0], [BATCH, T]) as tf.Tensor2D;
  const y = tf.slice(all, [0, 1], [BATCH, T]) as tf.Tensor2D;
  all.dispose();
  return { x, y };
};
const vars = [...model.params.values()];
const lr = 0.1;

function step(): number {
  const { x, y } = batch();
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x), y), vars);
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
    return value;
  });
  const l = loss.dataSync()[0];
  tf.dispose([x, y, loss]);
  return l;
}

for (let i = 0; i < 3; i++) step(); // warm-up: kernel setup, JIT
const tensorsBefore = tf.memory().numTensors;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const t0 = performance.now();
const c0 = cpuMs();
let last = 0;
for (let i = 0; i < steps; i++) last = step();
const ms = (performance.now() - t0) / steps;
const cpu = (cpuMs() - c0) / steps;
console.log(
  `backend=${active} params=${model.parameterCount()} batch=${BATCH}x${T} ` +
    `step=${ms.toFixed(1)}ms tokens/s=${Math.round((BATCH * T * 1000) / ms)} cpu=${cpu.toFixed(1)}ms ` +
    `loss=${last.toFixed(4)} tensorLeak=${tf.memory().numTensors - tensorsBefore}`,
);
model.dispose();
