// SoftmaxCrossEntropy: the mean loss and its gradient (softmax - onehot) / N in one pass per row
// (max, exp and sum, then the normalised gradient), instead of max, sub, exp, sum, log, gather and
// mean forward and div, scatter, sub, mul backward over the [N, V] logits.
// wasm: SIMD128 with a polynomial exp when V % 4 == 0 (forward + backward of [1024, 256]: 6.3 ->
// 1.3 ms); cpu and other V: a scalar loop with Math.exp (cpu: 78 -> 9 ms; bench/OPTIMIZATIONS.md).
import { SoftmaxCrossEntropy } from '../../names';
import { type HostArray, jsKernelConfigs, type JsKernelDef } from '../jsKernel';

function checkTargets(targets: HostArray, V: number): void {
  for (let n = 0; n < targets.length; n++) {
    const t = targets[n];
    if (!(t >= 0 && t < V)) throw new Error(`crossEntropy: target ${t} at position ${n} is outside [0, ${V})`);
  }
}

export const softmaxCrossEntropyDef: JsKernelDef<Record<string, never>> = {
  kernelName: SoftmaxCrossEntropy,
  inputNames: ['logits', 'targets'],
  outputs: ([logits]) => [
    { shape: [], dtype: 'float32' },
    { shape: logits.shape, dtype: 'float32' },
  ],
  compute([logits, targets], [loss, grad], [info]) {
    const [N, V] = info.shape;
    checkTargets(targets, V);
    let total = 0;
    for (let n = 0, row = 0; n < N; n++, row += V) {
      const target = targets[n];
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (logits[row + v] > max) max = logits[row + v];
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = Math.exp(logits[row + v] - max);
        grad[row + v] = e;
        sum += e;
      }
      total += Math.log(sum) - (logits[row + target] - max); // logsumexp - logit[target]
      const scale = 1 / (sum * N);
      for (let v = 0; v < V; v++) grad[row + v] *= scale;
      grad[row + target] -= 1 / N;
    }
    loss[0] = total / N;
  },
  wasmSimd({ simd, heap, inputs: [logits, targets], outputs: [loss, grad], infos: [info] }) {
    const [N, V] = info.shape;
    if (V % 4 !== 0) return false;
    checkTargets(heap.i32(targets, N), V); // before the kernel indexes the gradient with them
    const scratch = heap.malloc(8 * N); // rowMax [N], rowSum [N]
    try {
      simd.xent(logits, targets, grad, scratch, scratch + 4 * N, N, V, 1 / N);
      // loss = mean over rows of log(sum exp(l - max)) + max - l[target], in float64
      const stats = heap.f32(scratch, 2 * N);
      const ids = heap.i32(targets, N);
      const l = heap.f32(logits, N * V);
      let total = 0;
      for (let n = 0; n < N; n++) total += Math.log(stats[N + n]) + stats[n] - l[n * V + ids[n]];
      heap.f32(loss, 1)[0] = total / N;
    } finally {
      heap.free(scratch);
    }
    return true;
  },
};

export const softmaxCrossEntropyConfigs = jsKernelConfigs(softmaxCrossEntropyDef);
